#!/usr/bin/env bash
# Eval throughput on SmolLM2-135M-Instruct Q4_1: a 200-case suite run by `ftx eval` (batched
# generation) vs llama.cpp (llama-cpp-python) generating the same rendered prompts one by one,
# greedy, same max_tokens, in the same run. Usage: throughput.sh [FTX_BIN]
set -euo pipefail
source "$(dirname "$0")/common.sh"
eval_bench_setup throughput 200 "${1:-}"
# run_ftx BATCH: writes $WORK/report-BATCH.json and prints "cases gen_seconds wall tokens pass_rate".
run_ftx() {
  cat > "$WORK/suite-$1.yaml" <<YAML
name: throughput
cases: cases.jsonl
generation: {max_tokens: 48, temperature: 0, chat_template: true, batch_size: $1}
assert:
  - type: is-json
  - type: json-field
    path: \$.category
YAML
  local start end
  start=$(date +%s.%N)
  "$BIN" eval --model "$MODEL" --suite "$WORK/suite-$1.yaml" --out "$WORK/report-$1.json" --no-score > /dev/null 2>&1 || true
  end=$(date +%s.%N)
  python3 - "$WORK/report-$1.json" "$(echo "$end - $start" | bc -l)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["timing"]; n = len(r["cases"])
toks = sum(c["output_tokens"] for c in r["cases"])
print("%d %.3f %.3f %d %.4f" % (n, t["generation_seconds"], float(sys.argv[2]), toks, r["metrics"]["pass_rate"]))
PY
}
BATCH=${BATCH:-16}
read -r n gen wall toks pass < <(run_ftx "$BATCH")
ftx_cps=$(echo "$n / $gen" | bc -l)
printf 'ftx eval, batch %d: %d cases, %d generated tokens, generation %.2f s (%.2f cases/s, %.1f tok/s), whole command %.2f s\n' \
  "$BATCH" "$n" "$toks" "$gen" "$ftx_cps" "$(echo "$toks / $gen" | bc -l)" "$wall"
if [ "${SKIP_UNBATCHED:-0}" != 1 ]; then
  read -r n1 gen1 wall1 toks1 pass1 < <(run_ftx 1)
  printf 'ftx eval, one by one: %d cases, %d generated tokens, generation %.2f s (%.2f cases/s); batching gain %.2fx\n' \
    "$n1" "$toks1" "$gen1" "$(echo "$n1 / $gen1" | bc -l)" "$(echo "$gen1 / $gen" | bc -l)"
  cmp -s <(python3 -c "import json,sys; print([c['output'] for c in json.load(open(sys.argv[1]))['cases']])" "$WORK/report-$BATCH.json") \
         <(python3 -c "import json,sys; print([c['output'] for c in json.load(open(sys.argv[1]))['cases']])" "$WORK/report-1.json") \
    && echo "  outputs identical batched and one by one" || echo "  WARNING: outputs differ between batched and one-by-one generation"
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "peer: llama-cpp-python not installed in $VENV (set BENCH_VENV); ratio not measured"
  exit 0
fi
"$VENV/bin/python" bench/eval/llama_cpp_peer.py "$MODEL" "$WORK/report-$BATCH.json" > "$WORK/peer.txt"
read -r pn pgen ptoks < "$WORK/peer.txt"
peer_cps=$(echo "$pn / $pgen" | bc -l)
printf 'llama.cpp one by one: %d cases, %d generated tokens, %.2f s (%.2f cases/s, %.1f tok/s)\n' \
  "$pn" "$ptoks" "$pgen" "$peer_cps" "$(echo "$ptoks / $pgen" | bc -l)"
printf 'ratio ftx/llama.cpp (cases/s): %.2fx (target >= 3x)\n' "$(echo "$ftx_cps / $peer_cps" | bc -l)"
