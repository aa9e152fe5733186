"""Errors: Python exceptions with the library's messages."""

import pytest

import pystimpack as sp
from conftest import DEMO


def test_a_missing_input_is_file_not_found(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as caught:
        sp.check(missing)
    assert str(caught.value) == f"{missing}: no such file or folder. Check the path"
    with pytest.raises(FileNotFoundError):
        sp.probe(missing)


def test_an_unreadable_input_is_input_error_a_value_error(tmp_path):
    assert issubclass(sp.InputError, ValueError)
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4")
    with pytest.raises(sp.InputError, match="not a dataset. Give a folder, a .zip archive or a .txt"):
        sp.check(other)
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(sp.InputError, match="not a readable zip archive"):
        sp.check(bad_zip)
    with pytest.raises(sp.InputError, match="not a file"):
        sp.probe(DEMO)


def test_bad_options_are_value_errors_naming_the_choices():
    with pytest.raises(ValueError, match="unknown experiment type 'mushraa'; use one of: .*mushra"):
        sp.check(DEMO, experiment="mushraa")
    with pytest.raises(ValueError, match="threads=300 is more than the 256 allowed"):
        sp.check(DEMO, threads=300)
    with pytest.raises(TypeError):
        sp.check(DEMO, anchors="low")  # a str is not a list of names
    with pytest.raises(TypeError):
        sp.check(DEMO, "mushra")  # options are keywords only
