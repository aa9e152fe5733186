"""Shared fixtures: the repository's test data, the CLI binary, datasets in temp dirs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "testdata" / "demo"
FIXTURES = REPO / "testdata" / "fixtures"


def cli_json(stimpack_bin, *args):
    """The CLI's `check ARGS --json` output (it exits 0 or 1: findings are not failures)."""
    out = subprocess.run(
        [str(stimpack_bin), "check", *args, "--json"], capture_output=True, check=False, text=True
    )
    assert out.returncode in (0, 1), out.stderr
    return out.stdout


@pytest.fixture(scope="session")
def stimpack_bin() -> Path:
    """The CLI built by `cargo test --workspace` (or STIMPACK_BIN), for comparing outputs."""
    path = Path(os.environ.get("STIMPACK_BIN", REPO / "target" / "debug" / "stimpack"))
    if not path.is_file():
        subprocess.run(["cargo", "build", "--quiet", "--bin", "stimpack"], cwd=REPO, check=True)
    assert path.is_file(), f"{path}: no stimpack binary; run `cargo build` or set STIMPACK_BIN"
    return path


@pytest.fixture
def in_repo(monkeypatch):
    """Runs the test from the repository root, so relative inputs read as the CLI's do."""
    monkeypatch.chdir(REPO)
    return REPO


@pytest.fixture
def broken_dataset(tmp_path) -> Path:
    """A dataset with one error: a WAV cut short next to good files."""
    root = tmp_path / "broken"
    src = root / "s1"
    src.mkdir(parents=True)
    shutil.copy(DEMO / "speech_1" / "reference.wav", src / "reference.wav")
    shutil.copy(DEMO / "speech_1" / "low.wav", src / "low.wav")
    shutil.copy(FIXTURES / "audio" / "wav_s16le_trunc.wav", src / "cut.wav")
    return root


@pytest.fixture(scope="session")
def large_dataset(tmp_path_factory) -> Path:
    """The demo's 16 compressed stimuli copied into 20 sources (320 files), for work that
    takes long enough to time when decoded."""
    root = tmp_path_factory.mktemp("large")
    n = 0
    for k in range(20):
        for src in sorted(DEMO.iterdir()):
            if src.is_dir():
                dst = root / f"{src.name}_{k:02d}"
                dst.mkdir()
                for f in src.iterdir():
                    if f.suffix != ".json":
                        shutil.copy(f, dst / f.name)
                        n += 1
    assert n == 320
    return root


def python() -> str:
    return sys.executable
