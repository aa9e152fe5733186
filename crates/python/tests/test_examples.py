"""The examples in crates/python/examples run and give probe()'s answers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pystimpack as sp
from conftest import DEMO

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def file_list(tmp_path):
    paths = sorted(str(p) for p in DEMO.rglob("*") if p.is_file() and p.suffix != ".json")
    missing = str(tmp_path / "missing.wav")
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(paths + [missing]) + "\n")
    return listing, paths, missing


def run(args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)


def expected(paths):
    out = {}
    for p in paths:
        s = sp.probe(p)
        record = s.to_dict()
        record["issues"] = [i.to_dict() for i in s.issues]
        out[p] = record
    return out


def test_multiprocessing_example_probes_every_file_in_order(tmp_path):
    listing, paths, missing = file_list(tmp_path)
    out = run([str(EXAMPLES / "multiprocessing_probe.py"), str(listing), "2"])
    assert out.returncode == 1, out.stderr  # the missing file is an error
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["path"] for line in lines] == paths + [missing]
    assert lines[:-1] == list(expected(paths).values())
    assert lines[-1]["error"].endswith("no such file or folder. Check the path")
    assert f"{len(paths) + 1} files, 1 with errors" in out.stderr


def test_ray_data_example_in_local_mode(tmp_path):
    pytest.importorskip("ray.data", reason="Ray is not installed (STIMPACK_TEST_RAY=1 crates/python/test.sh installs it)")
    listing, paths, missing = file_list(tmp_path)
    env = dict(os.environ, RAY_ENABLE_UV_RUN_RUNTIME_ENV="0")
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "ray_probe.py"), str(listing)],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert out.returncode == 1, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    by_path = {line["path"]: line for line in lines}
    assert set(by_path) == set(paths) | {missing}
    want = expected(paths)
    for p in paths:
        assert by_path[p] == want[p]
    assert "no such file or folder" in by_path[missing]["error"]
