#!/usr/bin/env bash
# ftx data check on a generated 1,000,000-example (~500 MB) completion file with planted exact
# duplicates, near duplicates and contradictions; recall of each planted kind; wall time and peak
# RSS; and, in the same run (alternating, fastest of RUNS=2 each), a straightforward pandas read_json + drop_duplicates pass on the same file.
#   bench/data/run.sh            (N=1000000 by default; N=100000 bench/data/run.sh for a quick run)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
N=${N:-1000000}
OUT=${BENCH_OUT:-$ROOT/bench/out/data}
VENV=$ROOT/.cache/bench-venv
mkdir -p "$OUT"

if [ -z "${FTX_BIN:-}" ]; then
  swift build -c release --product ftx >/dev/null
  FTX_BIN=$ROOT/.build/release/ftx
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet pandas
fi
PY=$VENV/bin/python

DATA=$OUT/bench-$N.jsonl
TRUTH=$OUT/bench-$N.truth.json
if [ ! -s "$DATA" ] || [ ! -s "$TRUTH" ]; then
  "$PY" bench/data/generate.py "$DATA" "$TRUTH" "$N"
fi
SIZE_MB=$(( $(stat -c %s "$DATA") / 1000000 ))
echo "dataset: $DATA ($N examples, $SIZE_MB MB), $(nproc) CPUs"
cat "$DATA" > /dev/null  # warm the page cache for both tools alike

measure() {  # measure NAME CMD… → prints wall seconds and peak RSS from /usr/bin/time -v
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.time" || true
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$OUT/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep "Maximum resident set size" "$OUT/$name.time" | awk '{print $NF}')
  local cpu
  cpu=$(awk -F: '/User time|System time/ {s+=$2} END {printf "%.1f", s}' "$OUT/$name.time")
  echo "$name $wall $rss $cpu"
}

# The machine may be shared: run the two tools alternately RUNS times and keep each one's fastest run.
RUNS=${RUNS:-2}
FTX_WALL=; PD_WALL=
for r in $(seq "$RUNS"); do
  read -r _ w rss cpu < <(measure ftx "$FTX_BIN" data check "$DATA" --json)
  echo "  run $r: ftx    wall $w s, cpu $cpu s, peak RSS $((rss / 1024)) MB"
  if [ -z "$FTX_WALL" ] || awk -v a="$w" -v b="$FTX_WALL" 'BEGIN { exit !(a < b) }'; then
    FTX_WALL=$w; FTX_RSS=$rss; FTX_CPU=$cpu; cp "$OUT/ftx.stdout" "$OUT/ftx.best.json"
  fi
  read -r _ w rss cpu < <(measure pandas "$PY" bench/data/pandas_dedup.py "$DATA")
  echo "  run $r: pandas wall $w s, cpu $cpu s, peak RSS $((rss / 1024)) MB"
  if [ -z "$PD_WALL" ] || awk -v a="$w" -v b="$PD_WALL" 'BEGIN { exit !(a < b) }'; then
    PD_WALL=$w; PD_RSS=$rss; PD_CPU=$cpu
  fi
done

echo
echo "ftx data check (exact + near duplicates, contradictions, style drift), fastest of $RUNS:"
printf "  wall %.2f s   cpu %.1f s   peak RSS %d MB\n" "$FTX_WALL" "$FTX_CPU" $((FTX_RSS / 1024))
"$PY" bench/data/score.py "$OUT/ftx.best.json" "$TRUTH" | sed 's/^/  /'
echo "pandas read_json + drop_duplicates (exact duplicates only), fastest of $RUNS:"
printf "  wall %.2f s   cpu %.1f s   peak RSS %d MB\n" "$PD_WALL" "$PD_CPU" $((PD_RSS / 1024))
sed 's/^/  /' "$OUT/pandas.stdout"
echo
awk -v f="$FTX_WALL" -v p="$PD_WALL" -v fr="$FTX_RSS" -v fc="$FTX_CPU" -v pc="$PD_CPU" 'BEGIN {
  printf "speed: ftx is %.2fx pandas (wall %.2f s vs %.2f s; >1 = faster)\n", p / f, f, p
  printf "cpu:   ftx %.1f s vs pandas %.1f s (%.2fx)\n", fc, pc, pc / fc
  printf "targets: faster than pandas: %s; peak RSS < 1 GB: %s (%d MB)\n", (f < p ? "yes" : "NO"), (fr < 1048576 ? "yes" : "NO"), fr / 1024 }'
