"""Drives a running `ftx serve` with the official openai client (Tests/CLITests/ServeCLITests.swift).

usage: openai_client.py basic BASE_URL KEY
       openai_client.py swap BASE_URL KEY FTX_BIN REPO_DIR
Prints one JSON object on stdout; the Swift test asserts on it.
"""
import json, subprocess, sys, threading, time, urllib.error, urllib.request

import openai

mode, base_url, key = sys.argv[1], sys.argv[2], sys.argv[3]
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=120)
chat = [{"role": "user", "content": "Say hi."}]


def status_of(call):
    try:
        call()
        return 200
    except openai.APIStatusError as e:
        body = e.response.json()
        assert set(body["error"]) >= {"message", "type", "param", "code"}, body
        return e.status_code


def basic():
    out = {}
    raw = client.chat.completions.with_raw_response.create(model="prod", messages=chat, max_tokens=8, temperature=0)
    r = raw.parse()
    out["chat"] = {"text": r.choices[0].message.content, "finish": r.choices[0].finish_reason,
                   "prompt_tokens": r.usage.prompt_tokens, "completion_tokens": r.usage.completion_tokens,
                   "adapter": raw.headers.get("x-ftx-adapter"), "request_id": raw.headers.get("x-request-id")}
    pieces = [c.choices[0].delta.content or "" for c in
              client.chat.completions.create(model="prod", messages=chat, max_tokens=8, temperature=0, stream=True) if c.choices]
    out["stream"] = "".join(pieces)
    c = client.completions.create(model="base", prompt="The capital of France is", max_tokens=6, temperature=0, stop=["\n"])
    out["completion"] = {"text": c.choices[0].text, "object": c.object}
    s = "".join(ch.choices[0].text for ch in
                client.completions.create(model="prod", prompt="One, two,", max_tokens=5, stream=True) if ch.choices)
    out["completion_stream_chars"] = len(s)
    out["models"] = [m.id for m in client.models.list()]
    # Structured output: the text must parse (and fit the schema) whatever the 2-step adapter says.
    schema = {"type": "object", "properties": {"category": {"enum": ["billing", "shipping", "account"]},
                                               "order_id": {"type": "string"}},
              "required": ["category", "order_id"], "additionalProperties": False}
    # A message with an order id to copy: on "Say hi." the string value has nothing to end on, and
    # greedy output may run on in it until max_tokens cuts it (finish "length", no valid JSON).
    ticket = [{"role": "user", "content": "My Nimbus Router (order A-20281) arrived broken."}]
    js = client.chat.completions.create(model="prod", messages=ticket, max_tokens=60, temperature=0,
                                        response_format={"type": "json_schema", "json_schema": {"name": "ticket", "schema": schema, "strict": True}})
    obj = json.loads(js.choices[0].message.content)
    out["json_schema"] = {"keys": sorted(obj), "category_ok": obj["category"] in ("billing", "shipping", "account"),
                          "finish": js.choices[0].finish_reason}
    # Sampled: a complete value parses. (A value cut by max_tokens, finish "length", would not; this
    # seed's output closes within the limit, and the same seed gives the same bytes.)
    jo = client.chat.completions.create(model="base", messages=chat, max_tokens=100, temperature=0.5, seed=4,
                                        response_format={"type": "json_object"})
    out["json_object_finish"] = jo.choices[0].finish_reason
    out["json_object_type"] = type(json.loads(jo.choices[0].message.content)).__name__
    bad_key = openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0)
    big = "x" * (2 << 20)
    out["errors"] = {
        "401": status_of(lambda: bad_key.chat.completions.create(model="prod", messages=chat, max_tokens=2)),
        "404": status_of(lambda: client.chat.completions.create(model="no-such-env", messages=chat, max_tokens=2)),
        "400_n": status_of(lambda: client.chat.completions.create(model="prod", messages=chat, max_tokens=2, n=2)),
        "400_max_tokens": status_of(lambda: client.chat.completions.create(model="prod", messages=chat, max_tokens=10**6)),
        "400_schema": status_of(lambda: client.chat.completions.create(model="prod", messages=chat, max_tokens=2,
                                response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "a+"}}})),
        "413": status_of(lambda: client.chat.completions.create(model="prod", messages=[{"role": "user", "content": big}], max_tokens=2)),
    }
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}

    def raw(path, body=None):
        """Bytes no client library would send (malformed JSON, invalid UTF-8)."""
        req = urllib.request.Request(base_url + path, data=body, headers=h, method="POST" if body is not None else "GET")
        try:
            return urllib.request.urlopen(req).status
        except urllib.error.HTTPError as e:
            return e.code

    out["errors"]["400_json"] = raw("/chat/completions", b'{"messages": [')
    out["errors"]["400_utf8"] = raw("/chat/completions", b'{"messages":[{"role":"user","content":"\xff\xfe"}]}')
    out["errors"]["404_path"] = raw("/nothing")
    return out


def swap(ftx_bin, repo):
    """16 streaming clients; after the first round, `ftx checkout prod@{1}` rolls prod back."""
    lock = threading.Lock()
    results, swapped_at = [], [None]

    def worker(i):
        # Each client streams until it has started a request more than 1 s after the swap.
        for n in range(500):
            started = time.time()
            try:
                with client.chat.completions.with_streaming_response.create(
                        model="prod", messages=[{"role": "user", "content": f"client {i} turn {n}"}],
                        max_tokens=4, temperature=0, stream=True) as resp:
                    adapter = resp.headers.get("x-ftx-adapter")
                    chunks = [line for line in resp.iter_lines() if line.startswith("data: ")]
                    ok = resp.status_code == 200 and chunks and chunks[-1] == "data: [DONE]"
                with lock:
                    results.append({"started": started, "adapter": adapter, "ok": bool(ok)})
            except Exception as e:  # any failure counts
                with lock:
                    results.append({"started": started, "adapter": None, "ok": False, "error": repr(e)})
            with lock:
                if swapped_at[0] is not None and started > swapped_at[0] + 1.0:
                    return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    while True:
        with lock:
            if len(results) >= 16:
                break
        time.sleep(0.05)
    subprocess.run([ftx_bin, "checkout", "prod@{1}"], cwd=repo, check=True, capture_output=True)
    with lock:
        swapped_at[0] = time.time()
    for t in threads:
        t.join()
    s = swapped_at[0]
    return {"total": len(results), "failed": [r for r in results if not r["ok"]],
            "before": sorted({r["adapter"] for r in results if r["started"] < s and r["adapter"]}),
            "after_1s": sorted({r["adapter"] for r in results if r["started"] > s + 1.0})}


print(json.dumps(basic() if mode == "basic" else swap(sys.argv[4], sys.argv[5])))
