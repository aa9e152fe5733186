#!/usr/bin/env bash
# Peak memory and temporary disk of `stimpack check` and `stimpack pack` on zips that expand a
# thousandfold (issue 8): nothing may be inflated to $TMPDIR, whatever an entry holds or claims.
#
#   bomb.zip      4 MB: 4 deflated WAVs of 1 GiB of silence each (4 GiB in all), 2 sources
#   trailing.zip  1 MB: 1 s of audio followed by 1 GiB of zeros (a `trailing-data` warning)
#
# Usage: bench/hostile-zip.sh [STIMPACK_BINARY]   (default target/release/stimpack)
# Needs python3 and /usr/bin/time, and about 4.5 GB of free disk beside $TMPDIR for pack's output.
# Prints one row per run: wall seconds, peak RSS, the peak disk use of an empty $TMPDIR given to
# the run (sampled every 20 ms, unnamed temporary files included), and of pack's output folder.
set -euo pipefail

BIN=${1:-target/release/stimpack}
[[ -x $BIN ]] || { echo "no stimpack binary at $BIN: run cargo build --release or pass its path" >&2; exit 2; }
BIN=$(realpath "$BIN")
for tool in python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stimpack-hostile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import struct, sys, zipfile
work = sys.argv[1]

def wav_header(data_bytes, rate=48000, channels=2):
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16) +
            b"data" + struct.pack("<I", data_bytes))

def zeros_into(f, n, chunk=16 << 20):
    block = bytes(chunk)
    while n > 0:
        k = min(n, chunk)
        f.write(block[:k])
        n -= k

GIB = 1 << 30
with zipfile.ZipFile(f"{work}/bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in ["s1/a.wav", "s1/b.wav", "s2/a.wav", "s2/b.wav"]:
        data = GIB - 44 - (GIB - 44) % 4
        with z.open(name, "w") as f:
            f.write(wav_header(data))
            zeros_into(f, data)
with zipfile.ZipFile(f"{work}/trailing.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in ["s1/a.wav", "s1/b.wav"]:
        with z.open(name, "w") as f:
            f.write(wav_header(192000))
            f.write(bytes(range(256)) * 750)
            if name == "s1/a.wav":
                zeros_into(f, GIB)
PY

# Samples every 20 ms, while PID runs: the bytes under DIR plus the bytes of files under DIR its
# child process holds open (an unnamed or deleted temporary file is invisible to du).
cat >"$WORK/peak.py" <<'PY'
import os, sys, time
pid, root = int(sys.argv[1]), os.path.realpath(sys.argv[2])
def children(p):
    try:
        with open(f"/proc/{p}/task/{p}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []
def used():
    total = 0
    for d, _, files in os.walk(root):
        for f in files:
            try:
                total += os.lstat(os.path.join(d, f)).st_blocks * 512
            except OSError:
                pass
    for c in children(pid):
        try:
            fds = os.listdir(f"/proc/{c}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{c}/fd/{fd}")
                if target.startswith(root + "/") and target.endswith(" (deleted)"):
                    total += os.stat(f"/proc/{c}/fd/{fd}").st_blocks * 512
            except OSError:
                pass
    return total
peak = 0
while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
    peak = max(peak, used())
    time.sleep(0.02)
print(peak)
PY
peak_du() { python3 "$WORK/peak.py" "$2" "$1"; }

printf '%-44s %8s %9s %12s %14s %8s\n' "run ($(nproc) cores)" "zip MB" "wall s" "peak RSS MB" "peak TMPDIR MB" "out MB"
run() { # label zip args...
  local label=$1 zip=$2; shift 2
  local tmp=$WORK/tmp out=$WORK/out
  rm -rf "$tmp" "$out"; mkdir -p "$tmp" "$out"
  TMPDIR=$tmp /usr/bin/time -f '%e %M' -o "$WORK/time" "$BIN" "$@" >"$WORK/stdout" 2>"$WORK/stderr" &
  local pid=$!
  peak_du "$tmp" "$pid" >"$WORK/peak_tmp" &
  local sampler_tmp=$!
  peak_du "$out" "$pid" >"$WORK/peak_out" &
  local sampler_out=$!
  local rc=0
  wait "$pid" || rc=$?
  wait "$sampler_tmp" "$sampler_out"
  read -r wall rss <"$WORK/time"
  printf '%-44s %8.1f %9.2f %12.1f %14.1f %8.0f   exit %d\n' "$label" \
    "$(echo "$(stat -c %s "$zip") / 1000000" | bc -l)" "$wall" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "$(cat "$WORK/peak_tmp") / 1048576" | bc -l)" "$(echo "$(cat "$WORK/peak_out") / 1048576" | bc -l)" "$rc"
  rm -rf "$out"
}
run "check bomb.zip --threads 1" "$WORK/bomb.zip" check "$WORK/bomb.zip" --threads 1
run "check bomb.zip --threads 2" "$WORK/bomb.zip" check "$WORK/bomb.zip" --threads 2
run "pack bomb.zip (4 GiB out)" "$WORK/bomb.zip" pack "$WORK/bomb.zip" -o "$WORK/out/dataset.zip"
run "check trailing.zip (trailing-data)" "$WORK/trailing.zip" check "$WORK/trailing.zip"
run "pack trailing.zip" "$WORK/trailing.zip" pack "$WORK/trailing.zip" -o "$WORK/out/dataset.zip"
