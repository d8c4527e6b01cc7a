#!/usr/bin/env python3
"""Server time and bytes of the `ftx ui` pages and of the MLflow UI's data requests, with curl
(time_total, size_download): four unmeasured requests (mlflow ui answers with four worker
processes, each warming up on its first request), then the median of REPEATS. A view that the
browser builds from several requests (MLflow's compare: each run, then each curve) is timed as
those requests one after another, summed.
Usage: measure.py REPEATS FTX_URL FTX_IDS [MLFLOW_URL EXPERIMENT_ID MLFLOW_IDS]   (ids comma-separated, newest first)"""
import json, statistics, subprocess, sys, urllib.parse

repeats = int(sys.argv[1])
TARGET_MS = {"runs": 300, "compare": 200}


def curl(url, body=None):
    args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}", url]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    code, t, size = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split()
    if code != "200":
        sys.exit(f"{url}: HTTP {code}")
    return float(t), int(size)


def timed(requests):
    """Median seconds and the bytes of one view made of `requests` (url, body) in sequence."""
    for _ in range(4):
        for url, body in requests:
            curl(url, body)
    times, size = [], 0
    for _ in range(repeats):
        total, size = 0.0, 0
        for url, body in requests:
            t, n = curl(url, body)
            total, size = total + t, size + n
        times.append(total)
    return statistics.median(times), size


def show(label, kind, result):
    t, size = result
    target = TARGET_MS.get(kind)
    mark = "" if target is None or t * 1000 < target else f"  [over the {target} ms target]"
    print(f"{label}: {t * 1000:.1f} ms, {size:,} bytes{mark}")
    return t


results = {}
ftx, ids = sys.argv[2].rstrip("/"), sys.argv[3].split(",")
where = urllib.parse.quote("lora_r <= 16 and pass_rate > 0.8")
results["ftx runs"] = show("ftx ui  runs page (index.html, first page)", "runs", timed([(f"{ftx}/index.html", None)]))
results["ftx runs filtered"] = show("ftx ui  runs page filtered+sorted (where lora_r <= 16 and pass_rate > 0.8, sort pass_rate)", "runs",
                                    timed([(f"{ftx}/index.html?where={where}&sort=pass_rate", None)]))
show("ftx ui  runs.json (first page)", None, timed([(f"{ftx}/runs.json", None)]))
for n in (2, 8):
    results[f"ftx compare {n}"] = show(f"ftx ui  compare page, {n} runs (compare/{ids[0][:12]},…html)", "compare",
                                       timed([(f"{ftx}/compare/{','.join(i[:12] for i in ids[:n])}.html", None)]))

if len(sys.argv) > 4:
    ml, exp, mids = sys.argv[4].rstrip("/"), sys.argv[5], sys.argv[6].split(",")
    api = f"{ml}/ajax-api/2.0/mlflow"
    # What the experiment page posts (its first page of runs, newest first).
    search = {"experiment_ids": [exp], "filter": "", "run_view_type": "ACTIVE_ONLY", "max_results": 100, "order_by": ["attributes.start_time DESC"]}
    results["mlflow runs"] = show("mlflow ui runs/search (max_results 100, newest first)", None, timed([(f"{api}/runs/search", search)]))
    # MLflow params are strings (=, !=, LIKE only): lora_r <= 16 over the generated ranks 4..64.
    filtered = dict(search, filter="params.lora_r != '32' and params.lora_r != '64' and metrics.pass_rate > 0.8", order_by=["metrics.pass_rate DESC"])
    results["mlflow runs filtered"] = show("mlflow ui runs/search filtered+sorted (same filter, by pass_rate)", None,
                                           timed([(f"{api}/runs/search", filtered)]))
    for n in (2, 8):
        reqs = [(f"{api}/runs/get?run_id={r}", None) for r in mids[:n]]
        reqs += [(f"{api}/metrics/get-history?run_uuid={r}&metric_key={k}", None) for r in mids[:n] for k in ("train_loss", "valid_loss")]
        results[f"mlflow compare {n}"] = show(f"mlflow ui compare data, {n} runs (runs/get + metrics/get-history × 2 curves, per run)", None,
                                              timed(reqs))
    for a, b in [("runs", "runs"), ("runs filtered", "runs filtered"), ("compare 2", "compare 2"), ("compare 8", "compare 8")]:
        print(f"ratio ftx / mlflow, {a}: {results['ftx ' + a] / results['mlflow ' + b]:.2f}x")
