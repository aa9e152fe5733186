#!/usr/bin/env bash
# Benchmark of `stimpack upload` against the stand-in server (crates/testserver) on 127.0.0.1:
# peak memory while uploading a ~1 GB dataset zip, and throughput against
# `curl --upload-file` of the same file to a signed upload URL of the same server.
#
# Usage: bench/upload.sh [RUNS]      (builds the release binaries first)
# Needs: python3, curl, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
cargo build --release --quiet -p stimpack -p stimpack-testserver
bin=$(realpath target/release/stimpack)
work=$(mktemp -d "${TMPDIR:-/tmp}/stimpack-upload.XXXXXX")
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# ~1 GB dataset: 90 one-minute stereo 48 kHz WAVs, packed once.
python3 - "$work/data" <<'PY'
import os, struct, sys, random
root = sys.argv[1]
rate, ch, secs = 48000, 2, 60
rng = random.Random(1)
second = bytes(rng.getrandbits(8) for _ in range(rate * ch * 2))
n = rate * secs * ch * 2
hdr = b"RIFF" + struct.pack("<I", 36 + n) + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, ch, rate, rate * ch * 2, ch * 2, 16) + b"data" + struct.pack("<I", n)
for s in range(9):
    d = os.path.join(root, f"source_{s}")
    os.makedirs(d)
    for c in range(10):
        with open(os.path.join(d, f"cond_{c}.wav"), "wb") as f:
            f.write(hdr)
            for _ in range(secs):
                f.write(second)
PY
"$bin" pack "$work/data" -o "$work/big.zip" 2>/dev/null
size=$(stat -c %s "$work/big.zip")

target/release/stimpack-testserver --port 0 > "$work/url" 2>/dev/null &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
export MABYDUCK_API_KEY=test-api-key-0123456789 MABYDUCK_PROJECT=bench MABYDUCK_API_URL=$url

seconds() { python3 -c "import time; print(time.time())"; }
best_stimpack=999 best_curl=999 rss=0
for _ in $(seq "$RUNS"); do
  t0=$(seconds)
  out=$(/usr/bin/time -v "$bin" upload "$work/big.zip" --name bench --no-wait 2>&1 >/dev/null)
  t1=$(seconds)
  kb=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' <<<"$out")
  rss=$(( kb > rss ? kb : rss ))
  best_stimpack=$(python3 -c "print(min($best_stimpack, $t1 - $t0))")
  # curl: create a dataset for a fresh signed URL, then PUT the same file.
  upload_url=$(curl -s -X POST -H "Authorization: Api-Key $MABYDUCK_API_KEY" -H 'Content-Type: application/json' \
      -d '{"name":"curl","filename":"big.zip"}' "$url/projects/bench/datasets/" \
      | python3 -c "import json,sys; print(json.load(sys.stdin)['upload_url'])")
  t0=$(seconds)
  curl -s -o /dev/null --upload-file "$work/big.zip" "$upload_url"
  t1=$(seconds)
  best_curl=$(python3 -c "print(min($best_curl, $t1 - $t0))")
done
python3 - "$size" "$best_stimpack" "$best_curl" "$rss" <<'PY'
import sys
size, s, c, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"\nuploading {size / 1e9:.2f} GB to the stand-in server on 127.0.0.1 (best of runs)")
print(f"{'tool':38} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12}")
print(f"{'stimpack upload (check + upload)':38} {s:8.2f} {size / s / 1e6:8.0f} {rss / 1024:12.1f}")
print(f"{'curl --upload-file (upload only)':38} {c:8.2f} {size / c / 1e6:8.0f} {'':>12}")
PY
