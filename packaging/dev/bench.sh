#!/usr/bin/env bash
# `make bench`: runs every benchmark script in packaging/bench/ (or those named
# as arguments). Each script measures NHI Radar against a reference in the same
# run and prints a Markdown section; record the figures in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=("$@")
[[ ${#scripts[@]} -eq 0 ]] && scripts=(packaging/bench/*.sh)
for s in "${scripts[@]}"; do
  [[ -e "$s" ]] || continue
  printf '\n# %s\n' "$s"
  bash "$s"
done
