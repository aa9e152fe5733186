#!/usr/bin/env bash
# Makes testdata/demo: a small MUSHRA-style listening test (3 sources; each with a reference,
# a low-pass anchor and codec conditions in different formats), from speech and music made
# on the spot. Needs ffmpeg (with libmp3lame, libopus) and espeak-ng. Deterministic output.
set -euo pipefail
cd "$(dirname "$0")"
out=demo
rm -rf "$out"
mkdir -p "$out"/{speech_1,speech_2,music_1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
bitexact=(-bitexact -fflags +bitexact -map_metadata -1)

# Sources: two sentences of synthetic speech and a few seconds of synthetic music, 24 kHz mono,
# all cut or padded to exactly 3.0 s so the conditions of a source line up.
espeak-ng -v en-us -s 150 -w "$tmp/s1.wav" "The quick brown fox jumps over the lazy dog, twice."
espeak-ng -v en-gb -s 140 -p 30 -w "$tmp/s2.wav" "Please listen carefully and rate each version."
ff -f lavfi -i "sine=f=220:d=3,volume=0.3" -f lavfi -i "sine=f=277:d=3,volume=0.25" \
   -f lavfi -i "sine=f=330:d=3,volume=0.2" -filter_complex "amix=inputs=3,tremolo=f=3:d=0.4" "$tmp/m1.wav"
for s in s1 s2 m1; do
  ff -i "$tmp/$s.wav" -af "aresample=24000,apad,atrim=end_sample=72000" -ac 1 -c:a pcm_s16le "${bitexact[@]}" "$tmp/$s.ref.wav"
done
make_source() { # name input codec-conditions...
  local dir=$out/$1 in=$2; shift 2
  cp "$in" "$dir/reference.wav"
  ff -i "$in" -af lowpass=f=3500 -c:a pcm_s16le "${bitexact[@]}" "$dir/low.wav"
  for c in "$@"; do
    case $c in
      mp3) ff -i "$in" -c:a libmp3lame -b:a 32k "${bitexact[@]}" "$dir/codec_mp3.mp3" ;;
      opus) ff -i "$in" -c:a libopus -b:a 12k "${bitexact[@]}" "$dir/codec_opus.opus" ;;
      aac) ff -i "$in" -c:a aac -b:a 24k "${bitexact[@]}" "$dir/codec_aac.m4a" ;;
      flac) ff -i "$in" -af "aresample=24000,acrusher=bits=8:mode=log" -c:a flac "${bitexact[@]}" "$dir/codec_8bit.flac" ;;
    esac
  done
}
make_source speech_1 "$tmp/s1.ref.wav" mp3 opus aac
make_source speech_2 "$tmp/s2.ref.wav" mp3 opus aac
make_source music_1 "$tmp/m1.ref.wav" mp3 opus aac flac
cat > "$out/speech_1/config.json" <<'JSON'
{"title": "Speech 1", "question": "How similar is each version to the reference?", "description": ["male voice", {"language": "en-US"}]}
JSON
du -sh "$out"
