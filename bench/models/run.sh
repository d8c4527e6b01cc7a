#!/usr/bin/env bash
# Regenerates the random-weight benchmark models in .cache/bench-models/ (git-ignored):
# random-{qwen2,llama3}-0.5b.F16.gguf from make_random.py, then each requantized by llama.cpp's
# llama-quantize to Q4_K_M (random-*-0.5b.Q4_K_M.gguf). Existing outputs are kept (FORCE=1 redoes).
# Env: LLAMA_CPP_CACHE (.cache/bench-serve, where bench/serve/run.sh builds llama.cpp; llama-quantize
#      is built there when missing),
#      PY (python for gguf-py, which is taken from that llama.cpp tree; numpy and pyyaml are
#      installed into it when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${LLAMA_CPP_CACHE:-.cache/bench-serve}
mkdir -p "$CACHE"
LLAMA_CPP=$CACHE/llama_cpp_python-0.3.36/vendor/llama.cpp
BIN=$CACHE/build/bin
PY=${PY:-$CACHE/venv/bin/python}
OUT=.cache/bench-models
if [ ! -x "$BIN/llama-quantize" ]; then
  # Built from the llama.cpp that bench/serve/run.sh unpacks and configures (the same build tree).
  [ -x "$PY" ] || { python3 -m venv "$CACHE/venv"; "$CACHE/venv/bin/pip" install -q cmake ninja; }
  "$PY" -m pip show -q cmake ninja >/dev/null 2>&1 || "$PY" -m pip install -q cmake ninja
  if [ ! -d "$LLAMA_CPP" ]; then
    [ -f "$CACHE"/sdist/llama_cpp_python-0.3.36.tar.gz ] || "$PY" -m pip download -q --no-deps --no-binary llama-cpp-python \
      llama-cpp-python==0.3.36 -d "$CACHE/sdist"
    tar -xzf "$CACHE"/sdist/llama_cpp_python-0.3.36.tar.gz -C "$CACHE"
  fi
  PATH="$(dirname "$PY"):$PATH" cmake -S "$LLAMA_CPP" -B "$CACHE/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >/dev/null
  PATH="$(dirname "$PY"):$PATH" cmake --build "$CACHE/build" --target llama-quantize -j "$(nproc)" >/dev/null
fi
# gguf-py imports numpy and yaml.
"$PY" -c "import numpy, yaml" 2>/dev/null || "$PY" -m pip install -q numpy pyyaml
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
