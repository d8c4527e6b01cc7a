#!/usr/bin/env bash
# Store benchmark: ftx add+commit of a 1 GiB JSONL dataset vs git, dvc and `sha256sum | zstd -3`,
# then a 1%-edited second version: new bytes stored by ftx vs the file size.
#   FTX_BIN=path/to/ftx  (default .build/release/ftx, built if missing)
#   BENCH_SIZE=bytes     (default 1073741824)
#   BENCH_SKIP_GIT=1     skip git (slow: zlib at one core)
#   BENCH_RT=1           run the timed commands under SCHED_FIFO (chrt -f, needs root): on a
#                        machine shared with other work they are then not preempted by it, so
#                        wall times approach an idle machine's (CPU seconds are printed anyway)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SIZE="${BENCH_SIZE:-1073741824}"
FTX="${FTX_BIN:-$ROOT/.build/release/ftx}"
if [ ! -x "$FTX" ]; then swift build -c release --product ftx >&2; FTX="$ROOT/.build/release/ftx"; fi
WORK="$ROOT/.cache/bench-store"
VENV="$ROOT/.cache/bench-venv"
mkdir -p "$WORK"

DATA="$WORK/data-$SIZE.jsonl"
DATA2="$WORK/data-$SIZE-edited.jsonl"
[ -f "$DATA" ] || python3 bench/store/gen_jsonl.py make "$DATA" "$SIZE"
[ -f "$DATA2" ] || python3 bench/store/gen_jsonl.py edit "$DATA" "$DATA2" 1
BYTES=$(stat -c %s "$DATA")

DVC=""
if [ -x "$VENV/bin/dvc" ]; then DVC="$VENV/bin/dvc"; else
  if [ ! -d "$VENV" ]; then python3 -m venv "$VENV"; fi
  if "$VENV/bin/pip" install -q dvc >&2; then DVC="$VENV/bin/dvc"; else echo "dvc could not be installed; skipping it" >&2; fi
fi

now() { date +%s.%N; }
RT=""
if [ "${BENCH_RT:-0}" = 1 ]; then
  if chrt -f 10 true 2>/dev/null; then RT="chrt -f 10"; else echo "BENCH_RT=1 needs root (chrt); timing normally" >&2; fi
fi
# cpu CMD...: runs CMD, adding its user+sys CPU seconds (children included) to $CPU_FILE.
CPU_FILE="$WORK/cpu.txt"
cpu() { /usr/bin/time -a -o "$CPU_FILE" -f "%U %S" $RT "$@"; }
cpu_total() { awk '{s+=$1+$2} END {printf "%.2f\n", s}' "$CPU_FILE"; }
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
warm() { cat "$1" > /dev/null; }
fresh() { rm -rf "$WORK/$1"; mkdir -p "$WORK/$1"; cp "$DATA" "$WORK/$1/data.jsonl"; sync; warm "$WORK/$1/data.jsonl"; }
dirbytes() { du -sb "$@" 2>/dev/null | awk '{s+=$1} END {printf "%d\n", s}'; }

# ftx
fresh ftx
cd "$WORK/ftx"; "$FTX" init >/dev/null
: > "$CPU_FILE"
t0=$(now); cpu "$FTX" add data.jsonl; cpu "$FTX" commit -m v1 >/dev/null; t1=$(now)
FTX_T=$(echo "$t1 - $t0" | bc); FTX_CPU=$(cpu_total)
STORE1=$(dirbytes .ftx/objects .ftx/packs)
cp "$DATA2" data.jsonl; sync; warm data.jsonl
t0=$(now); $RT "$FTX" add data.jsonl; $RT "$FTX" commit -m v2 >/dev/null; t1=$(now)
FTX_T2=$(echo "$t1 - $t0" | bc)
STORE2=$(dirbytes .ftx/objects .ftx/packs)
"$FTX" fsck >/dev/null
echo "ftx: v1 ${FTX_T}s store ${STORE1}; v2 ${FTX_T2}s store ${STORE2}" >&2
cd "$ROOT"; rm -rf "$WORK/ftx"

# sha256sum | zstd -3 (one pass: hash and compress side by side)
warm "$DATA"
: > "$CPU_FILE"
t0=$(now); cpu bash -c 'tee >(sha256sum > "$0/sum.txt") < "$1" | zstd -3 -q -c > "$0/data.zst"' "$WORK" "$DATA"; t1=$(now)
SZ_T=$(echo "$t1 - $t0" | bc); SZ_CPU=$(cpu_total); ZST_BYTES=$(stat -c %s "$WORK/data.zst"); rm -f "$WORK/data.zst"
echo "sha256sum|zstd -3: ${SZ_T}s" >&2

