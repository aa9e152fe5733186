#!/usr/bin/env python3
"""Benchmark of the Python package (pystimpack) against what evaluation scripts use today.

On the 2,000-file probe set of bench/check.sh (100 sources x 10 WAV + 10 FLAC, 0.5 s of
16 kHz mono each), in one process, warm page cache, best of RUNS runs each:
  - pystimpack.probe_many(paths)      (all cores, then one thread)
  - pystimpack.check(folder)          (the whole check: scan, probe, rules, report)
  - a soundfile.info loop, a mutagen.File loop (what scripts do today)
  - ffprobe in a subprocess per file  (on a sample, reported per file)
torchaudio is not timed: see bench/README.md.

Then durations of 40 VBR MP3s without a Xing/Info header (ffmpeg + LAME, -write_xing 0),
where a reader must walk every frame to know the length, against the decoded length
(ffmpeg's decoder output, in samples).

Needs: python3 with pystimpack (the wheel of crates/python), numpy, soundfile, mutagen;
ffmpeg and ffprobe on PATH. Usage:
    python3 bench/python.py [RUNS]      # RUNS defaults to 5
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mutagen
import numpy as np
import soundfile

import pystimpack as sp

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def make_probe_set(root: Path) -> list:
    """The 2,000 files of bench/check.sh, made the same way."""
    rng = np.random.default_rng(1)
    paths = []
    for s in range(100):
        d = root / f"source_{s:03d}"
        d.mkdir(parents=True)
        for c in range(10):
            x = (rng.standard_normal(8000) * 0.1).astype("float32")
            for name in (f"wav_{c}.wav", f"flac_{c}.flac"):
                soundfile.write(d / name, x, 16000, subtype="PCM_16")
                paths.append(str(d / name))
    return paths


def make_mp3_set(root: Path) -> list:
    """VBR MP3s without a Xing header: a tone sweep over noise, 2-9 s, 44.1 kHz stereo."""
    root.mkdir()
    rng = np.random.default_rng(2)
    paths = []
    for i in range(40):
        seconds = 2 + (i % 8) + rng.random()
        t = np.arange(int(seconds * 44100)) / 44100
        tone = np.sin(2 * np.pi * (200 + 800 * t / seconds) * t)
        x = np.stack([tone, rng.standard_normal(t.size) * (i % 5) / 10], axis=1) * 0.3
        wav = root / f"src_{i}.wav"
        soundfile.write(wav, x.astype("float32"), 44100, subtype="PCM_16")
        mp3 = root / f"vbr_{i}.mp3"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-q:a", str(i % 9),
             "-write_xing", "0", str(mp3)],
            check=True,
        )
        wav.unlink()
        paths.append(str(mp3))
    return paths


def best(fn, runs=RUNS):
    """(wall seconds, CPU seconds of this process, all its threads) of the fastest run.
    CPU time says what the work costs when the cores are shared with other jobs."""
    times = []
    for _ in range(runs):
        cpu = time.process_time()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times)


def decoded_seconds(path: str) -> float:
    """Length of what ffmpeg's decoder outputs, in seconds."""
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "44100", "-"],
        check=True, capture_output=True,
    ).stdout
    return len(pcm) / 2 / 44100


def main():
    work = Path(tempfile.mkdtemp(prefix="stimpack-pybench-"))
    try:
        folder = work / "d2000"
        paths = make_probe_set(folder)
        n = len(paths)
        assert n == 2000

        # Warm the page cache and check that every tool reads every file.
        assert all(isinstance(s, sp.Stimulus) and s.ok for s in sp.probe_many(paths))
        assert all(soundfile.info(p).frames == 8000 for p in paths)
        assert all(mutagen.File(p) is not None for p in paths)

        rows = [
            ("pystimpack.probe_many (all cores)", n, best(lambda: sp.probe_many(paths))),
            ("pystimpack.probe_many (threads=1)", n, best(lambda: sp.probe_many(paths, threads=1))),
            ("pystimpack.check (folder)", n, best(lambda: sp.check(folder))),
            ("soundfile.info loop", n, best(lambda: [soundfile.info(p) for p in paths])),
            ("mutagen.File loop", n, best(lambda: [mutagen.File(p).info.length for p in paths])),
        ]
        sample = paths[::40]  # 50 files
        ffprobe = ["ffprobe", "-v", "error", "-show_format", "-show_streams"]
        rows.append((
            "ffprobe subprocess (sample of 50)",
            len(sample),
            best(lambda: [subprocess.run(ffprobe + [p], capture_output=True, check=True) for p in sample], 1),
        ))

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"\n{cores} cores, load average {load:.1f} at the end; best of {RUNS} runs by wall time")
        print(f"{'tool (warm cache)':36} {'files':>6} {'wall s':>8} {'us/file':>8} {'x sf':>6} {'CPU s':>7} {'CPU us/file':>12} {'x sf':>6}")
        sf_wall = rows[3][2][0] / rows[3][1]
        sf_cpu = rows[3][2][1] / rows[3][1]
        for name, files, (wall, cpu) in rows:
            w, c = wall / files, cpu / files
            # ffprobe's CPU is in its own processes: not counted here.
            cpu_cols = f"{cpu:7.3f} {c * 1e6:12.1f} {sf_cpu / c:5.1f}x" if name[:7] != "ffprobe" else ""
            print(f"{name:36} {files:6d} {wall:8.3f} {w * 1e6:8.1f} {sf_wall / w:5.1f}x {cpu_cols}")
        ratio = rows[3][2][0] / rows[0][2][0]
        print(f"\nprobe_many: {ratio:.1f}x faster than the soundfile.info loop in wall time (goal: at least 5x)")

        mp3s = make_mp3_set(work / "mp3")
        truth = [decoded_seconds(p) for p in mp3s]
        ours = [s.duration_s for s in sp.probe_many(mp3s)]
        sfi = [soundfile.info(p).duration for p in mp3s]
        mut = [mutagen.File(p).info.length for p in mp3s]
        print(f"\n{'MP3 VBR without Xing, 40 files':44} {'max |error| ms':>15} {'mean |error| ms':>16}")
        for name, got in (("pystimpack", ours), ("soundfile.info", sfi), ("mutagen", mut)):
            err = [abs(g - t) * 1000 for g, t in zip(got, truth)]
            print(f"{name:44} {max(err):15.1f} {sum(err) / len(err):16.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
