#!/bin/sh
# Runs every fuzz target (or those named) for $SECONDS_PER_TARGET seconds each (default 900),
# two at a time, at low priority; see "Fuzzing" in the README. Corpora grow in
# fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET), crashes land in fuzz/artifacts/TARGET/,
# and each run's log, ending with libFuzzer's final stats, in fuzz/logs/TARGET.log.
# Needs nightly Rust and cargo-fuzz.
set -eu
cd "$(dirname "$0")"
seconds="${SECONDS_PER_TARGET:-900}"
targets="${*:-wav_aiff mp4 mpeg_audio image flac ogg zip json_files url_list}"
bin="target/x86_64-unknown-linux-gnu/release"
mkdir -p logs

run() {
    t="$1"
    mkdir -p "corpus/$t" "artifacts/$t"
    # Build just before running, so a target started later fuzzes the latest code.
    nice -n 15 cargo +nightly fuzz build "$t" >"logs/$t.build.log" 2>&1 || true
    nice -n 15 "$bin/$t" "corpus/$t" "seeds/$t" \
        -artifact_prefix="artifacts/$t/" -max_total_time="$seconds" \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 >"logs/$t.log" 2>&1 || true
    echo "$t: $(grep -E 'stat::number_of_executed_units' "logs/$t.log" || echo 'no stats (see the log)')"
}

set -- $targets
while [ $# -gt 0 ]; do
    first="$1"; shift
    if [ $# -gt 0 ]; then
        second="$1"; shift
        run "$first" & run "$second" & wait
    else
        run "$first"
    fi
done
