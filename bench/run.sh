#!/usr/bin/env bash
# Runs every benchmark in bench/<area>/run.sh (release build), or only those named:
#   bench/run.sh            all areas
#   bench/run.sh store eval only these
# Each prints ftx's figures, the peer's figures measured in the same run, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export FTX_BIN="${FTX_BIN:-$(pwd)/.build/release/ftx}"
areas=("$@")
if [ ${#areas[@]} -eq 0 ]; then
  for d in bench/*/; do [ -x "$d/run.sh" ] && areas+=("$(basename "$d")"); done
fi
for a in "${areas[@]}"; do
  echo "=== bench/$a ==="
  "bench/$a/run.sh"
done
