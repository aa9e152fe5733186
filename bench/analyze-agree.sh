#!/usr/bin/env bash
# Agreement of `stimpack check --analyze` with ffmpeg's EBU R128 meter on a varied set: for
# each file, `loudness_lufs` against ffmpeg's integrated loudness and `true_peak_dbtp` against
# its true peak, as measured by
#
#   ffmpeg -nostdin -i FILE -af ebur128=peak=true -f null -
#
# (the `I:` and `Peak:` lines of its summary). Goal: within 0.1 LU and 0.2 dB. The set varies
# rate (8 to 96 kHz), channels (mono, stereo, 5.1), codec (PCM 16/24/float, FLAC, MP3, AAC,
# Vorbis) and material (tones, pink and white noise, tremolo, near-full-scale, quiet, gated
# pauses). Prints a markdown table; exits 1 when a file is outside the tolerance.
# Usage: bench/analyze-agree.sh [path/to/stimpack]   (default: builds target/release/stimpack)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/stimpack
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
mkdir -p "$work/set/s"
n=0
make() { # $1 name, $2 filter graph, then output options
  local name=$1 graph=$2; shift 2
  ff -f lavfi -i "$graph" "$@" "$work/set/s/$name"
  n=$((n + 1))
}
make tone1k_48k_s16.wav "sine=f=1000:r=48000:d=10" -c:a pcm_s16le
make tone_stereo_44k_s24.wav "sine=f=440:r=44100:d=10,volume=0.9,aformat=channel_layouts=stereo" -c:a pcm_s24le
make pink_8k_mono.wav "anoisesrc=c=pink:seed=1:r=8000:d=10:a=0.3" -c:a pcm_s16le
make white_96k_f32.wav "anoisesrc=c=white:seed=2:r=96000:d=6:a=0.2" -c:a pcm_f32le
make loud_noise_22k.wav "anoisesrc=c=pink:seed=3:r=22050:d=8:a=0.9" -c:a pcm_s16le
make quiet_tone_32k.flac "sine=f=3000:r=32000:d=10,volume=-40dB" -c:a flac
make tremolo_44k.flac "sine=f=150:r=44100:d=10,tremolo=f=1:d=0.9,aformat=channel_layouts=stereo" -c:a flac
make gated_48k.wav "sine=f=500:r=48000:d=12,volume='if(lt(mod(t,4),2),1,0.001)':eval=frame" -c:a pcm_s16le
make surround51_48k.wav "anoisesrc=c=pink:seed=4:r=48000:d=8:a=0.2,aformat=channel_layouts=5.1" -c:a pcm_s16le
make noise_44k.mp3 "anoisesrc=c=pink:seed=5:r=44100:d=10:a=0.3,aformat=channel_layouts=stereo" -c:a libmp3lame -b:a 128k
make tone_16k.mp3 "sine=f=700:r=16000:d=10" -c:a libmp3lame -b:a 32k
make noise_48k.m4a "anoisesrc=c=brown:seed=6:r=48000:d=10:a=0.5,aformat=channel_layouts=stereo" -c:a aac -b:a 128k
make chirp_44k.ogg "aevalsrc=0.5*sin(2*PI*(100+200*t)*t):s=44100:d=10" -c:a libvorbis -q:a 4
make hot_44k.wav "sine=f=2205:r=44100:d=5,volume=7.9" -c:a pcm_s16le

"$bin" check --analyze --json "$work/set" > "$work/report.json" || true
echo "| file | stimpack LUFS | ffmpeg LUFS | diff LU | stimpack dBTP | ffmpeg dBTP | diff dB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
bad=0
for f in "$work"/set/s/*; do
  name=$(basename "$f")
  read -r i p < <(ffmpeg -nostdin -hide_banner -i "$f" -af ebur128=peak=true -f null - 2>&1 |
    awk '/^ *I:/ {i=$2} /^ *Peak:/ {p=$2} END {print i, p}')
  read -r si sp < <(python3 -c "
import json, sys
r = json.load(open('$work/report.json'))
s = next(s for g in r['groups'] for s in g['stimuli'] if s['path'] == 's/$name')
print(s['loudness_lufs'], s['true_peak_dbtp'])")
  read -r di dp verdict < <(python3 -c "
di = abs($si - ($i)); dp = abs($sp - ($p))
# ffmpeg prints one decimal: its rounding adds up to 0.05 to each tolerance
print(f'{di:.2f} {dp:.2f}', 'ok' if di <= 0.15 and dp <= 0.25 else 'OUT')")
  mark=""
  [ "$verdict" = ok ] || { bad=1; mark=" **out**"; }
  echo "| $name | $si | $i | $di | $sp | $p | $dp$mark |"
done
exit $bad
