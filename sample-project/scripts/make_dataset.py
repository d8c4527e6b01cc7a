#!/usr/bin/env python3
"""Generates the sample project's dataset: customer-support messages -> a fixed JSON record.

Deterministic (fixed seed, no wall clock): the same file every time, so ids, splits and
trained adapters are reproducible. A few defects are planted on purpose so `ftx data check`
has something real to report: exact duplicates, a near duplicate and one contradiction.

Usage: python3 scripts/make_dataset.py [--out data/all.jsonl] [--n 360]
"""
import argparse
import json
import os
import random

SYSTEM = "Extract a JSON record with keys category, priority, product, order_id from the support message."

PRODUCTS = ["Aurora Lamp", "Nimbus Router", "Pulse Watch", "Terra Backpack", "Echo Speaker", "Glide Mouse"]

# category -> message templates; {p} product, {o} order id phrase
TEMPLATES = {
    "billing": [
        "I was charged twice for my {p}{o}. Please refund the extra payment.",
        "My invoice for the {p}{o} shows the wrong amount.",
        "Why did my card get billed again for the {p}{o}?",
        "The discount code did not apply to my {p}{o}, I paid full price.",
    ],
    "shipping": [
        "My {p}{o} has not arrived yet and tracking stopped updating.",
        "The courier says my {p}{o} was delivered but I never got it.",
        "Can you ship my {p}{o} to a different address?",
        "The box of my {p}{o} arrived crushed.",
    ],
    "technical": [
        "My {p}{o} keeps restarting every few minutes.",
        "The {p}{o} will not connect to the app after the update.",
        "The {p}{o} battery drains in an hour.",
        "Firmware update failed on my {p}{o} and now it is stuck.",
    ],
    "returns": [
        "I want to return the {p}{o}, it is not what I expected.",
        "How do I send back my {p}{o} for an exchange?",
        "The {p}{o} is the wrong color, I would like to return it.",
    ],
    "account": [
        "I cannot log in to manage my {p}{o}, password reset never arrives.",
        "Please change the email on my account, I registered the {p}{o} with an old one.",
        "Someone else is logged in to my account where I registered my {p}{o}.",
    ],
}

URGENT = ["This is urgent!", "I need this fixed today.", "URGENT: please help now."]
HIGH = ["Please help soon.", "This is really frustrating.", "I have asked twice already."]
LOW = ["No rush.", "Whenever you get a chance.", "Just letting you know."]


def record(rng, i):
    category = rng.choice(sorted(TEMPLATES))
    product = rng.choice(PRODUCTS)
    has_order = rng.random() < 0.7
    order_id = f"A-{rng.randint(10000, 99999)}" if has_order else None
    o = f" (order {order_id})" if has_order else ""
    text = rng.choice(TEMPLATES[category]).format(p=product, o=o)
    r = rng.random()
    if r < 0.15:
        priority, text = "urgent", text + " " + rng.choice(URGENT)
    elif r < 0.45:
        priority, text = "high", text + " " + rng.choice(HIGH)
    elif r < 0.75:
        priority = "medium"
    else:
        priority, text = "low", text + " " + rng.choice(LOW)
    out = {"category": category, "priority": priority, "product": product, "order_id": order_id}
    return text, out


def row(i, text, out):
    return {
        "id": f"t{i:04d}",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": text},
            {"role": "assistant", "content": json.dumps(out, separators=(", ", ": "))},
        ],
    }


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(here, "data", "all.jsonl"))
    ap.add_argument("--n", type=int, default=360)
    ap.add_argument("--seed", type=int, default=20261129)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    rows = []
    seen = set()
    i = 0
    while len(rows) < args.n:
        text, out = record(rng, i)
        if text in seen:
            continue
        seen.add(text)
        rows.append(row(len(rows), text, out))
        i += 1

    # Planted defects, so the hygiene checks have something to find.
    planted = []
    for k in (5, 17, 42):  # exact duplicates (same content, new id)
        dup = json.loads(json.dumps(rows[k]))
        dup["id"] = f"t{len(rows) + len(planted):04d}"
        planted.append(dup)
    near = json.loads(json.dumps(rows[60]))  # near duplicate: casing and punctuation only
    near["id"] = f"t{len(rows) + len(planted):04d}"
    near["messages"][1]["content"] = near["messages"][1]["content"].lower().rstrip(".!") + "!!"
    planted.append(near)
    contra = json.loads(json.dumps(rows[77]))  # contradiction: same input, different label
    contra["id"] = f"t{len(rows) + len(planted):04d}"
    label = json.loads(contra["messages"][2]["content"])
    label["priority"] = "low" if label["priority"] != "low" else "urgent"
    contra["messages"][2]["content"] = json.dumps(label, separators=(", ", ": "))
    planted.append(contra)

    # Interleave the planted rows deterministically.
    for j, p in enumerate(planted):
        rows.insert(100 + 50 * j, p)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {len(rows)} examples ({len(planted)} planted defects) to {args.out}")


if __name__ == "__main__":
    main()
