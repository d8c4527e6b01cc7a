#!/usr/bin/env bash
# Runs the libFuzzer targets (all, or those named) for FUZZ_SECONDS each, one after another, and
# prints executions, seconds, corpus entries and coverage per target. Exits 1 when any target
# finds a crash, a timeout, an out-of-memory or a failed property; the input is left in
# $FUZZ_OUT/<target>/crashes/ (git-ignored) with the command that replays it. Built by `make fuzz` (see docs/fuzzing.md).
#   Fuzz/run.sh                 every target
#   Fuzz/run.sh jinja gguf      only these
# Env: FUZZ_SECONDS (60), FUZZ_TIMEOUT (seconds one input may take: 30), FUZZ_BIN (.build-fuzz/release/ftx-fuzz), FUZZ_OUT (.build-fuzz/out),
#      FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-fork=1 -ignore_crashes=1").
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${FUZZ_BIN:-.build-fuzz/release/ftx-fuzz}
SECS=${FUZZ_SECONDS:-60}
OUT=${FUZZ_OUT:-.build-fuzz/out}
# An input refused only at a work limit (a chat template at JinjaLimits.maxSteps) takes about 8 s of
# CPU under ASan, so on two shared cores 10 s would report bounded work as a hang.
TIMEOUT=${FUZZ_TIMEOUT:-30}
[ -x "$BIN" ] || { echo "build first: make fuzz (or make fuzz-build)" >&2; exit 2; }

ALL=(gguf adapter jsonl config suite jinja revision pack object report checkpoint)
# Largest input per target: a little above the biggest seed, small enough to keep runs fast.
declare -A MAXLEN=([gguf]=32768 [adapter]=8192 [jsonl]=4096 [config]=4096 [suite]=4096 [jinja]=4096
                   [revision]=256 [pack]=16384 [object]=4096 [report]=8192 [checkpoint]=32768)
# Dictionary (Fuzz/dict/<name>.dict) per target: tokens of the format the fuzzer would not guess.
declare -A DICT=([gguf]=gguf [adapter]=json [jsonl]=json [config]=yaml [suite]=yaml [jinja]=jinja
                 [revision]=store [pack]=store [object]=store [report]=json [checkpoint]=json)
# Seed folders besides Fuzz/corpus/<target> (read only).
declare -A EXTRA=([gguf]=Tests/FTXModelTests/Corpus)

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")
failed=()
printf '%-9s %12s %8s %10s %7s %6s  %s\n' target executions seconds exec/s corpus cov result
for t in "${targets[@]}"; do
  [ -n "${MAXLEN[$t]:-}" ] || { echo "unknown target '$t' (one of: ${ALL[*]})" >&2; exit 2; }
  work="$OUT/$t"
  rm -rf "$work/crashes"  # findings of an earlier run would be reported again
  mkdir -p "$work/corpus" "$work/crashes"
  dict=(-dict="Fuzz/dict/${DICT[$t]}.dict")
  seeds=("Fuzz/corpus/$t"); [ -n "${EXTRA[$t]:-}" ] && seeds+=("${EXTRA[$t]}")
  start=$(date +%s.%N)
  # The first folder collects what the fuzzer finds; the committed seeds stay untouched.
  # SWIFT_BACKTRACE off: libFuzzer and ASan report the crash (and write the input) themselves.
  FTX_FUZZ_TARGET=$t SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:handle_abort=1 \
    "$BIN" "$work/corpus" "${seeds[@]}" "${dict[@]}" -max_total_time="$SECS" -max_len="${MAXLEN[$t]}" \
    -timeout="$TIMEOUT" -rss_limit_mb=2048 -artifact_prefix="$work/crashes/" -print_final_stats=1 ${FUZZ_ARGS:-} \
    > "$work/log" 2>&1
  rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | awk '{s += $2} END {print s + 0}')
  # -fork mode prints no final stats: its last progress line ("#N: cov: …") counts the executions.
  [ "$execs" -eq 0 ] && execs=$(grep -o '^#[0-9]*:' "$work/log" | tail -1 | tr -dc 0-9)
  execs=${execs:-0}
  rate=$(awk -v n="$execs" -v s="$secs" 'BEGIN {printf "%d", n / s}')
  # Corpus entries and coverage (edges) from libFuzzer's last status line ("#N … cov: E ft: F corp: C/…").
  last=$(grep -E '^#[0-9]+.*corp: ' "$work/log" | tail -1)
  corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last"); cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  if [ $rc -eq 0 ]; then
    printf '%-9s %12s %8.0f %10s %7s %6s  %s\n' "$t" "$execs" "$secs" "$rate" "${corp:--}" "${cov:--}" clean
  else
    printf '%-9s %12s %8.0f %10s %7s %6s  %s\n' "$t" "$execs" "$secs" "$rate" "${corp:--}" "${cov:--}" "FAILED (exit $rc)"
    failed+=("$t")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*Fatal error|ALARM|.*out-of-memory|artifact_prefix)' "$work/log" | head -5 | sed 's/^/    /'
    for a in "$work"/crashes/*; do
      [ -f "$a" ] && echo "    replay: FTX_FUZZ_TARGET=$t $BIN $a"
    done
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]} (logs in $OUT/<target>/log)"
  exit 1
fi
echo "fuzz: all clean"
