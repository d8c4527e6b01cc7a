#!/usr/bin/env bash
# Eval benchmarks (release build):
#  1. `ftx diff` of two 10,000-case reports, including the 10k-resample paired bootstrap (target < 0.3 s).
#  2. When the engine is in: eval throughput on SmolLM2 for a 200-case suite (batched) vs llama.cpp
#     (llama-cpp-python) generating the same cases one by one, in the same run (see throughput.sh;
#     CASES, BATCH, BENCH_VENV, SKIP_UNBATCHED=1 tune it).
#  3. Expected-output scoring (loss/perplexity) of a 64-case suite, batched, vs llama.cpp one
#     sequence at a time (scoring.sh, a few minutes under load; EVAL_SCORING=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${FTX_BIN:-$ROOT/.build/release/ftx}
if [ ! -x "$BIN" ]; then
  swift build -c release --product ftx >/dev/null
fi
WORK=$(mktemp -d /tmp/ftx-bench-eval.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

N=${N:-10000}
python3 bench/eval/make_reports.py "$N" "$WORK/a.json" "$WORK/b.json"
echo "reports: $N cases each, $(du -h "$WORK/a.json" | cut -f1) per file"

best=""; best_cpu=""
for run in 1 2 3 4 5; do
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN" diff "$WORK/a.json" "$WORK/b.json" --json > "$WORK/diff.json" || [ $? -eq 1 ]
  read -r wall user sys < <(tail -n 1 "$WORK/time")
  cpu=$(echo "$user + $sys" | bc -l)
  if [ -z "$best" ] || (( $(echo "$wall < $best" | bc -l) )); then best=$wall; best_cpu=$cpu; fi
done
printf 'ftx diff, %d cases x 2, 10000 bootstrap resamples: best of 5 = %.3f s wall (%.3f s CPU, 2 threads; target < 0.3 s wall)\n' "$N" "$best" "$best_cpu"
printf '  machine load while measuring: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
python3 -c "import json,sys; d=json.load(open('$WORK/diff.json')); m=d['mcnemar']; pr=[x for x in d['metrics'] if x['name']=='pass_rate'][0]; print('  mcnemar b=%d c=%d p=%.3g; pass_rate %.4f -> %.4f, 95%% CI [%.4f, %.4f]' % (m['b'], m['c'], m['p'], pr['a'], pr['b'], pr['ci']['low'], pr['ci']['high']))"

if [ "${EVAL_THROUGHPUT:-1}" = 1 ]; then  # EVAL_THROUGHPUT=0 skips the (minutes-long) model run
  bench/eval/throughput.sh "$BIN"
fi
if [ "${EVAL_SCORING:-1}" = 1 ]; then  # EVAL_SCORING=0 skips the scoring run (about a minute)
  bench/eval/scoring.sh "$BIN"
fi
