#!/usr/bin/env bash
# The sample project end to end, on the real base model (SmolLM2-135M-Instruct Q4_1).
# Runs in a scratch copy (.cache/demo/) so the checkout stays clean; prints each stage's wall time.
#   FTX_BIN   the ftx binary (make demo sets it)
#   FTX_SMOLLM2  the base model GGUF (make demo sets it)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
ftx="${FTX_BIN:-$root/.build/release/ftx}"
model="${FTX_SMOLLM2:-$root/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
work="$root/.cache/demo/support-extractor"

bold() { if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
timings=()
stage() {  # stage "title" command… — runs, times and narrates one step; a non-zero exit is shown, not fatal
  local title="$1"; shift
  bold "$title"
  echo "\$ ftx ${*:2}" | sed "s|$ftx|ftx|"
  local t0=$(date +%s%N) rc=0
  "$@" || rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local dt="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
  timings+=("$(printf '%-34s %7ss  exit %d' "$title" "$dt" "$rc")")
  return 0
}

rm -rf "$work" && mkdir -p "$(dirname "$work")"
cp -r "$here" "$work"
rm -f "$work/demo.sh"
cd "$work"
t_start=$(date +%s)

bold "A fine-tuning project: support messages -> a JSON record (see data/all.jsonl)"
head -c 400 data/all.jsonl; echo " …"

stage "init the store"              "$ftx" init
stage "register the base model"     "$ftx" base add "$model" --name smollm2 --link
stage "check the data (planted defects)" "$ftx" data check data/all.jsonl
stage "clean: drop the defects"     "$ftx" data clean data/all.jsonl --out data/clean.jsonl --contradictions drop
stage "split deterministically"     "$ftx" data split data/clean.jsonl --valid 0.1 --test 0.15 --out data
stage "baseline: eval the base model" "$ftx" eval --base --suite eval/suite.yaml
stage "train -> eval -> gates -> commit" "$ftx" run -c configs/lora.yaml -m "rank 8, all projections, 2 epochs"
stage "history with metrics"        "$ftx" log --metrics
stage "tuned vs base"               "$ftx" diff base HEAD
stage "deploy to prod"              "$ftx" deploy HEAD --env prod
stage "a deliberately worse run"    "$ftx" run -c configs/lora-bad.yaml -m "rank 2, lr 1e-5, 3 steps"
stage "did it regress?"             "$ftx" diff HEAD~1 HEAD
stage "deploy the bad one (forced)" "$ftx" deploy HEAD --env prod --force --reason "demo: shipping a regression on purpose"

# Serve prod (the bad run, just deployed), ask it, roll back under it, ask again: the adapter changes.
bold "Serve prod: OpenAI-compatible, on a free port"
"$ftx" serve --env prod --port 0 > serve.out 2> serve.err &
server=$!
for _ in $(seq 1 600); do grep -q "ready" serve.out && break; sleep 0.2; done
cat serve.out
url=$(sed -n 's/^ftx serve: listening on \(http[^ ]*\).*/\1/p' serve.out)
ask() {  # one chat request with curl; prints the adapter that answered and the reply
  local body='{"model": "prod", "max_tokens": 60, "temperature": 0, "messages": [{"role": "system", "content": "Extract a JSON record with keys category, priority, product, order_id from the support message."}, {"role": "user", "content": "My Terra Backpack (order A-30595) arrived with a broken zip."}]}'
  echo "\$ curl -s $url/v1/chat/completions -d '{\"model\": \"prod\", ...}'"
  curl -s -D headers.txt "$url/v1/chat/completions" -H 'Content-Type: application/json' -d "$body" \
    | python3 -c 'import json, sys; print("  reply:", json.load(sys.stdin)["choices"][0]["message"]["content"])'
  grep -i '^x-ftx-adapter' headers.txt | sed 's/^/  /'
}
ask; ask
stage "roll prod back; server follows" "$ftx" checkout prod@{1}
sleep 1
ask
kill -TERM $server && wait $server || true
stage "monitor prod: both versions"  "$ftx" monitor --env prod
stage "deploy history"              "$ftx" reflog refs/deploy/prod
stage "store integrity"             "$ftx" fsck
stage "the web page, as a static site" "$ftx" ui --export "$work/ui-site"

bold "Stage timings (total $(( $(date +%s) - t_start ))s)"
printf '%s\n' "${timings[@]}"

bold "Browse it"
echo "the runs, curves, comparisons and deployments in a browser (docs/ui.md):"
echo "  cd $work && $ftx ui      # then open http://127.0.0.1:8700 (--open does)"
echo "  or, without a server: file://$work/ui-site/index.html"
