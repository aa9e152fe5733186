#!/usr/bin/env bash
# Makes docs/preview-demo.png: the preview page of the demo set (low as the anchor), as headless
# Chromium draws it once every player has loaded. Needs chromium (Debian: apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q
out=$(mktemp)
./target/debug/stimpack preview testdata/demo --anchor low >"$out" 2>/dev/null &
server=$!
trap 'kill $server' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1560,560 \
  --virtual-time-budget=8000 --screenshot=docs/preview-demo.png "$(head -1 "$out")" 2>/dev/null
rm -f "$out"
