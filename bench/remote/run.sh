#!/usr/bin/env bash
# Remote benchmark: ftx push / clone / pull against `aws s3 sync` (up and down) and `dvc push` /
# `dvc pull`, all to one moto S3 server on loopback, on
#   (a) a 1 GiB JSONL dataset, (b) 20,000 small files (10 MiB in all), (c) the second version of (a)
#   with 1% of its rows edited (pushed after (a); pulled into the copy made from (a)).
# Prints wall seconds, bytes sent (what each upload added to the bucket) and ratios, from one run.
#   FTX_BIN=path/to/ftx        default .build/release/ftx (built if missing)
#   BENCH_SIZE=bytes           size of (a), default 1073741824
#   BENCH_FILES=n BENCH_SMALL_BYTES=bytes   (b), default 20000 files, 10485760 bytes
#   BENCH_TOOLS="ftx aws dvc"  the tools to run (ratios need ftx); BENCH_CASES="b a c" the cases
#   ((c) needs (a))
# moto 5.2.1 now and then fails one of dvc's multipart uploads on a loaded machine ("seek of closed
# file" in complete_multipart_upload, in moto.log; dvc reports NoSuchUpload): the run stops there;
# BENCH_TOOLS=dvc BENCH_CASES="a c" reruns only those.
set -Eeuo pipefail
trap 'echo "bench/remote: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SIZE="${BENCH_SIZE:-1073741824}"
NFILES="${BENCH_FILES:-20000}"
SMALL="${BENCH_SMALL_BYTES:-10485760}"
FTX="${FTX_BIN:-$ROOT/.build/release/ftx}"
if [ ! -x "$FTX" ]; then swift build -c release --product ftx >&2; FTX="$ROOT/.build/release/ftx"; fi
WORK="$ROOT/.cache/bench-remote"
MOTO_VENV="$ROOT/.cache/venv-moto"
VENV="$ROOT/.cache/bench-venv-remote"
mkdir -p "$WORK"

# Tools: moto[server] as `make moto` installs it; the peers, pinned, from PyPI into a venv of
# their own (reinstalled when the pins change).
make -s moto >&2
PEERS='dvc[s3]==3.67.1 awscli==1.46.3'
if [ "$(cat "$VENV/.peers" 2>/dev/null)" != "$PEERS" ]; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q $PEERS >&2 && echo "$PEERS" > "$VENV/.peers"
fi
AWS="$VENV/bin/aws"; DVC="$VENV/bin/dvc"
TOOLS="${BENCH_TOOLS:-ftx aws dvc}"
CASES="${BENCH_CASES:-b a c}"

# Data.
DATA="$WORK/data-$SIZE.jsonl"; DATA2="$WORK/data-$SIZE-edited.jsonl"; FILES="$WORK/files-$NFILES"
[ -f "$DATA" ] || python3 bench/store/gen_jsonl.py make "$DATA" "$SIZE"
[ -f "$DATA2" ] || python3 bench/store/gen_jsonl.py edit "$DATA" "$DATA2" 1
[ -d "$FILES" ] || python3 bench/remote/gen_small.py "$FILES" "$NFILES" "$SMALL"

