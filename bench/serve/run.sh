#!/usr/bin/env bash
# Serving benchmark: `ftx serve` vs llama.cpp's `llama-server` (built with CMake from the llama.cpp
# that the llama-cpp-python 0.3.36 sdist vendors, --parallel 32 --cont-batching) and
# llama-cpp-python's own server, on SmolLM2-135M-Instruct Q4_1, 2 threads each, one at a time.
# An async client (load.py) streams chat completions of the sample project's prompts at
# concurrency 1, 8 and 32 and reports aggregate tokens/s and p50/p95 latency; the table gives
# ftx's ratios against llama-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="$(realpath "${FTX_SMOLLM2:-.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}")"
THREADS="${THREADS:-2}"
LEVELS="${LEVELS:-1 8 32}"
MAX_TOKENS="${MAX_TOKENS:-64}"
PEERS="${PEERS:-llama-server llama-cpp-python}"
CACHE=.cache/bench-serve
VENV="$CACHE/venv"
[ -f "$MODEL" ] || { echo "model missing: $MODEL (run make model)"; exit 2; }

# Peers, built once and cached.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import httpx, llama_cpp.server" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q cmake ninja httpx
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$VENV/bin/pip" install -q "llama-cpp-python[server]==0.3.36"
fi
if [ ! -x "$CACHE/llama-server" ]; then
  # Only llama-cpp-python from source (its build tools stay wheels).
  "$VENV/bin/pip" download -q --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36 -d "$CACHE/sdist"
  tar -xzf "$CACHE"/sdist/llama_cpp_python-0.3.36.tar.gz -C "$CACHE"
  src="$CACHE/llama_cpp_python-0.3.36/vendor/llama.cpp"
  PATH="$(pwd)/$VENV/bin:$PATH" cmake -S "$src" -B "$CACHE/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >/dev/null
  PATH="$(pwd)/$VENV/bin:$PATH" cmake --build "$CACHE/build" --target llama-server -j "$(nproc)" >/dev/null
  cp "$CACHE/build/bin/llama-server" "$CACHE/llama-server"
fi
swift build -c release -Xswiftc -enable-testing --product ftx >/dev/null 2>&1 || swift build -c release -Xswiftc -enable-testing --product ftx
FTX="${FTX_BIN:-.build/release/ftx}"
PROMPTS=sample-project/data/all.jsonl
PORT=18471
CTX=$((32 * 512))

wait_up() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "server did not start"; return 1; }
results=$(mktemp)
run_server() {   # name, then the command that starts the server on $PORT
  local name=$1; shift
  "$@" >"$CACHE/$name.log" 2>&1 &
  local pid=$!
  wait_up "${HEALTH:-v1/models}"
  # One request first, unmeasured: the model's pages and the server's first-use costs.
  "$VENV/bin/python" bench/serve/load.py "http://127.0.0.1:$PORT" "${SERVED_MODEL:-base}" "$PROMPTS" 1 1 "$MAX_TOKENS" >/dev/null
  for c in $LEVELS; do
    n=$(( c < 8 ? 16 : 2 * c ))
    printf '%s\t%s\n' "$name" "$("$VENV/bin/python" bench/serve/load.py "http://127.0.0.1:$PORT" "${SERVED_MODEL:-base}" "$PROMPTS" "$c" "$n" "$MAX_TOKENS")" >>"$results"
  done
  kill -INT $pid; wait $pid 2>/dev/null || true
}
echo "model: $MODEL   threads: $THREADS   max_tokens: $MAX_TOKENS   load: $(cut -d' ' -f1-3 /proc/loadavg)"
SERVED_MODEL=base run_server ftx "$FTX" serve --model "$MODEL" --port $PORT --threads "$THREADS" --max-batch 32
for p in $PEERS; do
  case $p in
    llama-server) run_server llama-server "$CACHE/llama-server" -m "$MODEL" --port $PORT -t "$THREADS" -tb "$THREADS" \
                    --parallel 32 --cont-batching -c $CTX --no-webui ;;
    llama-cpp-python) run_server llama-cpp-python "$VENV/bin/python" -m llama_cpp.server --model "$MODEL" --port $PORT \
                    --n_threads "$THREADS" --n_ctx 2048 ;;
  esac
done
python3 - "$results" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    name, js = line.rstrip("\n").split("\t", 1)
    r = json.loads(js); rows[(name, r["concurrency"])] = r
names = sorted({n for n, _ in rows}, key=lambda n: ["ftx", "llama-server", "llama-cpp-python"].index(n))
levels = sorted({c for _, c in rows})
print(f"{'server':18} {'conc':>4} {'tok/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'ttft p50':>9} {'failed':>6}")
for c in levels:
    for n in names:
        r = rows.get((n, c))
        if r: print(f"{n:18} {c:4d} {r['tok_s']:8.1f} {r['p50_ms']:8.0f} {r['p95_ms']:8.0f} {r['ttft_p50_ms']:9.0f} {r['failed']:6d}")
targets = {1: 1.0, 32: 2.0}
for c in levels:
    f, l = rows.get(("ftx", c)), rows.get(("llama-server", c))
    if f and l:
        ratio = f["tok_s"] / l["tok_s"]
        t = targets.get(c)
        verdict = "" if t is None else (" ok" if ratio >= t else " BELOW") + f" (target >= {t}x)"
        print(f"concurrency {c:2d}: ftx/llama-server tokens/s {ratio:.2f}x, p95 {f['p95_ms']:.0f} vs {l['p95_ms']:.0f} ms{verdict}")
PY
rm -f "$results"
