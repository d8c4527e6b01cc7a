#!/usr/bin/env python3
"""Writes N synthetic run commits straight into an ftx store (zstd frames over typed headers, as
FTXStore writes them), each with the run header `ftx run` records (params, metrics, gates), on
refs/heads/main. Also writes the same history as a git fast-import stream for the git peer.
With TRAIN_LOG_STEPS=S (bench/ui), each run also gets a train/log.jsonl of S steps (loss, lr,
tokens_per_s; valid_loss every 10 steps), as `ftx run` stores it, for the loss curves; with
RUNS_JSONL=FILE, every run is also written there as one JSON line (message, time, params, metrics,
the train log's loss curve), for importing the same runs into a peer tracker (bench/ui: MLflow).
Usage: gen_runs.py REPO_DIR N GIT_STREAM_OUT"""
import ctypes, ctypes.util, hashlib, json, os, random, sys

repo, n, git_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
zstd.ZSTD_compressBound.restype = ctypes.c_size_t
zstd.ZSTD_compress.restype = ctypes.c_size_t
zstd.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
objects = os.path.join(repo, ".ftx", "objects")

def write(kind, content):
    raw = f"{kind} {len(content)}".encode() + b"\0" + content
    oid = hashlib.sha256(raw).hexdigest()
    cap = zstd.ZSTD_compressBound(len(raw))
    buf = ctypes.create_string_buffer(cap)
    size = zstd.ZSTD_compress(buf, cap, raw, len(raw), 3)
    d = os.path.join(objects, oid[:2])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, oid[2:]), "wb") as f:
        f.write(buf.raw[:size])
    return oid

log_steps = int(os.environ.get("TRAIN_LOG_STEPS", "0"))


def train_log(final_loss, lr):
    """A decaying loss curve ending near `final_loss`, one JSON line per step (sorted keys), and
    the points of the loss and valid_loss curves."""
    lines, curves = [], {"loss": [], "valid_loss": []}
    for step in range(1, log_steps + 1):
        loss = final_loss + 1.5 * (1 - step / log_steps) ** 2 + rng.random() * 0.05
        lines.append(json.dumps({"epoch": 1, "grad_norm": round(rng.random(), 4), "loss": round(loss, 4), "lr": lr, "step": step,
                                 "tokens": 512 * step, "tokens_per_s": round(900 + rng.random() * 50, 1)}, sort_keys=True))
        curves["loss"].append([step, round(loss, 4)])
        if step % 10 == 0:
            lines.append(json.dumps({"step": step, "valid_loss": round(loss + 0.05, 4)}, sort_keys=True))
            curves["valid_loss"].append([step, round(loss + 0.05, 4)])
    return ("\n".join(lines) + "\n").encode(), curves


rng = random.Random(7)
blob = write("blob", b"synthetic adapter bytes\n")
adapter = write("tree", f"blob {blob} adapter_model.safetensors\n".encode())
tree = write("tree", f"tree {adapter} adapter\n".encode())
parent = None
t0 = 1_750_000_000
git = open(git_out, "w")
runs_out = open(os.environ["RUNS_JSONL"], "w") if os.environ.get("RUNS_JSONL") else None
for i in range(n):
    r = rng.choice([4, 8, 16, 32, 64])
    lr = rng.choice([1e-4, 2e-4, 5e-4, 1e-3])
    pr = round(min(1.0, max(0.0, 0.55 + 0.004 * r + rng.gauss(0, 0.08))), 4)
    loss = round(1.5 - pr + rng.random() * 0.1, 4)
    ok = pr >= 0.8
    params = json.dumps({"lora_r": r, "learning_rate": lr, "seed": i}, sort_keys=True, separators=(",", ":"))
    metrics = json.dumps({"pass_rate": pr, "loss": loss}, sort_keys=True, separators=(",", ":"))
    gates = json.dumps([{"detail": f"pass_rate = {pr}", "name": "pass_rate >= 0.8", "passed": ok}], sort_keys=True, separators=(",", ":"))
    sig = f"Bench <bench@example.com> {t0 + 60 * i} +0000"
    run_tree, curves = tree, {}
    if log_steps:
        log, curves = train_log(loss, lr)
        logs = write("tree", f"blob {write('blob', log)} log.jsonl\n".encode())
        run_tree = write("tree", f"tree {adapter} adapter\ntree {logs} train\n".encode())
    head = f"tree {run_tree}\n" + (f"parent {parent}\n" if parent else "") + f"author {sig}\ncommitter {sig}\n"
    head += f"run 1\nbase {'ab' * 32}\nseed {i}\nengine ftx 0.1.0\ncode none\ngate-status {'passed' if ok else 'failed'}\n"
    head += f"metrics {metrics}\ngates {gates}\nparams {params}\n"
    msg = f"run {i}: rank {r}, lr {lr}\n"
    parent = write("commit", (head + "\n" + msg).encode())
    if runs_out:
        runs_out.write(json.dumps({"id": parent, "message": msg.strip(), "time": t0 + 60 * i, "gate_status": "passed" if ok else "failed",
                                   "params": json.loads(params), "metrics": json.loads(metrics), "curves": curves}) + "\n")
    body = msg + f"\nlora_r: {r}\nlearning_rate: {lr}\npass_rate: {pr}\nloss: {loss}\ngate-status: {'passed' if ok else 'failed'}\n"
    git.write(f"commit refs/heads/main\ncommitter Bench <bench@example.com> {t0 + 60 * i} +0000\n"
              f"data {len(body.encode())}\n{body}\n")
git.close()
if runs_out:
    runs_out.close()
os.makedirs(os.path.join(repo, ".ftx", "refs", "heads"), exist_ok=True)
with open(os.path.join(repo, ".ftx", "refs", "heads", "main"), "w") as f:
    f.write(parent + "\n")
print(parent)
