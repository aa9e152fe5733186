"""check(): the same report as `stimpack check --json`, with typed objects."""

import json
import shutil
import zipfile

import pytest

import pystimpack as sp
from conftest import DEMO, cli_json


def test_check_gives_the_same_json_as_the_cli_on_the_demo_set(in_repo, stimpack_bin):
    stdout = cli_json(stimpack_bin, "testdata/demo")
    report = sp.check("testdata/demo")
    assert report.to_dict() == json.loads(stdout)
    assert report.to_json() == stdout
    # Field order too: the dict is the JSON object, key for key.
    assert list(report.to_dict()) == list(json.loads(stdout))


def test_check_with_rules_gives_the_same_json_as_the_cli(in_repo, stimpack_bin, broken_dataset):
    args = ["--experiment", "mushra", "--anchor", "low", "--strict"]
    stdout = cli_json(stimpack_bin, "testdata/demo", *args)
    report = sp.check("testdata/demo", experiment="mushra", anchors=["low"], strict=True)
    assert report.to_json() == stdout
    stdout = cli_json(stimpack_bin, str(broken_dataset))
    assert sp.check(broken_dataset).to_json() == stdout


def test_report_attributes_are_typed_and_stimuli_flatten_the_groups(in_repo):
    report = sp.check(DEMO, anchors=("low",))
    d = report.to_dict()
    assert report.ok is True
    assert report.input == str(DEMO)
    assert report.input_kind == "folder"
    assert report.summary == d["summary"]
    assert report.summary["stimuli"] == 16
    assert report.groups == d["groups"]
    flat = [s for g in d["groups"] for s in g["stimuli"]]
    assert [s.to_dict() for s in report.stimuli] == flat
    ref = next(s for s in report.stimuli if s.path == "speech_1/reference.wav")
    assert (ref.group, ref.condition, ref.role, ref.media) == ("speech_1", "reference", "reference", "audio")
    assert (ref.format, ref.codec, ref.sample_rate, ref.channels) == ("wav", "pcm_s16le", 24000, 1)
    assert isinstance(ref.duration_s, float) and ref.duration_s == pytest.approx(3.0)
    assert ref.bytes == (DEMO / "speech_1" / "reference.wav").stat().st_size
    assert ref.width is None and ref.fps is None and ref.url is None
    assert ref.issues is None and ref.ok is None  # a report's findings are the report's
    low = next(s for s in report.stimuli if s.path == "speech_1/low.wav")
    assert low.role == "anchor"
    assert repr(report).startswith("<Report ")


def test_issues_are_typed_and_print_as_the_cli_shows_them(broken_dataset):
    report = sp.check(broken_dataset)
    assert not report.ok
    assert report.summary["errors"] >= 1
    issue = next(i for i in report.issues if i.severity == "error")
    assert issue.path == "s1/cut.wav"
    assert issue.code == "truncated-audio"
    assert issue.line is None and issue.paths == []
    assert issue.message and str(issue).startswith("s1/cut.wav: error[truncated-audio] ")
    assert issue.to_dict() == report.to_dict()["issues"][report.issues.index(issue)]


def test_check_reads_zip_archives_and_url_lists(tmp_path):
    archive = tmp_path / "demo.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(DEMO.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(DEMO).as_posix())
    report = sp.check(archive)
    assert report.input_kind == "zip"
    assert report.summary["stimuli"] == 16
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.com/d/s1/reference.wav\nhttps://example.com/d/s1/a.mp3\n")
    report = sp.check(urls)
    assert report.input_kind == "url_list"
    assert [s.url for s in report.stimuli] == [
        "https://example.com/d/s1/a.mp3",
        "https://example.com/d/s1/reference.wav",
    ]


def test_reference_and_threads_options_reach_the_library(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(DEMO, data)
    report = sp.check(data, reference="low", threads=1)
    roles = {s.path: s.role for s in report.stimuli}
    assert roles["speech_1/low.wav"] == "reference"
    assert roles["speech_1/reference.wav"] == "condition"
    assert sp.check(data, decode=True, threads=2).ok
