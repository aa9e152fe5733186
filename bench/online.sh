#!/usr/bin/env bash
# Benchmark of `stimpack check --online` against what users do today on hosted stimuli:
#   - ffprobe run once per URL,
#   - curl downloading every file (6 at a time, like a browser).
# 1,000 URLs (250 each of WAV, FLAC, MP4 and MP3) on the local media host of the tests
# (stimpack-mediahost), which waits 20 ms before every answer, as a network would.
# Prints seconds, milliseconds per URL, and bytes fetched (as the host counts them).
#
# Needs: ffmpeg, ffprobe, curl, python3.
# Usage: bench/online.sh                      (builds the release binaries)
#        N=200 FF_SAMPLE=100 bench/online.sh  (fewer URLs; ffprobe on a sample, compared per URL)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
FF_SAMPLE=${FF_SAMPLE:-$N}
LATENCY_MS=${LATENCY_MS:-20}
cargo build --release --quiet --bin stimpack
cargo build --release --quiet -p stimpack-testserver --bin stimpack-mediahost
bin=target/release/stimpack
work=$(mktemp -d)
hostpid=
trap '[ -n "$hostpid" ] && kill "$hostpid"; rm -rf "$work"' EXIT

# One file per format, of the size real stimuli have: 30 s of 48 kHz stereo as WAV (5.8 MB),
# FLAC (4.2 MB: independent pink noise per channel compresses to 73%, music to some 50-70%)
# and MP3 (192 kbit/s, with its Info header); 20 s of 720p H.264 + AAC as MP4 with its moov
# box at the end (ffmpeg's default: the case that needs the tail).
ff() { ffmpeg -nostdin -v error -y "$@"; }
ff -filter_complex "anoisesrc=d=30:c=pink:r=48000:a=0.2:seed=1[a];anoisesrc=d=30:c=pink:r=48000:a=0.2:seed=2[b];[a][b]amerge=inputs=2" \
  -c:a pcm_s16le "$work/base.wav"
ff -i "$work/base.wav" -c:a flac "$work/base.flac"
ff -i "$work/base.wav" -c:a libmp3lame -b:a 192k "$work/base.mp3"
ff -f lavfi -i "testsrc2=duration=20:size=1280x720:rate=25" -f lavfi -i "sine=d=20" \
  -c:v libx264 -preset veryfast -b:v 2M -c:a aac -shortest "$work/base.mp4"
per=$((N / 4))
for ext in wav flac mp4 mp3; do
  for i in $(seq -w 1 "$per"); do
    mkdir -p "$work/data/$ext/s$i"
    ln "$work/base.$ext" "$work/data/$ext/s$i/$ext.$ext"
  done
done

target/release/stimpack-mediahost "$work/data" --latency-ms "$LATENCY_MS" > "$work/host.txt" &
hostpid=$!
for _ in $(seq 50); do [ -s "$work/host.txt" ] && break; sleep 0.1; done
base=$(head -1 "$work/host.txt")
for ext in wav flac mp4 mp3; do
  for i in $(seq -w 1 "$per"); do echo "$base/range/$ext/s$i/$ext.$ext"; done > "$work/$ext.txt"
done
cat "$work"/{wav,flac,mp4,mp3}.txt > "$work/all.txt"
shuf -n "$FF_SAMPLE" --random-source=<(yes) "$work/all.txt" > "$work/sample.txt"

# the host's counters: "bytes requests"
served() { curl -s "$base/__stats" | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['bytes'], s['requests'])"; }
now() { date +%s.%N; }
size_of() { # list -> total bytes of its files
  local total=0 ext
  while read -r url; do ext=${url##*.}; total=$((total + $(stat -c %s "$work/base.$ext"))); done < "$1"
  echo "$total"
}
# measure NAME LIST COMMAND... : runs the command, prints "name|urls|seconds|bytes|total|requests"
measure() {
  local name=$1 list=$2; shift 2
  local b0 r0 t0 t1 b1 r1
  read -r b0 r0 < <(served); t0=$(now)
  local rc=0
  "$@" > /dev/null 2>&1 || rc=$?
  # 0 and 1 are answers (no errors, errors found); anything else is a failed run, not a time.
  if [ "$rc" -gt 1 ]; then echo "bench/online.sh: '$name' failed (exit $rc)" >&2; exit 1; fi
  t1=$(now); read -r b1 r1 < <(served)
  # (the stats request itself is one of the host's requests)
  echo "$name|$(wc -l < "$list")|$(python3 -c "print($t1 - $t0)")|$((b1 - b0))|$(size_of "$list")|$((r1 - r0 - 1))" >> "$work/rows.txt"
}

stimpack_check() { "$bin" check "$1" --online --allow-private --json; }
ffprobe_loop() { while read -r url; do ffprobe -v error -show_format -show_streams "$url"; done < "$1"; }
curl_all() { sed 's/^/url = /; a output = /dev/null' "$1" > "$work/curl.cfg"; curl -s --parallel --parallel-max 6 -K "$work/curl.cfg"; }

: > "$work/rows.txt"
measure "stimpack check --online" "$work/all.txt" stimpack_check "$work/all.txt"
for ext in wav flac mp4 mp3; do
  measure "stimpack check --online ($ext)" "$work/$ext.txt" stimpack_check "$work/$ext.txt"
done
measure "stimpack --online --per-host 8" "$work/all.txt" "$bin" check "$work/all.txt" --online --allow-private --per-host 8 --json
measure "stimpack --online --per-host 32" "$work/all.txt" "$bin" check "$work/all.txt" --online --allow-private --per-host 32 --json
measure "ffprobe per URL" "$work/sample.txt" ffprobe_loop "$work/sample.txt"
measure "curl, every file (6 at a time)" "$work/all.txt" curl_all "$work/all.txt"

python3 - "$work/rows.txt" "$N" "$LATENCY_MS" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
n, latency = int(sys.argv[2]), float(sys.argv[3])
print(f"\n{'tool (' + str(n) + ' URLs, ' + sys.argv[3] + ' ms per request)':40} {'URLs':>5} {'s':>8} {'ms/URL':>8} {'req/URL':>8} {'MB fetched':>11} {'% of bytes':>10}")
for name, urls, secs, got, total, requests in rows:
    urls, secs, got, total, requests = int(urls), float(secs), int(got), int(total), int(requests)
    print(f"{name:40} {urls:5d} {secs:8.2f} {secs / urls * 1000:8.2f} {requests / urls:8.2f} {got / 1e6:11.1f} {got / total * 100:10.2f}")
stim = float(rows[0][2]) / int(rows[0][1])
ff = [r for r in rows if r[0].startswith("ffprobe")][0]
ff_ms = float(ff[2]) / int(ff[1]) * 1000
print(f"\nstimpack is {ff_ms / 1000 / stim:.0f}x faster per URL than the ffprobe loop")
# One request per URL, 6 at a time, each answered after the latency: no run can be faster.
floor = latency / 6
print(f"round-trip floor at 6 files per host: {floor:.2f} ms/URL (at most {ff_ms / floor:.0f}x the ffprobe loop); stimpack at {floor / (stim * 1000) * 100:.0f}% of it")
PY
