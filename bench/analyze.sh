#!/usr/bin/env bash
# Benchmark of `stimpack check --analyze` against `ffmpeg -af ebur128=peak=true` run once per
# file (what users do today), on one hour of audio in mixed formats: 12 files of 5 minutes,
# WAV (16-bit 44.1 kHz stereo, 24-bit 48 kHz stereo, 16-bit 16 kHz mono), FLAC, MP3, AAC (M4A)
# and Ogg Vorbis, music-like material (tones, pink noise, tremolo). Also measures peak memory
# of stimpack on a 5-minute and on a 60-minute file (flat memory: it must not grow with length).
# Prints a markdown table. Needs ffmpeg (libmp3lame, libvorbis) and GNU time (/usr/bin/time).
# Usage: bench/analyze.sh [path/to/stimpack]   (default: builds target/release/stimpack)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/stimpack
fi
bin=$(realpath "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

src() { # $1 seed: 5 minutes of stereo "music": three tones with tremolo over pink noise
  echo "sine=f=$((200 + $1 * 37)):d=300,volume=0.3[a];sine=f=$((300 + $1 * 53)):d=300,volume=0.2[b];\
anoisesrc=c=pink:seed=$1:d=300:a=0.05[c];[a][b][c]amix=inputs=3,tremolo=f=2:d=0.5,aformat=channel_layouts=stereo"
}
mkdir -p "$work/set/hour"
i=0
for spec in "wav:-ar 44100 -c:a pcm_s16le" "wav:-ar 48000 -c:a pcm_s24le" "wav:-ar 16000 -ac 1 -c:a pcm_s16le" \
            "flac:-ar 44100 -c:a flac" "flac:-ar 48000 -sample_fmt s32 -c:a flac" \
            "mp3:-ar 44100 -c:a libmp3lame -b:a 192k" "mp3:-ar 48000 -c:a libmp3lame -b:a 128k" \
            "m4a:-ar 44100 -c:a aac -b:a 160k" "m4a:-ar 48000 -c:a aac -b:a 128k" \
            "ogg:-ar 44100 -c:a libvorbis -q:a 5" "ogg:-ar 48000 -c:a libvorbis -q:a 3" \
            "wav:-ar 22050 -c:a pcm_s16le"; do
  ext=${spec%%:*}
  # shellcheck disable=SC2086
  ff -filter_complex "$(src $i)" ${spec#*:} "$work/set/hour/c$i.$ext"
  i=$((i + 1))
done
ff -filter_complex "$(src 1)" -ar 44100 -c:a pcm_s16le "$work/five.wav"
mkdir -p "$work/long/s"
ff -stream_loop 11 -i "$work/five.wav" -c copy "$work/long/s/sixty.wav"
mkdir -p "$work/short/s" && mv "$work/five.wav" "$work/short/s/"

total=$(du -sh "$work/set" | cut -f1)
files=("$work"/set/hour/*)
# "seconds peak-KB" of a run; a run that exits above 1 (1 is findings) prints nothing, so the
# `read` below fails and the script stops instead of showing a failed run's time.
secs() {
  local rc=0
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" > /dev/null 2>&1 || rc=$?
  if [ "$rc" -gt 1 ]; then echo "bench/analyze.sh: '$*' failed (exit $rc)" >&2; return; fi
  tail -1 "$work/t"
}
read -r t_sp2 m_sp2 < <(secs "$bin" check --analyze -j 2 "$work/set")
read -r t_sp1 m_sp1 < <(secs "$bin" check --analyze -j 1 "$work/set")
start=$(date +%s.%N)
for f in "${files[@]}"; do ffmpeg -nostdin -hide_banner -i "$f" -af ebur128=peak=true -f null - 2> /dev/null; done
t_ff1=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
printf '%s\0' "${files[@]}" | xargs -0 -P 2 -I{} ffmpeg -nostdin -hide_banner -i {} -af ebur128=peak=true -f null - 2> /dev/null
t_ff2=$(echo "$(date +%s.%N) - $start" | bc)
read -r t_short m_short < <(secs "$bin" check --analyze -j 1 "$work/short")
read -r t_long m_long < <(secs "$bin" check --analyze -j 1 "$work/long")

echo "One hour of audio, ${#files[@]} files, $total, $(nproc) cores, warm cache:"
echo
echo "| run | wall s | peak RSS MB |"
echo "| --- | ---: | ---: |"
printf '| stimpack check --analyze -j 2 | %.1f | %d |\n' "$t_sp2" $((m_sp2 / 1024))
printf '| stimpack check --analyze -j 1 | %.1f | %d |\n' "$t_sp1" $((m_sp1 / 1024))
printf '| ffmpeg -af ebur128=peak=true, one file after another | %.1f | |\n' "$t_ff1"
printf '| ffmpeg -af ebur128=peak=true, 2 at a time (xargs -P 2) | %.1f | |\n' "$t_ff2"
printf '| stimpack, one 5-minute WAV | %.1f | %d |\n' "$t_short" $((m_short / 1024))
printf '| stimpack, one 60-minute WAV | %.1f | %d |\n' "$t_long" $((m_long / 1024))
echo
printf 'speed-up at 2 cores: %.1fx against one ffmpeg after another, %.1fx against two at a time\n' \
  "$(echo "$t_ff1 / $t_sp2" | bc -l)" "$(echo "$t_ff2 / $t_sp2" | bc -l)"
