#!/usr/bin/env bash
# Training benchmark: ftx vs PyTorch+PEFT on CPU, same GGUF, same data, same hyper-parameters.
# Usage: bench/train/run.sh [--model FILE|DIR]: a GGUF or Hugging Face folder ftx supports (default
# SmolLM2-135M Q4_1). Batch 8 x 256 tokens, LoRA r=8 alpha=16 on all 7 projections, 2 threads.
# Prints tokens/s, peak RSS, MFU (vs sgemm measured here) and both loss curves. Run it on a quiet
# machine: the peers run one after another, so load from other work skews the ratios (an MFU above
# 100% means the sgemm figure was taken at a busier moment).
# Env: FTX_BIN (release ftx), FTX_SMOLLM2 (model), STEPS (default 6), THREADS (default 2),
#      VENV (python with torch/transformers/peft/gguf; default .cache/venv), SKIP_TORCH=1,
#      QLORA_CKPT (gradient checkpointing for the QLoRA run; default false), SKIP_QLORA=1 (LoRA only).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
FTX_BIN=${FTX_BIN:-$ROOT/.build/release/ftx}
MODEL=${FTX_SMOLLM2:-$ROOT/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$(realpath "$2"); shift 2 ;;
    *) echo "usage: $0 [--model FILE|DIR]" >&2; exit 2 ;;
  esac
done
STEPS=${STEPS:-6}; THREADS=${THREADS:-2}
PY=${VENV:-$ROOT/.cache/venv}/bin/python
WORK=$(mktemp -d /tmp/ftx-bench-train.XXXXXX)
trap 'rm -rf "$WORK"' EXIT  # adapters and logs of every run: large and of no use afterwards
[ -x "$FTX_BIN" ] || { echo "build first: swift build -c release" >&2; exit 2; }
[ -e "$MODEL" ] || { echo "model missing: $MODEL (make model, or bench/models/run.sh)" >&2; exit 2; }
if [ "${SKIP_TORCH:-0}" != 1 ] && ! "$PY" -c "import torch, transformers, peft, gguf" 2>/dev/null; then
  python3 -m venv "$(dirname "$(dirname "$PY")")"
  "$PY" -m pip install --quiet -r bench/train/requirements.txt
fi
SHAPE=$("$PY" bench/train/model_shape.py "$MODEL")
echo "model: $MODEL   threads: $THREADS   load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/train/make_data.py "$WORK/train.jsonl" $((STEPS * 8))

SGEMM=$(OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS "$PY" bench/train/sgemm.py 2>/dev/null || OPENBLAS_NUM_THREADS=$THREADS python3 bench/train/sgemm.py)

run_ftx() {  # $1 = adapter kind, $2 = gradient_checkpointing
  cat > "$WORK/$1.yaml" <<YAML
base_model: $MODEL
data: {train: $WORK/train.jsonl}
output_dir: $WORK/out-$1
adapter: $1
lora_r: 8
lora_alpha: 16
lora_target_modules: all-linear
learning_rate: 2.0e-4
lr_scheduler: constant
max_steps: $STEPS
micro_batch_size: 8
max_seq_length: 256
long_sequences: truncate
shuffle: false
gradient_checkpointing: $2
threads: $THREADS
YAML
  /usr/bin/time -f "%M" -o "$WORK/$1.rss" "$FTX_BIN" train -c "$WORK/$1.yaml" --no-progress >/dev/null
}
[ "${SKIP_QLORA:-0}" = 1 ] || run_ftx qlora ${QLORA_CKPT:-false}
run_ftx lora false

summ() {  # steady-state tok/s (steps after the first) and losses from a train log
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
steady = rows[1:] or rows
tps = sum(r["tokens"] for r in steady) / sum(r["tokens"] / r["tokens_per_s"] for r in steady)
print(json.dumps({"tps": tps, "losses": [round(r["loss"], 4) for r in rows]}))
PY
}
F=$(summ "$WORK/out-lora/train_log.jsonl"); FRSS=$(cat "$WORK/lora.rss")
if [ "${SKIP_QLORA:-0}" = 1 ]; then Q='{"tps": 0, "losses": []}'; QRSS=0
else Q=$(summ "$WORK/out-qlora/train_log.jsonl"); QRSS=$(cat "$WORK/qlora.rss"); fi

if [ "${SKIP_TORCH:-0}" != 1 ]; then
  /usr/bin/time -f "%M" -o "$WORK/torch.rss" "$PY" bench/train/peft_bench.py "$MODEL" "$WORK/train.jsonl" "$STEPS" "$THREADS" > "$WORK/torch.json"
  T=$(cat "$WORK/torch.json"); TRSS=$(cat "$WORK/torch.rss")
else
  T='{"tokens_per_s": 0, "losses": []}'; TRSS=0
fi

python3 - "$Q" "$F" "$T" "$QRSS" "$FRSS" "$TRSS" "$SGEMM" "$THREADS" "${QLORA_CKPT:-false}" "$SHAPE" <<'PY'
import json, sys
q, f, t = (json.loads(x) for x in sys.argv[1:4])
qrss, frss, trss = (int(x) / 1024 for x in sys.argv[4:7])
sgemm = float(sys.argv[7])
# Model FLOPs per token (LoRA: forward 2N + input-gradient 2N; frozen weights get no weight gradient;
# recomputation not counted), N = matmul weights of the model incl. the head (model_shape.py); attention QK/PV.
shape, T = json.loads(sys.argv[10]), 256
N = shape["matmul_params"]
attn = shape["layers"] * 2 * 2 * T * shape["q_width"]
flops_tok = 2 * (2 * N + attn)
def mfu(tps): return 100 * tps * flops_tok / (sgemm * 1e9)
print(f"sgemm ({sys.argv[8]} threads, 2048^3 f32): {sgemm:.1f} GFLOP/s; model FLOPs/token (fwd + input-grad): {flops_tok / 1e6:.0f} M")
print(f"{'':22}{'tok/s':>10}{'peak RSS MB':>14}{'MFU %':>8}")
if q["tps"]:
    print(f"{'ftx QLoRA (quant' + (', ckpt)' if sys.argv[9] == 'true' else ')'):22}{q['tps']:>10.1f}{qrss:>14.0f}{mfu(q['tps']):>8.1f}")
print(f"{'ftx LoRA (f32 base)':22}{f['tps']:>10.1f}{frss:>14.0f}{mfu(f['tps']):>8.1f}")
if t["tokens_per_s"]:
    print(f"{'PyTorch+PEFT (f32)':22}{t['tokens_per_s']:>10.1f}{trss:>14.0f}{mfu(t['tokens_per_s']):>8.1f}")
    qr = f"ftx QLoRA / torch: {q['tps'] / t['tokens_per_s']:.2f}x   " if q["tps"] else ""
    print(f"ratio tok/s  {qr}ftx f32 / torch: {f['tps'] / t['tokens_per_s']:.2f}x   (target >= 1.5x)")
    if qrss:
        print(f"ratio RSS    ftx QLoRA / torch: {qrss / trss:.2f}   (target <= 0.25)")
print("loss per step:")
print("  ftx QLoRA :", q["losses"]); print("  ftx f32   :", f["losses"]); print("  torch     :", [round(x, 4) for x in t["losses"]])
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
