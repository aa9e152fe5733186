"""probe() and probe_many(): one file's readings and its own findings."""

import pytest

import pystimpack as sp
from conftest import DEMO, FIXTURES


def test_probe_reads_one_file_as_check_does():
    path = DEMO / "music_1" / "codec_mp3.mp3"
    s = sp.probe(path)
    assert isinstance(s, sp.Stimulus)
    assert s.path == str(path)
    assert (s.group, s.condition, s.media, s.format, s.codec) == ("music_1", "codec_mp3", "audio", "mp3", "mp3")
    assert s.issues == [] and s.ok is True
    in_report = next(x for x in sp.check(DEMO).stimuli if x.path == "music_1/codec_mp3.mp3")
    for key in ("format", "codec", "bytes", "duration_s", "sample_rate", "channels"):
        assert getattr(s, key) == getattr(in_report, key), key
    assert set(s.to_dict()) == set(in_report.to_dict())


def test_probe_of_a_damaged_file_returns_its_findings_not_an_exception():
    s = sp.probe(FIXTURES / "audio" / "flac_s16_trunc.flac")
    assert s.ok is False
    assert [i.severity for i in s.issues].count("error") >= 1
    assert all(i.path == s.path for i in s.issues)


def test_probe_many_keeps_the_order_and_returns_errors_as_values(tmp_path):
    paths = [DEMO / "speech_1" / "reference.wav", tmp_path / "missing.wav", DEMO, str(DEMO / "speech_2" / "low.wav")]
    out = sp.probe_many(paths)
    assert len(out) == 4
    assert isinstance(out[0], sp.Stimulus) and out[0].path == str(paths[0])
    assert isinstance(out[1], sp.ProbeError)
    assert out[1].path == str(paths[1])
    assert str(out[1]) == f"{paths[1]}: no such file or folder. Check the path"
    assert isinstance(out[2], sp.ProbeError) and "not a file" in str(out[2])
    assert isinstance(out[3], sp.Stimulus) and out[3].condition == "low"
    assert out[0] == sp.probe(paths[0])


def test_probe_many_gives_the_same_answers_with_any_thread_count():
    paths = sorted(p for p in DEMO.rglob("*") if p.suffix != ".json" and p.is_file())
    one = sp.probe_many(paths, threads=1)
    assert one == sp.probe_many(paths) == sp.probe_many(paths, threads=3)
    assert [s.path for s in one] == [str(p) for p in paths]
    assert sp.probe_many([]) == []


def test_probe_many_refuses_a_thread_count_the_cli_refuses():
    with pytest.raises(ValueError, match="257 is more than the 256 allowed"):
        sp.probe_many([DEMO / "speech_1" / "low.wav"], threads=257)
