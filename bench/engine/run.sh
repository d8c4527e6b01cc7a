#!/usr/bin/env bash
# Engine benchmark: ftx vs llama.cpp (llama-cpp-python 0.3.36) on SmolLM2-135M-Instruct Q4_1, 2 threads.
# Prints both sides' prefill / decode / batched-generation tokens per second and the ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${FTX_SMOLLM2:-.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
THREADS="${THREADS:-2}"
VENV=.cache/bench-venv
[ -f "$MODEL" ] || { echo "model missing: $MODEL (run make model)"; exit 2; }
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q cmake ninja numpy
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$VENV/bin/pip" install -q llama-cpp-python==0.3.36
fi
# Same flags as `make build`, so the build products are shared.
swift build -c release -Xswiftc -enable-testing --product ftx >/dev/null
FTX=.build/release/ftx
echo "model: $MODEL   threads: $THREADS"
ours=$("$FTX" model bench -m "$MODEL" --threads "$THREADS" --json)
peer=$(OMP_NUM_THREADS="$THREADS" "$VENV/bin/python" bench/engine/llamacpp_bench.py "$MODEL" "$THREADS")
python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rows = [("prefill 512-token prompt", "prefill_tok_s", 1.5), ("decode 128 tokens", "decode_tok_s", 1.0),
        ("32 prompts x 64 tokens (ftx batched vs llama.cpp one by one)", "batch_tok_s", 3.0)]
print(f"{'measurement':62} {'ftx tok/s':>10} {'llama.cpp':>10} {'ratio':>7} {'target':>7}")
for name, k, target in rows:
    r = o[k] / p[k]
    print(f"{name:62} {o[k]:10.1f} {p[k]:10.1f} {r:6.2f}x {target:6.1f}x {'ok' if r >= target else 'BELOW'}")
PY
