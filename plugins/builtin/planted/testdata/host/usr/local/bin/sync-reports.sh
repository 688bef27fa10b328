#!/bin/sh
export GITLAB_TOKEN=glpat-qOSg5ApYzTTOkq2BEDbN
TOKEN=${DEPLOY_TOKEN}
artifact_sha256_checksum="9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab"
