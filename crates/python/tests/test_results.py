"""analyze_ratings: the statistics of `stimpack results`, over rows Python already holds."""

import csv
import io
import math

import pytest

import pystimpack as sp

# t(0.975, 2), for three ratings.
T_975_2 = 4.302652729749464


def acr_rows():
    rows = []
    for rater, (a, b) in enumerate([(4, 2), (5, 3), (3, 1)]):
        for cond, score in (("codec_a", a), ("codec_b", b)):
            rows.append(dict(rater_id=f"r{rater}", slate_id=f"s{rater}", source="song",
                             condition=cond, role="condition", score=score))
    return rows


def test_means_and_intervals_are_the_hand_computed_ones():
    out = sp.analyze_ratings(acr_rows(), type="acr_audio", experiment="e1")
    assert out["experiment"] == "e1" and out["type"] == "acr_audio"
    by = {c["condition"]: c for c in out["conditions"]}
    a = by["codec_a"]
    assert a["n"] == 3 and a["mean"] == pytest.approx(4.0) and a["sd"] == pytest.approx(1.0)
    half = T_975_2 * 1.0 / math.sqrt(3)
    assert a["ci95"] == pytest.approx([4.0 - half, 4.0 + half])
    assert by["codec_b"]["mean"] == pytest.approx(2.0)
    assert [r["source"] for r in out["by_source"]] == ["song", "song"]
    assert out["excluded_raters"] == []


def test_csv_rows_with_text_scores_and_no_role_column_work():
    text = "rater_id,slate_id,source,condition,score\n" + "".join(
        f"{r['rater_id']},{r['slate_id']},{r['source']},{r['condition']},{r['score']}\n" for r in acr_rows()
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    out = sp.analyze_ratings(rows, type="acr_audio")
    assert out == sp.analyze_ratings(acr_rows(), type="acr_audio")


def test_mushra_screening_excludes_the_rater_who_misses_the_hidden_reference():
    rows = []
    for rater in ("good1", "good2", "careless"):
        for item in range(4):
            ref = 40 if rater == "careless" else 100
            for cond, score, role in (("reference", ref, "reference"), ("codec", 60, "condition")):
                rows.append(dict(rater_id=rater, slate_id=f"{rater}-{item}", source=f"s{item}",
                                 condition=cond, role=role, score=score))
    out = sp.analyze_ratings(rows, type="mushra")
    assert [e["rater_id"] for e in out["excluded_raters"]] == ["careless"]
    ref = next(c for c in out["conditions"] if c["condition"] == "reference")
    assert ref["n"] == 8 and ref["mean"] == pytest.approx(100.0)
    kept = sp.analyze_ratings(rows, type="mushra", screening=False)
    assert kept["excluded_raters"] == []
    assert next(c for c in kept["conditions"] if c["condition"] == "reference")["n"] == 12


def test_bad_rows_name_the_row_and_the_field():
    rows = acr_rows()
    rows[2] = dict(rows[2], score="loud")
    with pytest.raises(ValueError, match=r"rating row 2: `score` loud is not a number"):
        sp.analyze_ratings(rows, type="acr_audio")
    rows[2] = dict(acr_rows()[2])
    del rows[2]["rater_id"]
    with pytest.raises(ValueError, match=r"rating row 2 has no `rater_id`"):
        sp.analyze_ratings(rows, type="acr_audio")
    with pytest.raises(ValueError, match=r"role `boss`"):
        sp.analyze_ratings([dict(acr_rows()[0], role="boss")], type="acr_audio")
