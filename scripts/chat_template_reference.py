#!/usr/bin/env python3
"""jinja2 renderings of the family chat templates (Tests/FTXModelTests/Fixtures/arch/<family>/chat_cases.json).

Each family's template is the one in its fixture folder's tokenizer_config.json (Qwen2.5-Instruct,
Qwen3, Llama-3.2-Instruct). It is rendered as transformers' apply_chat_template renders it:
jinja2 with trim_blocks and lstrip_blocks, bos_token/eos_token from the tokenizer config,
tools=None, raise_exception; no strftime_now, so Llama 3.2's date falls back to "26 Jul 2024"
as it does in ftx. Conversations cover a system turn or none, several turns, an assistant turn
last, Qwen3's <think> blocks, and add_generation_prompt both ways.

Usage (jinja2 from PyPI, e.g. in .cache/venv-jinja):
  python scripts/chat_template_reference.py
"""
import json
import os

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "FTXModelTests", "Fixtures", "arch")

CONVERSATIONS = [
    [{"role": "user", "content": "What is 2+2?"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a colour."}],
    [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Date of 3 May 2024?"},
     {"role": "assistant", "content": "{\"date\": \"2024-05-03\"}"}, {"role": "user", "content": "And 4 June?"}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"}],
    [{"role": "user", "content": "Think first."},
     {"role": "assistant", "content": "<think>\nSome reasoning.\n</think>\n\nThe answer is 4."},
     {"role": "user", "content": "Again, with\nnewlines  and  spaces 🙂"}],
]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def special(config, key):
    v = config.get(key)
    return v.get("content") if isinstance(v, dict) else (v or "")


def main():
    for family in sorted(os.listdir(ROOT)):
        folder = os.path.join(ROOT, family, "hf")
        if not os.path.isdir(folder):
            continue
        with open(os.path.join(folder, "tokenizer_config.json")) as f:
            config = json.load(f)
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = raise_exception
        template = env.from_string(config["chat_template"])
        cases = []
        for messages in CONVERSATIONS:
            for gen in (True, False):
                text = template.render(messages=messages, add_generation_prompt=gen, tools=None,
                                       bos_token=special(config, "bos_token"), eos_token=special(config, "eos_token"))
                cases.append({"messages": messages, "add_generation_prompt": gen, "text": text})
        with open(os.path.join(ROOT, family, "chat_cases.json"), "w") as f:
            json.dump(cases, f, indent=1, ensure_ascii=False, sort_keys=True)
            f.write("\n")
        print(family, len(cases), "cases")


if __name__ == "__main__":
    main()
