#!/usr/bin/env bash
# Benchmarks `stimpack pack` against Python zipfile (ZIP_STORED) and Info-ZIP `zip -0`, with
# `cat` of the same files into one file as the floor (copy + flush, no hashing, no zip).
#
# Usage: bench/pack.sh [STIMPACK_BINARY] [RUNS]
#   STIMPACK_BINARY  default target/release/stimpack (build it with `cargo build --release`)
#   RUNS             hyperfine runs per tool, default 3
# Generates 100 one-minute stereo 48 kHz 16-bit WAVs (~1.1 GB: 10 sources x 10 conditions)
# in a temporary folder (SOURCES, CONDITIONS and DURATION, in seconds, in the environment change
# that: SOURCES=4 CONDITIONS=5 DURATION=300 gives 20 files of 58 MB, which pack streams), then
# prints seconds (mean of hyperfine runs, each ending with `sync` so every tool pays for getting
# its bytes to disk) and peak RSS in MB (/usr/bin/time -v, one run). Needs python3, hyperfine, /usr/bin/time and zip.
set -euo pipefail

BIN=${1:-target/release/stimpack}
RUNS=${2:-3}
[[ -x $BIN ]] || { echo "no stimpack binary at $BIN: run cargo build --release or pass its path" >&2; exit 2; }
BIN=$(realpath "$BIN")
for tool in python3 hyperfine zip /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stimpack-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DATA=$WORK/data
OUT=$WORK/out
mkdir -p "$DATA" "$OUT"

SOURCES=${SOURCES:-10}
CONDITIONS=${CONDITIONS:-10}
DURATION=${DURATION:-60}
echo "generating $SOURCES x $CONDITIONS x $DURATION s stereo 48 kHz 16-bit WAVs in $DATA ..." >&2
python3 "$(dirname "$0")/pack-data.py" "$DATA" "$SOURCES" "$CONDITIONS" "$DURATION"
du -sh "$DATA" >&2
sync  # the fresh data reaches the disk before any timing

cat > "$WORK/pyzip.py" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))
PY

declare -A CMD
CMD[stimpack]="'$BIN' pack '$DATA' -o '$OUT/stimpack.zip' --force && sync"
CMD[python-zipfile]="python3 '$WORK/pyzip.py' '$DATA' '$OUT/python.zip' && sync"
CMD[info-zip]="rm -f '$OUT/infozip.zip' && cd '$DATA' && zip -0 -q -r '$OUT/infozip.zip' . && sync"
CMD[cat-floor]="cat '$DATA'/*/*.wav > '$OUT/cat.zip' && sync"
ORDER=(stimpack python-zipfile info-zip cat-floor)

printf '%-16s %10s %8s %14s\n' tool seconds stddev peak_rss_MB
for name in "${ORDER[@]}"; do
  cmd=${CMD[$name]}
  hyperfine --runs "$RUNS" --warmup 1 --export-json "$WORK/$name.json" \
    --prepare "rm -f '$OUT'/*.zip '$OUT'/*.json && sync" "$cmd" >/dev/null 2>&1 \
    || { printf '%-16s %10s %8s %14s\n' "$name" failed - -; continue; }
  read -r secs sd < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('%.2f %.2f' % (r['mean'], r['stddev'] or 0))" "$WORK/$name.json")
  rm -f "$OUT"/*.zip "$OUT"/*.json
  sync
  # Peak RSS of the tool itself (the `sync` after it is a separate, tiny process).
  first=${cmd%% && sync}
  rss_kb=$(/usr/bin/time -v bash -c "$first" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
  printf '%-16s %10s %8s %14s\n' "$name" "$secs" "$sd" "$(( ${rss_kb:-0} / 1024 ))"
done
