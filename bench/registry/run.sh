#!/usr/bin/env bash
# Run index benchmark (release build): `ftx log --metrics` (ftx runs --history) and `ftx runs`
# queries over N synthetic run commits (default 10,000; target < 0.1 s per command, process start
# included), the full `reindex`, and `git log` over the same history as the peer, in the same run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FTX="${FTX_BIN:-$root/.build/release/ftx}"
if [ ! -x "$FTX" ]; then (cd "$root" && swift build -c release --product ftx >/dev/null); fi
N="${N:-10000}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
"$FTX" init >/dev/null
t0=$(date +%s.%N)
python3 "$root/bench/registry/gen_runs.py" . "$N" git.stream >/dev/null
echo "generated $N run commits in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
git init -q peer && (cd peer && git fast-import --quiet < ../git.stream && git checkout -q main)

python3 - "$FTX" "$N" <<'PY'
import os, resource, statistics, subprocess, sys, time
ftx, n = sys.argv[1], int(sys.argv[2])
cpu = {}
def timed(args, cwd=".", reps=5):
    out, cpus = [], []
    for _ in range(reps):
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out.append(time.perf_counter() - t)
        ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(ru2.ru_utime - ru.ru_utime + ru2.ru_stime - ru.ru_stime)
        if r.returncode != 0:
            sys.exit(f"{' '.join(args)} failed: {r.stderr.decode()}")
    cpu[" ".join(args)] = statistics.median(cpus)
    return statistics.median(out), r.stdout.decode()
print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times include waiting for a CPU)")
t, _ = timed([ftx, "runs", "--reindex"], reps=1)
print(f"ftx runs --reindex (store + run tables, {n} commits): {t:.3f} s")
rows = [
    ("ftx log --metrics, all commits   (runs --history HEAD)", [ftx, "runs", "--history", "HEAD"]),
    ("ftx log --metrics, last 20       (runs --history HEAD -n 20)", [ftx, "runs", "--history", "HEAD", "-n", "20"]),
    ("ftx runs --where 'lora_r <= 16 and pass_rate > 0.8' --sort pass_rate -n 20",
     [ftx, "runs", "--where", "lora_r <= 16 and pass_rate > 0.8", "--sort", "pass_rate", "-n", "20"]),
    ("ftx runs --where 'lora_r <= 16 and pass_rate > 0.8' --json (all matches)",
     [ftx, "runs", "--where", "lora_r <= 16 and pass_rate > 0.8", "--json"]),
    ("ftx runs (all runs, table)", [ftx, "runs"]),
]
results = {}
for label, args in rows:
    t, out = timed(args)
    results[label] = t
    c = cpu[" ".join(args)]
    print(f"{label}: wall {t * 1000:.1f} ms, cpu {c * 1000:.1f} ms ({out.count(chr(10))} lines){'' if t < 0.1 else '  [wall over the 0.1 s target]'}")
gt, gout = timed(["git", "log", "--format=%h %s %b", "main"], cwd="peer")
print(f"peer: git log --format='%h %s %b' over the same {n} commits: wall {gt * 1000:.1f} ms, cpu {cpu['git log --format=%h %s %b main'] * 1000:.1f} ms ({gout.count(chr(10))} lines)")
gq, _ = timed(["git", "log", "--grep=gate-status: failed", "--format=%h %s", "main"], cwd="peer")
print(f"peer: git log --grep='gate-status: failed': {gq * 1000:.1f} ms")
first = rows[0][0]
print(f"ratio ftx log --metrics (all) / git log: wall {results[first] / gt:.2f}x")
tv, _ = timed([ftx, "--version"])
print(f"process start alone (ftx --version): wall {tv * 1000:.1f} ms")
PY
