#!/usr/bin/env bash
# Wire encoding: size and encode/decode time of a typical event, JSON (what
# the wire uses) against protobuf (the alternative), measured in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -run '^$' -bench 'Codec' -benchmem -count 3 ./plugins/sdk/event/
