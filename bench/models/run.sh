#!/usr/bin/env bash
# Regenerates the random-weight benchmark models in .cache/bench-models/ (git-ignored):
# random-{qwen2,llama3}-0.5b.F16.gguf from make_random.py, then each requantized by llama.cpp's
# llama-quantize to Q4_K_M (random-*-0.5b.Q4_K_M.gguf). Existing outputs are kept (FORCE=1 redoes).
# Env: LLAMA_CPP_CACHE (.cache/bench-serve: `make` builds llama-quantize there for bench/serve),
#      PY (python with numpy; gguf-py is taken from that llama.cpp tree).
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${LLAMA_CPP_CACHE:-.cache/bench-serve}
[ -d "$CACHE" ] || CACHE=/work/main/.cache/bench-serve
LLAMA_CPP=$CACHE/llama_cpp_python-0.3.36/vendor/llama.cpp
BIN=$CACHE/build/bin
PY=${PY:-$CACHE/venv/bin/python}
OUT=.cache/bench-models
[ -x "$BIN/llama-quantize" ] || { echo "llama-quantize missing in $BIN (bench/serve builds it)" >&2; exit 2; }
mkdir -p "$OUT"
for kind in qwen2 llama3; do
  f16=$OUT/random-$kind-0.5b.F16.gguf q=$OUT/random-$kind-0.5b.Q4_K_M.gguf
  if [ "${FORCE:-0}" = 1 ] || [ ! -f "$f16" ]; then
    PYTHONPATH=$LLAMA_CPP/gguf-py "$PY" bench/models/make_random.py "$LLAMA_CPP/models" "$OUT" "$kind"
  fi
  if [ "${FORCE:-0}" = 1 ] || [ ! -f "$q" ]; then
    LD_LIBRARY_PATH=$BIN "$BIN/llama-quantize" "$f16" "$q" Q4_K_M 2 > "$OUT/$kind-quantize.log" 2>&1
    tail -3 "$OUT/$kind-quantize.log"
  fi
done
ls -l "$OUT"/*.gguf
