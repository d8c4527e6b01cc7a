#!/usr/bin/env python3
"""Imports the runs bench/registry/gen_runs.py wrote to RUNS_JSONL into an MLflow tracking store,
through MLflow's Python API (MlflowClient: create_run, log_batch; runs are left RUNNING, as a
set_terminated per run would add a third of the import time and nothing the timed requests read),
as a tracker user would log them:
run name = the ftx message, params, the final metrics, a gate_status tag; the loss curves (train_loss
at every step, valid_loss) for the last HISTORY runs, the ones the compare page shows.
Usage: mlflow_import.py TRACKING_URI RUNS_JSONL HISTORY
Prints {"experiment_id", "run_ids" (oldest first), "seconds"} as JSON on stdout."""
import json, sys, time

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

uri, runs_file, history = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = MlflowClient(tracking_uri=uri)
exp = client.create_experiment("ftx-bench")
lines = open(runs_file).read().splitlines()
t = time.time()
ids = []
for k, line in enumerate(lines):
    r = json.loads(line)
    ms = r["time"] * 1000
    run = client.create_run(exp, start_time=ms, run_name=r["message"], tags={"gate_status": r["gate_status"], "ftx.commit": r["id"]})
    metrics = [Metric(key, float(v), ms, 0) for key, v in sorted(r["metrics"].items())]
    if k >= len(lines) - history:
        for key, points in r["curves"].items():
            name = "train_loss" if key == "loss" else key
            metrics += [Metric(name, float(v), ms + step, step) for step, v in points]
    params = [Param(key, str(v)) for key, v in sorted(r["params"].items())]
    for i in range(0, max(len(metrics), 1), 1000):  # log_batch takes at most 1000 metrics
        client.log_batch(run.info.run_id, metrics=metrics[i:i + 1000], params=params if i == 0 else [])
    ids.append(run.info.run_id)
    if k % 1000 == 999:
        print(f"  imported {k + 1} runs ({time.time() - t:.0f} s)", file=sys.stderr)
print(json.dumps({"experiment_id": exp, "run_ids": ids, "seconds": round(time.time() - t, 1)}))
