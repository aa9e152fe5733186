#!/usr/bin/env python3
"""Makes the pack benchmark's data set (bench/pack.sh, bench/pack-writers.sh): SOURCES x
CONDITIONS stereo 48 kHz 16-bit WAVs of DURATION seconds, noise-like PCM.

Usage: pack-data.py DIR SOURCES CONDITIONS DURATION
"""
import os, struct, sys, random
root = sys.argv[1]
sources, conditions = int(sys.argv[2]), int(sys.argv[3])
rate, channels, seconds = 48000, 2, int(sys.argv[4])
frames = rate * seconds
# One second of noise-like PCM, repeated: realistic for a stored zip, cheap to make.
rng = random.Random(1)
second = bytes(rng.getrandbits(8) for _ in range(rate * channels * 2))
data_len = frames * channels * 2
header = b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVE" + b"fmt " + struct.pack(
    "<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16
) + b"data" + struct.pack("<I", data_len)
for s in range(sources):
    folder = os.path.join(root, f"source_{s:02d}")
    os.makedirs(folder, exist_ok=True)
    for c in range(conditions):
        with open(os.path.join(folder, f"method_{c:02d}.wav"), "wb") as f:
            f.write(header)
            for _ in range(seconds):
                f.write(second)
