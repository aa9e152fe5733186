#!/usr/bin/env bash
# Compares stimpack's zip writer (crates/core/src/pack/zipwriter.rs + outfile.rs) with the `zip`
# crate's ZipWriter, stored and deflated, writing the same files on one thread
# (crates/core/examples/zip_writers.rs says exactly what each does). Prints, for the median
# of RUNS by total time: seconds writing (with fsync), hashing the archive afterwards (the crate
# only; ours hashes while writing) and both, MB/s of input, CPU seconds (user + sys); and the
# largest peak RSS of the runs (/usr/bin/time).
#
# Usage: bench/pack-writers.sh [RUNS]     (default 3)
# Stored: the pack bench set, SOURCES x CONDITIONS WAVs of DURATION s (default 10 x 10 x 60,
# 1.15 GB). Deflated: the same with DEFLATE_DURATION s each (default 10, 192 MB), since deflate
# is some 20 times slower. Needs python3 and /usr/bin/time.
set -euo pipefail

RUNS=${1:-3}
cd "$(dirname "$0")/.."
cargo build --release -q -p stimpack-core --example zip_writers
BIN=$PWD/target/release/examples/zip_writers

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stimpack-writers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SOURCES=${SOURCES:-10}
CONDITIONS=${CONDITIONS:-10}
python3 bench/pack-data.py "$WORK/stored" "$SOURCES" "$CONDITIONS" "${DURATION:-60}"
python3 bench/pack-data.py "$WORK/deflated" "$SOURCES" "$CONDITIONS" "${DEFLATE_DURATION:-10}"
sync

printf '%-6s %-9s %7s %8s %7s %8s %6s %6s %8s\n' writer method MB write_s hash_s total_s MB/s cpu_s peak_MB
for method in stored deflated; do
  data=$WORK/$method
  in_mb=$(du -sm --apparent-size "$data" | cut -f1)
  for writer in ours crate; do
    out=$WORK/out.zip
    runs=()
    for _ in $(seq "$RUNS"); do
      rm -f "$out"; sync
      line=$(/usr/bin/time -f '%U %S %M' -o "$WORK/time" "$BIN" "$writer" "$method" "$data" "$out")
      read -r user sys rss_kb <"$WORK/time"
      runs+=("$line $(python3 -c "print(round($user + $sys, 2))") $rss_kb")
    done
    # The median run by total seconds (field 6); peak RSS is the largest of the runs.
    median=$(printf '%s\n' "${runs[@]}" | sort -k6,6n | sed -n "$(( (RUNS + 1) / 2 ))p")
    read -r _ _ bytes write_s hash_s total_s cpu_s _ <<<"$median"
    rss_kb=$(printf '%s\n' "${runs[@]}" | awk '$8 > m { m = $8 } END { print m }')
    mbps=$(python3 -c "print(round($in_mb * 1.048576 / $total_s))")
    printf '%-6s %-9s %7s %8s %7s %8s %6s %6s %8s\n' "$writer" "$method" "$(( bytes / 1000000 ))" \
      "$write_s" "$hash_s" "$total_s" "$mbps" "$cpu_s" "$(( rss_kb / 1024 ))"
  done
done