# One moto server for everyone.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EP="http://127.0.0.1:$PORT"
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" > "$WORK/moto.log" 2>&1 &
MOTO_PID=$!
SCRATCH="$WORK/run"
cleanup() { kill "$MOTO_PID" 2>/dev/null || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export HOME="$WORK/home"; mkdir -p "$HOME"
for _ in $(seq 1 120); do curl -s -o /dev/null "$EP" && break; sleep 0.5; done
"$AWS" --endpoint-url "$EP" s3 mb s3://bench >/dev/null

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
stored() { "$AWS" --endpoint-url "$EP" s3 ls "s3://bench/$1/" --recursive --summarize | awk '/Total Size/ {print $3}'; }
warm() { find "$@" -type f -exec cat {} + > /dev/null; }
RESULTS="$WORK/results.txt"; : > "$RESULTS"; : > "$WORK/dvc.log"
record() { echo "$*" >> "$RESULTS"; echo "$*" >&2; }   # case tool op seconds bytes
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
rm -rf "$SCRATCH"; mkdir -p "$SCRATCH"

# ftx: add + commit are local (not timed); push, clone and pull are.
ftx_case() {  # name source(file or dir)
  local name=$1 src=$2 d="$SCRATCH/ftx-$1" t0 t1 b
  mkdir -p "$d"; cp -r "$src" "$d/"; warm "$d"
  (cd "$d" && "$FTX" init >/dev/null && "$FTX" add . 2>/dev/null && "$FTX" commit -m v1 >/dev/null \
   && "$FTX" remote add origin "s3://bench/ftx-$name" --endpoint "$EP")
  t0=$(now); (cd "$d" && "$FTX" push >/dev/null 2>&1); t1=$(now)
  record "$name ftx push $(secs $t0 $t1) $(stored ftx-$name)"
  t0=$(now); "$FTX" clone "s3://bench/ftx-$name" "$d-clone" --endpoint "$EP" >/dev/null 2>&1; t1=$(now)
  record "$name ftx clone $(secs $t0 $t1) 0"
  diff -rq "$d/$(basename "$src")" "$d-clone/$(basename "$src")" >/dev/null || { echo "ftx clone differs ($name)" >&2; exit 1; }
}

aws_case() {
  local name=$1 src=$2 d="$SCRATCH/aws-$1" t0 t1
  mkdir -p "$d"; cp -r "$src" "$d/"; warm "$d"
  t0=$(now); "$AWS" --endpoint-url "$EP" s3 sync --only-show-errors "$d" "s3://bench/aws-$name"; t1=$(now)
  record "$name aws push $(secs $t0 $t1) $(stored aws-$name)"
  t0=$(now); "$AWS" --endpoint-url "$EP" s3 sync --only-show-errors "s3://bench/aws-$name" "$d-clone"; t1=$(now)
  record "$name aws clone $(secs $t0 $t1) 0"
  diff -rq "$d" "$d-clone" >/dev/null || { echo "aws download differs ($name)" >&2; exit 1; }
}

# dvc's -q hides its errors too: its output goes to a log, shown when it fails.
dvcq() { "$DVC" "$@" >> "$WORK/dvc.log" 2>&1 || { echo "dvc $* failed:" >&2; tail -20 "$WORK/dvc.log" >&2; return 1; }; }

dvc_case() {
  local name=$1 src=$2 d="$SCRATCH/dvc-$1" t0 t1 base
  base=$(basename "$src")
  mkdir -p "$d"; cp -r "$src" "$d/"; warm "$d"
  (cd "$d" && dvcq init --no-scm && dvcq remote add -d s3 "s3://bench/dvc-$name" \
   && dvcq remote modify s3 endpointurl "$EP" && dvcq add "$base")
  t0=$(now); (cd "$d" && dvcq push); t1=$(now)
  record "$name dvc push $(secs $t0 $t1) $(stored dvc-$name)"
  # A teammate's copy: the .dvc files and config, no cache, no data.
  mkdir -p "$d-clone"; cp -r "$d/.dvc" "$d/$base.dvc" "$d-clone/"; rm -rf "$d-clone/.dvc/cache" "$d-clone/.dvc/tmp"
  t0=$(now); (cd "$d-clone" && dvcq pull); t1=$(now)
  record "$name dvc clone $(secs $t0 $t1) 0"
  diff -rq "$d/$base" "$d-clone/$base" >/dev/null || { echo "dvc pull differs ($name)" >&2; exit 1; }
}

run_tools=" $TOOLS "
has() { [[ " $run_tools " == *" $1 "* ]]; }
case_on() { [[ " $CASES " == *" $1 "* ]]; }
if case_on b; then for tool in $run_tools; do "${tool}_case" b "$FILES"; done; fi
if case_on a; then for tool in $run_tools; do "${tool}_case" a "$DATA"; done; fi
case_on c || run_tools=""

# (c): the edited version over (a), then brought into (a)'s copy.
base=$(basename "$DATA")
if has ftx; then
d="$SCRATCH/ftx-a"; cp "$DATA2" "$d/$base"; warm "$d"
(cd "$d" && "$FTX" add . 2>/dev/null && "$FTX" commit -m v2 >/dev/null)
before=$(stored ftx-a)
t0=$(now); (cd "$d" && "$FTX" push >/dev/null 2>&1); t1=$(now)
record "c ftx push $(secs $t0 $t1) $(( $(stored ftx-a) - before ))"
t0=$(now); (cd "$d-clone" && "$FTX" pull >/dev/null 2>&1); t1=$(now)
record "c ftx clone $(secs $t0 $t1) 0"
cmp -s "$DATA2" "$d-clone/$base" || { echo "ftx pull differs" >&2; exit 1; }
fi

if has aws; then
d="$SCRATCH/aws-a"; cp "$DATA2" "$d/$base"; warm "$d"
etag() { "$AWS" --endpoint-url "$EP" s3api head-object --bucket bench --key "aws-a/$base" --query ETag --output text; }
before=$(etag)
t0=$(now); "$AWS" --endpoint-url "$EP" s3 sync --only-show-errors "$d" s3://bench/aws-a; t1=$(now)
# S3 keeps one version per key, so the bucket does not grow: sync replaced the object, sending the
# whole file again (S3 has no partial writes); the new ETag shows that it did.
[ "$(etag)" != "$before" ] || { echo "aws s3 sync did not upload the edited file" >&2; exit 1; }
record "c aws push $(secs $t0 $t1) $(stat -c %s "$DATA2")"
t0=$(now); "$AWS" --endpoint-url "$EP" s3 sync --only-show-errors s3://bench/aws-a "$d-clone"; t1=$(now)
record "c aws clone $(secs $t0 $t1) 0"
fi

if has dvc; then
  d="$SCRATCH/dvc-a"; cp "$DATA2" "$d/$base"; warm "$d"
  (cd "$d" && dvcq add "$base")
  before=$(stored dvc-a)
  t0=$(now); (cd "$d" && dvcq push); t1=$(now)
  record "c dvc push $(secs $t0 $t1) $(( $(stored dvc-a) - before ))"
  cp "$d/$base.dvc" "$d-clone/"
  t0=$(now); (cd "$d-clone" && dvcq pull); t1=$(now)
  record "c dvc clone $(secs $t0 $t1) 0"
fi

python3 - "$RESULTS" "$SIZE" "$NFILES" "$SMALL" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
size, nfiles, small, load, cores = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
r = {(c, t, op): (float(s), int(b)) for c, t, op, s, b in rows}
names = {"a": f"(a) {size / 2**30:.2f} GiB JSONL", "b": f"(b) {nfiles} files, {small / 2**20:.0f} MiB",
         "c": "(c) (a), 1% of rows edited"}
nan = (float("nan"), 0)
print(f"moto S3 server on loopback; load average after the run: {load} on {cores} cores")
print(f"{'case':29} {'tool':11} {'push s':>7} {'x ftx':>6} {'sent MB':>9} {'of size':>8} {'x ftx':>7} {'clone s':>8} {'x ftx':>6}")
for c in "bac":
    if not any(k[0] == c for k in r): continue
    total = {"a": size, "b": small, "c": size}[c]
    fp, fb, fc = r.get((c, "ftx", "push"), nan)[0], r.get((c, "ftx", "push"), nan)[1], r.get((c, "ftx", "clone"), nan)[0]
    first = True
    for t, label in (("ftx", "ftx"), ("aws", "aws s3 sync"), ("dvc", "dvc")):
        if (c, t, "push") not in r: continue
        ps, pb = r[(c, t, "push")]
        cs = r.get((c, t, "clone"), nan)[0]
        print(f"{names[c] if first else '':29} {label:11} {ps:7.2f} {ps / fp:5.2f}x {pb / 1e6:9.2f} {pb / total:8.1%} "
              f"{pb / fb if fb else float('nan'):6.2f}x {cs:8.2f} {cs / fc:5.2f}x")
        first = False
print("x ftx: the tool's figure over ftx's (above 1x: the peer took longer or sent more). sent: bytes each upload")
print("added to the bucket ((c) aws: the whole re-uploaded object). clone: ftx clone / aws s3 sync down / dvc pull;")
print("for (c) ftx pull / aws s3 sync down / dvc pull into the copy made from (a).")
if ("c", "ftx", "push") in r:
    print(f"targets: (b) ftx >= 1x aws s3 sync and >= 3x dvc; (c) ftx sends <= 5% of the file: {r[('c', 'ftx', 'push')][1] / size:.2%}")
PY
