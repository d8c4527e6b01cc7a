# Set-up shared by the model-based eval benchmarks (sourced, not run):
#   eval_bench_setup NAME DEFAULT_CASES [FTX_BIN]
# sets ROOT, BIN, MODEL, VENV and CASES, leaves the first CASES sample-project cases in
# $WORK/cases.jsonl (a scratch folder removed on exit), and exits 0 when the model is missing.
eval_bench_setup() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  ROOT=$(pwd)
  BIN=${3:-${FTX_BIN:-$ROOT/.build/release/ftx}}
  MODEL=${FTX_SMOLLM2:-$ROOT/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
  VENV=${BENCH_VENV:-$ROOT/.cache/bench-venv}
  CASES=${CASES:-$2}
  [ -f "$MODEL" ] || { echo "$1: model missing at $MODEL (make model)"; exit 0; }
  WORK=$(mktemp -d "/tmp/ftx-bench-$1.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  head -n "$CASES" sample-project/data/all.jsonl > "$WORK/cases.jsonl"
}
