"""check() and pack() with the CLI's other options under its flags' names: platform, analyze
(and its thresholds), online (and its settings). The same input gives the same JSON as the CLI,
byte for byte."""

import datetime
import http.server
import shutil
import threading
from io import BytesIO
from pathlib import Path

import pytest

import pystimpack as sp
from conftest import DEMO, FIXTURES, cli_json

NEW_FIELDS = [
    "audio_codec", "profile", "pixel_format", "variable_frame_rate", "color", "bit_depth",
    "icc_profile", "orientation", "loudness_lufs", "true_peak_dbtp", "sample_peak_dbfs",
    "clipped_samples", "leading_silence_s", "trailing_silence_s", "dc_offset", "dual_mono",
]


def test_analyze_gives_the_cli_s_json_and_typed_measurements(in_repo, stimpack_bin):
    stdout = cli_json(stimpack_bin, "testdata/demo", "--analyze", "--target-lufs", "-23", "--max-true-peak", "-2")
    report = sp.check("testdata/demo", analyze=True, target_lufs=-23, max_true_peak=-2.0)
    assert report.to_json() == stdout
    ref = next(s for s in report.stimuli if s.path == "speech_1/reference.wav")
    assert isinstance(ref.loudness_lufs, float) and -70 < ref.loudness_lufs < 0
    assert ref.dual_mono is None  # one channel
    for s in report.stimuli:
        d = s.to_dict()
        for name in NEW_FIELDS:
            assert getattr(s, name) == d[name], (s.path, name)
    # without analyze nothing is measured
    assert all(s.loudness_lufs is None for s in sp.check("testdata/demo").stimuli)


def test_header_details_are_attributes_too(tmp_path):
    src = tmp_path / "images" / "s1"
    src.mkdir(parents=True)
    shutil.copy(FIXTURES / "analyze" / "display_p3.jpg", src / "p3.jpg")
    shutil.copy(FIXTURES / "analyze" / "rotated.jpg", src / "rotated.jpg")
    report = sp.check(tmp_path / "images")
    by_path = {s.path: s for s in report.stimuli}
    assert by_path["s1/p3.jpg"].icc_profile == by_path["s1/p3.jpg"].to_dict()["icc_profile"]
    assert by_path["s1/p3.jpg"].icc_profile is not None
    assert by_path["s1/rotated.jpg"].orientation == 6


def test_platform_rules_are_the_cli_s(in_repo, stimpack_bin):
    for platform in ["datature", "prolific", "coactive", "mabyduck"]:
        stdout = cli_json(stimpack_bin, "testdata/demo", "--platform", platform)
        assert sp.check("testdata/demo", platform=platform).to_json() == stdout, platform
    codes = {i.code for i in sp.check("testdata/demo", platform="datature").issues}
    assert "format-not-accepted" in codes


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte ranges (the first of a list) and CORS, as a simple host."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return None
        data = path.read_bytes()
        start, end, status = 0, len(data), 200
        spec = self.headers.get("Range", "")
        if spec.startswith("bytes="):
            first = spec[6:].split(",")[0].strip()
            a, _, b = first.partition("-")
            if a == "":
                start = max(0, len(data) - int(b))
            else:
                start, end = int(a), min(len(data), int(b) + 1 if b else len(data))
            status = 206
        body = data[start:end]
        self.send_response(status)
        self.send_header("Content-Type", "audio/wav" if path.suffix == ".wav" else "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        return BytesIO(body)


@pytest.fixture
def media_host():
    """The demo set served over HTTP on 127.0.0.1 by a server this test starts."""
    handler = lambda *a, **k: RangeHandler(*a, directory=str(DEMO), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_online_reads_a_url_list_as_the_cli_does(stimpack_bin, media_host, tmp_path):
    paths = sorted(p.relative_to(DEMO).as_posix() for p in DEMO.rglob("*") if p.is_file() and p.suffix != ".json")
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{media_host}/{p}\n" for p in paths))
    stdout = cli_json(stimpack_bin, str(urls), "--online", "--allow-private", "--per-host", "4")
    report = sp.check(urls, online=True, allow_private=True, per_host=4, valid_for=datetime.timedelta(days=3))
    assert report.to_json() == stdout
    local = {s.path: s.duration_s for s in sp.check(DEMO).stimuli}
    online = {s.path: s.duration_s for s in report.stimuli}
    assert online == local
    # Without online=True nothing is fetched: no durations for URLs.
    assert all(s.duration_s is None for s in sp.check(urls).stimuli)


def test_a_private_url_is_refused_unless_allowed(media_host, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{media_host}/speech_1/reference.wav\n{media_host}/speech_1/low.wav\n")
    codes = {i.code for i in sp.check(urls, online=True).issues}
    assert "private-url" in codes


def test_pack_reads_online_and_analyzes(stimpack_bin, media_host, tmp_path, in_repo):
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{media_host}/speech_1/reference.wav\n{media_host}/speech_1/low.wav\n")
    manifest = sp.pack(urls, tmp_path / "out.txt", online=True, allow_private=True)
    assert all(s["duration_s"] == pytest.approx(3.0) for g in manifest.to_dict()["groups"] for s in g["stimuli"])
    manifest = sp.pack("testdata/demo", tmp_path / "demo.zip", analyze=True)
    assert all(
        s["loudness_lufs"] is not None
        for g in manifest.to_dict()["groups"]
        for s in g["stimuli"]
        if s["media"] == "audio" and s["format"] in ("wav", "flac")
    )


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"platform": "nope"}, "platform"),
        ({"online": True, "per_host": 0}, "per_host"),
        ({"online": True, "min_rate": 0}, "min_rate"),
        ({"online": True, "max_download": 0}, "max_download"),
        ({"analyze": True, "loudness_tolerance": -1.0}, "loudness_tolerance"),
        ({"analyze": True, "target_lufs": float("nan")}, "target_lufs"),
        # what needs online=True or analyze=True, as the CLI's flags need theirs
        ({"allow_private": True}, "allow_private needs online=True"),
        ({"origin": "https://app.example"}, "origin needs online=True"),
        ({"target_lufs": -23.0}, "target_lufs needs analyze=True"),
        ({"per_host": 0}, "per_host"),
    ],
)
def test_wrong_values_are_value_errors_naming_the_keyword(kwargs, word):
    with pytest.raises(ValueError, match=word):
        sp.check(DEMO, **kwargs)
