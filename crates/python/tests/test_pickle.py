"""Results cross process boundaries: pickle and multiprocessing."""

import multiprocessing
import pickle

import pystimpack as sp
from conftest import DEMO


def test_stimulus_report_issue_manifest_survive_pickle(tmp_path, broken_dataset):
    s = sp.probe(DEMO / "speech_1" / "codec_opus.opus")
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.to_dict() == s.to_dict() and back.issues == s.issues
    report = sp.check(broken_dataset)
    back = pickle.loads(pickle.dumps(report))
    assert back == report and back.to_json() == report.to_json()
    issue = report.issues[0]
    assert pickle.loads(pickle.dumps(issue)) == issue
    manifest = sp.pack(DEMO, tmp_path / "d.zip")
    assert pickle.loads(pickle.dumps(manifest)).to_json() == manifest.to_json()
    err = sp.probe_many([tmp_path / "missing.wav"])[0]
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is sp.ProbeError and back.path == err.path and str(back) == str(err)


def test_stimulus_round_trips_through_a_multiprocessing_pool():
    paths = sorted(str(p) for p in DEMO.rglob("*") if p.is_file() and p.suffix != ".json")
    ctx = multiprocessing.get_context("spawn")  # the strictest: nothing is inherited
    with ctx.Pool(2) as pool:
        remote = pool.map(sp.probe, paths)
    assert remote == [sp.probe(p) for p in paths]
    assert all(isinstance(s, sp.Stimulus) for s in remote)
