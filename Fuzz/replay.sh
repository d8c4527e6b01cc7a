#!/usr/bin/env bash
# Replays every input under Fuzz/crashes/<target>/ once (or the files given, as TARGET FILE…) and
# exits 1 if any still crashes, hangs or runs out of memory (2 GB). `make fuzz-replay`.
# The timeout (FUZZ_TIMEOUT, 120 s) is longer than run.sh's: these inputs are the heaviest known
# ones (item4-nested-loops runs a template to its 2M-step budget twice, ~9 s of CPU under ASan, and
# several times that in wall time on a loaded machine), and the hangs they once caused ran for hours.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${FUZZ_BIN:-.build-fuzz/release/ftx-fuzz}
[ -x "$BIN" ] || { echo "build first: make fuzz-build" >&2; exit 2; }
replay() {  # target file
  if FTX_FUZZ_TARGET=$1 SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
       "$BIN" -timeout="${FUZZ_TIMEOUT:-120}" -rss_limit_mb=2048 "$2" > /tmp/ftx-fuzz-replay.$$ 2>&1; then
    echo "ok      $1 $2"
  else
    echo "FAILED  $1 $2: $(grep -m1 -oE 'Swift runtime failure: [^/]*|ERROR: AddressSanitizer: [a-z-]*|ALARM: [^,]*|out-of-memory[^)]*\)|Fatal error: .{0,80}' /tmp/ftx-fuzz-replay.$$)"
    failed=1
  fi
  rm -f /tmp/ftx-fuzz-replay.$$
}
failed=0
if [ $# -gt 0 ]; then
  t=$1; shift
  for f in "$@"; do replay "$t" "$f"; done
else
  for d in Fuzz/crashes/*/; do
    for f in "$d"*; do [ "$(basename "$f")" = README.md ] || replay "$(basename "$d")" "$f"; done
  done
fi
exit $failed
