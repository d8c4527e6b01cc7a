"""Async load generator for OpenAI-compatible servers (ftx serve, llama-server, llama-cpp-python).

usage: load.py BASE_URL MODEL PROMPTS.jsonl CONCURRENCY REQUESTS MAX_TOKENS
Sends REQUESTS streaming chat completions (temperature 0), at most CONCURRENCY at a time, with the
chat turns of the sample project's rows (the assistant turn dropped). Prints one JSON object:
aggregate completion tokens/s over the wall time, p50/p95 latency and time to first token (ms,
nearest rank), failures.
"""
import asyncio, json, math, sys, time
import httpx

def nearest_rank(xs, p):
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)] if xs else float("nan")

async def one(client, url, model, messages, max_tokens, out):
    t0 = time.perf_counter(); ttft = None; tokens = 0
    body = {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}
    try:
        async with client.stream("POST", url + "/v1/chat/completions", json=body) as r:
            if r.status_code != 200:
                out["failed"] += 1; return
            async for line in r.aiter_lines():
                if not line.startswith("data: "): continue
                data = line[6:]
                if data == "[DONE]": break
                chunk = json.loads(data)
                if chunk.get("usage"): tokens = chunk["usage"].get("completion_tokens", tokens)
                for c in chunk.get("choices", []):
                    if c.get("delta", {}).get("content"):
                        if ttft is None: ttft = time.perf_counter() - t0
                        if not chunk.get("usage"): out["chunks"] += 1
    except Exception as e:
        out["failed"] += 1; out["error"] = repr(e); return
    out["latency"].append((time.perf_counter() - t0) * 1000)
    out["ttft"].append((ttft if ttft is not None else time.perf_counter() - t0) * 1000)
    out["tokens"] += tokens

async def main():
    url, model, prompts, conc, n, max_tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    rows = [json.loads(l) for l in open(prompts) if l.strip()]
    convs = [[m for m in r["messages"] if m["role"] != "assistant"] for r in rows if "messages" in r]
    out = {"latency": [], "ttft": [], "tokens": 0, "chunks": 0, "failed": 0}
    sem = asyncio.Semaphore(conc)
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=conc)) as client:
        async def task(i):
            async with sem:
                await one(client, url, model, convs[i % len(convs)], max_tokens, out)
        t0 = time.perf_counter()
        await asyncio.gather(*(task(i) for i in range(n)))
        wall = time.perf_counter() - t0
    tokens = out["tokens"] or out["chunks"]
    print(json.dumps({"concurrency": conc, "requests": n, "failed": out["failed"], "wall_s": wall,
                      "tokens": tokens, "tok_s": tokens / wall,
                      "p50_ms": nearest_rank(out["latency"], 50), "p95_ms": nearest_rank(out["latency"], 95),
                      "ttft_p50_ms": nearest_rank(out["ttft"], 50), "error": out.get("error")}))

asyncio.run(main())
