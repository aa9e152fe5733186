"""pack(): the archive and manifest of `stimpack pack`; refusals as exceptions."""

import json
import subprocess
import zipfile

import pytest

import pystimpack as sp
from conftest import DEMO


def test_pack_writes_the_archive_and_manifest_the_cli_writes(tmp_path, stimpack_bin):
    out = tmp_path / "py.zip"
    manifest = sp.pack(DEMO, out, source_date_epoch=1_700_000_000)
    assert isinstance(manifest, sp.Manifest)
    written = (tmp_path / "py.manifest.json").read_text()
    assert manifest.to_json() == written
    assert manifest.to_dict() == json.loads(written)
    assert manifest.archive["file"] == "py.zip" and manifest.archive["bytes"] == out.stat().st_size
    assert manifest.created == "2023-11-14T22:13:20Z"
    assert manifest.schema_version == 1 and manifest.tool.startswith("stimpack ")
    assert manifest.input_kind == "folder"
    assert manifest.summary["stimuli"] == 16 == len(manifest.stimuli)
    assert set(manifest.sha256) == {s.path for s in manifest.stimuli}
    assert all(len(h) == 64 for h in manifest.sha256.values())
    assert [f["path"] for f in manifest.files] == ["speech_1/config.json"]
    assert manifest.groups == manifest.to_dict()["groups"]
    assert manifest.issues == []
    with zipfile.ZipFile(out) as z:
        assert len([n for n in z.namelist() if not n.endswith("/")]) == 17
    # The CLI makes the same bytes from the same input and time.
    cli_out = tmp_path / "cli.zip"
    env = {"SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/bin:/bin"}
    subprocess.run([str(stimpack_bin), "pack", str(DEMO), "-o", str(cli_out), "-q"], check=True, env=env)
    assert cli_out.read_bytes() == out.read_bytes()
    cli_manifest = json.loads((tmp_path / "cli.manifest.json").read_text())
    assert cli_manifest["archive"]["sha256"] == manifest.archive["sha256"]


def test_pack_options_reach_the_library(tmp_path):
    out = tmp_path / "d.zip"
    side = tmp_path / "elsewhere.json"
    m = sp.pack(DEMO, out, manifest=side, compress=True, experiment="mushra", anchors=["low"], threads=1)
    assert side.is_file() and not (tmp_path / "d.manifest.json").exists()
    assert m.to_json() == side.read_text()
    with pytest.raises(FileExistsError, match="already exists. Overwrite it with the `force` option"):
        sp.pack(DEMO, out, manifest=side)
    assert sp.pack(DEMO, out, manifest=side, force=True) is not None


def test_a_refused_pack_raises_dataset_error_carrying_the_report(tmp_path, broken_dataset):
    out = tmp_path / "b.zip"
    with pytest.raises(sp.DatasetError) as caught:
        sp.pack(broken_dataset, out)
    err = caught.value
    assert isinstance(err.report, sp.Report)
    assert err.report == sp.check(broken_dataset)
    assert not err.report.ok
    assert "s1/cut.wav: error[truncated-audio]" in str(err)
    assert "nothing written" in str(err)
    assert not out.exists()


def test_pack_errors_are_exceptions_with_the_library_messages(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        sp.pack(tmp_path / "missing", tmp_path / "x.zip")
    with pytest.raises(sp.PackError, match="a dataset packs to a .zip file"):
        sp.pack(DEMO, tmp_path / "x.tar")
    with pytest.raises(sp.PackError, match="inside the input folder"):
        sp.pack(DEMO, DEMO / "x.zip")
