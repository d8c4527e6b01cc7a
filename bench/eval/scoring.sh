#!/usr/bin/env bash
# Expected-output scoring (loss/perplexity) on SmolLM2-135M-Instruct Q4_1: `ftx eval` of a CASES-case
# suite with max_tokens 1 (so generation is negligible), its scoring seconds, vs llama.cpp
# (llama-cpp-python) scoring the same prompts + expected outputs one sequence at a time, in the
# same run. Usage: scoring.sh [FTX_BIN]   (CASES, BENCH_VENV tune it)
set -euo pipefail
source "$(dirname "$0")/common.sh"
eval_bench_setup scoring 64 "${1:-}"
cat > "$WORK/suite.yaml" <<YAML
name: scoring
cases: cases.jsonl
generation: {max_tokens: 1, temperature: 0, chat_template: true, batch_size: 64}
assert:
  - type: is-json
YAML
"$BIN" eval --model "$MODEL" --suite "$WORK/suite.yaml" --out "$WORK/report.json" > /dev/null 2>&1 || true
read -r n secs toks loss < <(python3 - "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["cases"]), "%.3f" % r["timing"]["scoring_seconds"], r["metrics"]["scored_tokens"], "%.6f" % r["metrics"]["loss"])
PY
)
printf 'ftx eval scoring: %d cases, %d scored tokens, %.2f s (%.1f cases/s), loss %.4f\n' \
  "$n" "$toks" "$secs" "$(echo "$n / $secs" | bc -l)" "$loss"
printf '  machine load while measuring: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp, numpy" 2>/dev/null; then
  echo "peer: llama-cpp-python not installed in $VENV (set BENCH_VENV); ratio not measured"
  exit 0
fi
read -r pn psecs ptoks ploss < <("$VENV/bin/python" bench/eval/llama_cpp_score_peer.py "$MODEL" "$WORK/report.json")
printf 'llama.cpp one sequence at a time: %d cases, %d scored tokens, %.2f s (%.1f cases/s), loss %.4f\n' \
  "$pn" "$ptoks" "$psecs" "$(echo "$pn / $psecs" | bc -l)" "$ploss"
printf 'ratio ftx/llama.cpp (cases/s): %.2fx\n' "$(echo "$psecs / $secs" | bc -l)"