# git
GIT_T=""; GIT_CPU=""
if [ "${BENCH_SKIP_GIT:-0}" != 1 ]; then
  fresh git; cd "$WORK/git"; git init -q .
  : > "$CPU_FILE"
  t0=$(now); cpu git add data.jsonl; cpu git -c user.name=b -c user.email=b@b commit -qm v1; t1=$(now)
  GIT_T=$(echo "$t1 - $t0" | bc); GIT_CPU=$(cpu_total); echo "git: ${GIT_T}s" >&2
  cd "$ROOT"; rm -rf "$WORK/git"
fi

# dvc
DVC_T=""; DVC_CPU=""; DVC_T2=""; DVC_STORE1=""; DVC_STORE2=""
if [ -n "$DVC" ]; then
  fresh dvc; cd "$WORK/dvc"; "$DVC" init -q --no-scm
  : > "$CPU_FILE"
  t0=$(now); cpu "$DVC" add -q data.jsonl; t1=$(now)
  DVC_T=$(echo "$t1 - $t0" | bc); DVC_CPU=$(cpu_total); DVC_STORE1=$(dirbytes .dvc/cache); echo "dvc: ${DVC_T}s" >&2
  rm -f data.jsonl; cp "$DATA2" data.jsonl; sync; warm data.jsonl
  t0=$(now); $RT "$DVC" add -q data.jsonl; t1=$(now)
  DVC_T2=$(echo "$t1 - $t0" | bc); DVC_STORE2=$(dirbytes .dvc/cache)
  cd "$ROOT"; rm -rf "$WORK/dvc"
fi

[ -n "$RT" ] && echo "timed commands ran under SCHED_FIFO (BENCH_RT=1)"
python3 - "$BYTES" "$FTX_T" "$FTX_T2" "$STORE1" "$STORE2" "$SZ_T" "$ZST_BYTES" "${GIT_T:-nan}" "${DVC_T:-nan}" "${DVC_T2:-nan}" "${DVC_STORE1:-0}" "${DVC_STORE2:-0}" "$FTX_CPU" "$SZ_CPU" "${GIT_CPU:-nan}" "${DVC_CPU:-nan}" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import math, sys
b, ft, ft2, s1, s2, szt, zb, gt, dt, dt2, ds1, ds2, fc, szc, gc, dc, load = sys.argv[1:]
fc, szc, gc, dc = map(float, (fc, szc, gc, dc))
b = int(b); ft, ft2, szt, gt, dt, dt2 = map(float, (ft, ft2, szt, gt, dt, dt2))
s1, s2, zb, ds1, ds2 = (int(float(x)) for x in (s1, s2, zb, ds1, ds2))
mib = b / 2**20
print(f"dataset: {b} bytes ({mib:.0f} MiB) JSONL; second version: 1% of rows edited, spread through the file")
print(f"load average after the run: {load} (wall times depend on it; CPU seconds less so)")
print(f"{'tool':26} {'wall s':>8} {'MiB/s':>7} {'wall ratio':>11} {'CPU s':>7} {'CPU ratio':>10}")
def row(name, t, c):
    if math.isnan(t): print(f"{name:26} {'n/a':>8}"); return
    print(f"{name:26} {t:8.2f} {mib / t:7.0f} {t / ft:10.2f}x {c:7.2f} {c / fc:9.2f}x")
row("ftx add + commit", ft, fc)
row("sha256sum | zstd -3", szt, szc)
row("git add + commit", gt, gc)
row("dvc add", dt, dc)
print()
print(f"ftx store after v1: {s1} bytes ({s1 / b:.1%} of the file; zstd -3 of the whole file: {zb / b:.1%})")
print(f"ftx v2 add + commit: {ft2:.2f} s; new bytes stored: {s2 - s1} = {(s2 - s1) / b:.2%} of the file size (target <= 5%)")
if not math.isnan(dt2):
    print(f"dvc v2 add: {dt2:.2f} s; new bytes stored: {ds2 - ds1} = {(ds2 - ds1) / b:.2%} of the file size")
if not math.isnan(dt):
    print(f"ratio dvc add / ftx add+commit: {dt / ft:.2f}x wall, {dc / fc:.2f}x CPU (target >= 2x)")
PY
