#!/usr/bin/env bash
# Eval throughput on SmolLM2-135M-Instruct Q4_1: a 200-case suite run by `ftx eval` (batched
# generation) vs llama.cpp (llama-cpp-python) generating the same rendered prompts one by one,
# greedy, same max_tokens, in the same run. Usage: throughput.sh [FTX_BIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${1:-${FTX_BIN:-$ROOT/.build/release/ftx}}
MODEL=${FTX_SMOLLM2:-$ROOT/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
VENV=${BENCH_VENV:-$ROOT/.cache/bench-venv}
CASES=${CASES:-200}
[ -f "$MODEL" ] || { echo "throughput: model missing at $MODEL (make model)"; exit 0; }
WORK=$(mktemp -d /tmp/ftx-bench-evaltp.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

head -n "$CASES" sample-project/data/all.jsonl > "$WORK/cases.jsonl"
cat > "$WORK/suite.yaml" <<YAML
name: throughput
cases: cases.jsonl
generation: {max_tokens: 48, temperature: 0, chat_template: true, batch_size: ${BATCH:-16}}
assert:
  - type: is-json
  - type: json-field
    path: \$.category
YAML
start=$(date +%s.%N)
"$BIN" eval --model "$MODEL" --suite "$WORK/suite.yaml" --out "$WORK/report.json" --no-score > "$WORK/summary.txt" || true
end=$(date +%s.%N)
ftx_wall=$(echo "$end - $start" | bc -l)
python3 - "$WORK/report.json" "$ftx_wall" > "$WORK/ftx.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); t = r["timing"]; n = len(r["cases"])
toks = sum(c["output_tokens"] for c in r["cases"])
print("%d %.3f %.3f %d %.4f" % (n, t["generation_seconds"], float(sys.argv[2]), toks, r["metrics"]["pass_rate"]))
PY
read -r n gen wall toks pass < "$WORK/ftx.txt"
ftx_cps=$(echo "$n / $gen" | bc -l)
printf 'ftx eval: %d cases, %d generated tokens, generation %.2f s (%.2f cases/s, %.1f tok/s), whole command %.2f s, pass_rate %.3f\n' \
  "$n" "$toks" "$gen" "$ftx_cps" "$(echo "$toks / $gen" | bc -l)" "$wall" "$pass"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "peer: llama-cpp-python not installed in $VENV (set BENCH_VENV); ratio not measured"
  exit 0
fi
"$VENV/bin/python" bench/eval/llama_cpp_peer.py "$MODEL" "$WORK/report.json" > "$WORK/peer.txt"
read -r pn pgen ptoks < "$WORK/peer.txt"
peer_cps=$(echo "$pn / $pgen" | bc -l)
printf 'llama.cpp one by one: %d cases, %d generated tokens, %.2f s (%.2f cases/s, %.1f tok/s)\n' \
  "$pn" "$ptoks" "$pgen" "$peer_cps" "$(echo "$ptoks / $pgen" | bc -l)"
printf 'ratio ftx/llama.cpp (cases/s): %.2fx (target >= 3x)\n' "$(echo "$ftx_cps / $peer_cps" | bc -l)"
