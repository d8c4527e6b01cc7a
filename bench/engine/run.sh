#!/usr/bin/env bash
# Engine benchmark: ftx vs llama.cpp (llama-cpp-python 0.3.36), same model, 2 threads.
# Prints both sides' prefill / decode / batched-generation tokens per second and the ratios.
# Usage: bench/engine/run.sh [--model FILE|DIR]   (default SmolLM2-135M-Instruct Q4_1, or FTX_SMOLLM2)
# Any model ftx runs: a GGUF, or a Hugging Face folder, which llama.cpp gets converted to an F16 GGUF
# by its convert_hf_to_gguf.py (ftx reads the folder in the checkpoint's own dtype).
# Env: THREADS (2), ROUNDS (2: ftx then llama.cpp, alternating, each side's best figure kept, so a slow
#      phase of a shared machine does not fall on one side only), FTX_BIN (skips the build), BENCH_VENV
#      (python venv with llama_cpp; installed into .cache/bench-venv when missing), CONVERT_PY (python
#      with torch/transformers for the conversion).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${FTX_SMOLLM2:-.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    *) echo "usage: $0 [--model FILE|DIR]" >&2; exit 2 ;;
  esac
done
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-2}"
VENV=${BENCH_VENV:-.cache/bench-venv}
[ -e "$MODEL" ] || { echo "model missing: $MODEL (run make model, or bench/models/run.sh)"; exit 2; }
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q cmake ninja numpy
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$VENV/bin/pip" install -q llama-cpp-python==0.3.36
fi
PEER_MODEL=$MODEL
if [ -d "$MODEL" ]; then  # a Hugging Face folder: llama.cpp reads only GGUF
  LLAMA_CPP=${LLAMA_CPP_DIR:-.cache/bench-serve/llama_cpp_python-0.3.36/vendor/llama.cpp}
  PEER_MODEL=$(mktemp /tmp/ftx-bench-engine.XXXXXX.gguf)
  trap 'rm -f "$PEER_MODEL"' EXIT
  PYTHONPATH=$LLAMA_CPP/gguf-py "${CONVERT_PY:-.cache/venv/bin/python}" "$LLAMA_CPP/convert_hf_to_gguf.py" \
    "$MODEL" --outtype f16 --outfile "$PEER_MODEL" >/dev/null 2>&1
fi
if [ -z "${FTX_BIN:-}" ]; then
  # Same flags as `make build`, so the build products are shared.
  swift build -c release -Xswiftc -enable-testing --product ftx >/dev/null
  FTX_BIN=.build/release/ftx
fi
echo "model: $MODEL   threads: $THREADS   load: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=(); peer=()
for _ in $(seq "$ROUNDS"); do
  ours+=("$("$FTX_BIN" model bench -m "$MODEL" --threads "$THREADS" --json)")
  peer+=("$(OMP_NUM_THREADS="$THREADS" "$VENV/bin/python" bench/engine/llamacpp_bench.py "$PEER_MODEL" "$THREADS")")
done
python3 - "$ROUNDS" "${ours[@]}" "${peer[@]}" <<'PY'
import json, sys
n = int(sys.argv[1])
runs = [json.loads(a) for a in sys.argv[2:]]
ours, peer = runs[:n], runs[n:]
rows = [("prefill 512-token prompt", "prefill_tok_s", 1.5), ("decode 128 tokens", "decode_tok_s", 1.0),
        ("32 prompts x 64 tokens (ftx batched vs llama.cpp one by one)", "batch_tok_s", 3.0)]
print(f"{'measurement':62} {'ftx tok/s':>10} {'llama.cpp':>10} {'ratio':>7} {'target':>7}")
for name, k, target in rows:
    o, p = max(r[k] for r in ours), max(r[k] for r in peer)
    r = o / p
    print(f"{name:62} {o:10.1f} {p:10.1f} {r:6.2f}x {target:6.1f}x {'ok' if r >= target else 'BELOW'}")
    if n > 1:
        print(f"{'  each round (ftx / llama.cpp)':62} " + "  ".join(f"{a[k]:.1f} / {b[k]:.1f}" for a, b in zip(ours, peer)))
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
