#!/usr/bin/env bash
# Benchmark of `stimpack check` against what users do today, on small WAV/FLAC stimuli:
#   - the in-process Python loop (soundfile.info per file, interpreter start included),
#   - ffprobe once per file (measured on a sample, reported per file),
#   - the floor: reading the first 4 KiB of every file (`find | xargs head -c 4096`), which is
#     what any content check must at least do.
# Prints a table of total seconds and milliseconds per file, warm cache.
#
# Needs: hyperfine, ffprobe, python3 with soundfile and numpy (pip install soundfile numpy).
# Usage: bench/check.sh [path/to/stimpack]   (default: builds target/release/stimpack)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/stimpack
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 2,000 files: 100 sources x (10 WAV + 10 FLAC), 0.5 s of 16 kHz mono noise each.
python3 - "$work/d2000" <<'PY'
import sys, pathlib, numpy as np, soundfile as sf
root = pathlib.Path(sys.argv[1])
rng = np.random.default_rng(1)
for s in range(100):
    d = root / f"source_{s:03d}"
    d.mkdir(parents=True)
    for c in range(10):
        x = (rng.standard_normal(8000) * 0.1).astype("float32")
        sf.write(d / f"wav_{c}.wav", x, 16000, subtype="PCM_16")
        sf.write(d / f"flac_{c}.flac", x, 16000, subtype="PCM_16")
PY
# 10,000 files: the same set five times over, under other source names.
mkdir -p "$work/d10000"
for k in 1 2 3 4 5; do
  for s in "$work"/d2000/*; do cp -r "$s" "$work/d10000/$(basename "$s")_$k"; done
done

cat > "$work/loop.py" <<'PY'
import os, sys, soundfile
n = 0
for dirpath, _, files in os.walk(sys.argv[1]):
    for f in files:
        soundfile.info(os.path.join(dirpath, f))
        n += 1
PY
find "$work"/d2000/source_00? -type f > "$work/sample.txt"  # 10 sources x 20 files

run() { # name command... -> mean seconds
  hyperfine --warmup 2 --runs "${RUNS:-10}" --export-json "$work/h.json" --style none "$@" >/dev/null 2>&1
  python3 -c "import json; print(json.load(open('$work/h.json'))['results'][0]['mean'])"
}
t_stim_2k=$(run "$bin check $work/d2000 --json > /dev/null")
t_stim_10k=$(run "$bin check $work/d10000 --json > /dev/null")
t_floor_2k=$(run "find $work/d2000 -type f -print0 | xargs -0 head -c 4096 > /dev/null")
t_floor_10k=$(run "find $work/d10000 -type f -print0 | xargs -0 head -c 4096 > /dev/null")
t_py_2k=$(run "python3 $work/loop.py $work/d2000")
t_py_10k=$(RUNS=3 run "python3 $work/loop.py $work/d10000")
t_ff_200=$(RUNS=3 run "xargs -a $work/sample.txt -n 1 ffprobe -v error -show_format -show_streams > /dev/null")

printf '\n%-44s %8s %10s %12s\n' "tool (warm cache, $(nproc) cores)" files "total s" "ms per file"
row() { python3 -c "print(f'{\"$1\":44} {$2:8d} {$3:10.3f} {$3 / $2 * 1000:12.3f}')"; }
row "stimpack check --json" 2000 "$t_stim_2k"
row "python3 soundfile.info loop" 2000 "$t_py_2k"
row "floor: find | xargs head -c 4096" 2000 "$t_floor_2k"
row "stimpack check --json" 10000 "$t_stim_10k"
row "python3 soundfile.info loop" 10000 "$t_py_10k"
row "floor: find | xargs head -c 4096" 10000 "$t_floor_10k"
row "ffprobe per file (sample of 200)" 200 "$t_ff_200"
python3 -c "print(f'\nstimpack / python on 2,000 files: {$t_stim_2k / $t_py_2k:.2f} (target: at most 0.33)')"
python3 -c "print(f'stimpack / floor on 2,000 files: {$t_stim_2k / $t_floor_2k:.2f}, on 10,000: {$t_stim_10k / $t_floor_10k:.2f} (target: at most 2)')"
