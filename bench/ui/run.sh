#!/usr/bin/env bash
# `ftx ui` benchmark (release build): server time and bytes of the runs page and the compare page
# over N synthetic runs (default 10,000, each with a STEPS-step train log; targets: runs page
# < 300 ms, compare page < 200 ms), then `mlflow ui` (PyPI mlflow, in MLFLOW_VENV) serving the same
# runs imported through MLflow's Python API: the runs-search call its experiment page makes and the
# data its compare page fetches. Medians of REPEATS requests with curl; PEER=none skips MLflow.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FTX="${FTX_BIN:-$root/.build/release/ftx}"
if [ ! -x "$FTX" ]; then (cd "$root" && swift build -c release --product ftx >/dev/null); fi
N="${N:-10000}"; STEPS="${STEPS:-100}"; REPEATS="${REPEATS:-7}"; PEER="${PEER:-mlflow}"
MLFLOW_PKG="mlflow==3.17.2"
VENV="${MLFLOW_VENV:-$root/.cache/bench-venv-mlflow}"
work="$(mktemp -d)"
pids=()
# Servers run in sessions of their own (setsid), so their whole process group goes: mlflow ui's uvicorn workers too.
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

# Waits for the first http:// URL a server prints (to stdout or stderr) and echoes it.
url_of() {
  for _ in $(seq 1 600); do
    u=$(grep -aoh 'http://[0-9.]*:[0-9]*' "$@" 2>/dev/null | head -1 || true)
    [ -n "$u" ] && { echo "$u"; return; }
    sleep 0.1
  done
  echo "no URL from the server: $(cat "$@")" >&2; exit 1
}

"$FTX" init >/dev/null
t0=$(date +%s.%N)
TRAIN_LOG_STEPS="$STEPS" RUNS_JSONL=runs.jsonl python3 "$root/bench/registry/gen_runs.py" . "$N" git.stream >/dev/null
"$FTX" runs --reindex >/dev/null
echo "generated $N run commits with $STEPS-step train logs, indexed, in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
echo "load average before: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs (wall times include waiting for a CPU)"
setsid "$FTX" ui --port 0 > ui.out 2> ui.err &
pids+=($!)
ftx_url=$(url_of ui.out ui.err)
ids=$(tail -n 8 runs.jsonl | tac | python3 -c 'import json, sys; print(",".join(json.loads(l)["id"] for l in sys.stdin))')

if [ "$PEER" != "mlflow" ]; then
  python3 "$root/bench/ui/measure.py" "$REPEATS" "$ftx_url" "$ids"
  exit 0
fi
if [ ! -x "$VENV/bin/mlflow" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "$MLFLOW_PKG"
fi
# The import takes minutes (about 0.1 s a run); its result is kept in .cache/bench-ui/, keyed by
# the runs' content (gen_runs.py is deterministic), and copied for each bench run.
cache="$root/.cache/bench-ui"; mkdir -p "$cache"
key=$(sha256sum runs.jsonl | cut -c1-16)
if [ ! -f "$cache/mlflow-$key.json" ]; then
  echo "importing the same $N runs into MLflow $("$VENV/bin/python" -c 'import mlflow; print(mlflow.__version__)') (sqlite store; curves for the 8 compared runs)"
  rm -f "$cache/mlflow-$key.db"
  "$VENV/bin/python" "$root/bench/ui/mlflow_import.py" "sqlite:///$cache/mlflow-$key.db" runs.jsonl 8 > "$cache/mlflow-$key.part" 2>"$cache/mlflow-$key.log"
  mv "$cache/mlflow-$key.part" "$cache/mlflow-$key.json"
fi
cp "$cache/mlflow-$key.db" mlflow.db && cp "$cache/mlflow-$key.json" mlflow.json
echo "MLflow store: $N runs imported in $(python3 -c 'import json; print(json.load(open("mlflow.json"))["seconds"])') s (cached in .cache/bench-ui/)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid "$VENV/bin/mlflow" ui --backend-store-uri "sqlite:///$work/mlflow.db" --host 127.0.0.1 --port "$port" > mlflow.out 2> mlflow.err &
pids+=($!)
ml_url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do curl -sf "$ml_url/health" >/dev/null && break; sleep 0.2; done
curl -sf "$ml_url/health" >/dev/null || { echo "mlflow ui did not start: $(tail -5 mlflow.err)" >&2; exit 1; }
exp=$(python3 -c 'import json; print(json.load(open("mlflow.json"))["experiment_id"])')
mids=$(python3 -c 'import json; print(",".join(reversed(json.load(open("mlflow.json"))["run_ids"][-8:])))')
python3 "$root/bench/ui/measure.py" "$REPEATS" "$ftx_url" "$ids" "$ml_url" "$exp" "$mids"
