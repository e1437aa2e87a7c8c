"""Attribution seqlets: selection, trimming, matching (Tomtom stood in for)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchsuite.evaluate.interpret import seqlets
from benchsuite.evaluate.interpret.seqlets import seqlet_ppms, seqlet_report, top_seqlets
from benchsuite.io.meme import Motif


def test_top_seqlets_are_the_best_non_overlapping_windows() -> None:
    mag = np.zeros((2, 60))
    mag[0, 10:15] = 1.0  # score 5
    mag[0, 40:45] = 0.5  # score 2.5
    mag[1, 30:35] = 2.0  # score 10
    found = top_seqlets(mag, width=5, k=3, per_sequence=2)
    assert [(i, s) for i, s, _ in found] == [(1, 30), (0, 10), (0, 40)]
    np.testing.assert_allclose([v for _, _, v in found], [10.0, 5.0, 2.5])
    assert [(i, s) for i, s, _ in top_seqlets(mag, width=5, k=3, per_sequence=1)] == [(1, 30), (0, 10)]
    assert top_seqlets(mag, width=100) == []


def test_seqlet_ppms_trim_to_the_attributed_span() -> None:
    codes = np.array([[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2]], np.uint8)
    mag = np.zeros((1, 15))
    mag[0, 4:11] = 1.0
    (ppm,) = seqlet_ppms(codes, mag, [(0, 0, 7.0)], width=15)
    assert ppm.shape == (7, 4)
    np.testing.assert_array_equal(ppm.argmax(axis=1), codes[0, 4:11])
    np.testing.assert_allclose(ppm.sum(axis=1), 1.0)


def test_report_counts_matches_but_not_decoys(monkeypatch: pytest.MonkeyPatch) -> None:
    motifs = [Motif("GOOD", np.eye(4)[[0, 1, 2, 3, 0, 1]]), Motif("DECOY_x", np.eye(4)[[3, 3, 3, 3, 3, 3]])]

    def fake(ppms, database):  # noqa: ANN001, ANN202
        p = np.full((len(ppms), len(database)), 0.9)
        for i, q in enumerate(ppms):
            p[i, 0 if q.argmax(axis=1)[0] == 0 else 1] = 1e-8
        return p

    monkeypatch.setattr("benchsuite.evaluate.motifs.tomtom.tomtom_pvalues", fake)
    codes = np.tile(np.array([0, 1, 2, 3, 0, 1, 3, 3, 3, 3, 3, 3], np.uint8), (2, 1))
    mag = np.zeros((2, 1, 12))
    mag[0, 0, 0:6] = 1.0  # a GOOD seqlet
    mag[1, 0, 6:12] = 1.0  # a decoy seqlet
    report = seqlet_report(mag, codes, ["t"], motifs, planted=["GOOD"], decoys=["DECOY_x"], width=6, k=2)
    assert report["matches"] == {"t": {"GOOD": 1, "DECOY_x": 1}}
    assert report["match_rate"] == [0.5]
    assert report["recovery"] == 1.0
    assert report["best"] == {"t": {"window": 0, "start": 0, "match": "GOOD"}}
    assert seqlets.match_seqlets([], motifs) == []


def test_seqlet_figure_data_has_one_row_per_target_with_a_seqlet(tmp_path) -> None:  # noqa: ANN001
    from benchsuite.evaluate.figures_render import render_figure
    from benchsuite.evaluate.interpret.figures import write_seqlets

    codes = np.random.default_rng(1).integers(0, 4, (2, 30)).astype(np.uint8)
    mag = np.random.default_rng(0).random((2, 2, 30))
    best = {"a": {"window": 1, "start": 3, "match": "GOOD"}}
    path = write_seqlets(best, mag, codes, ["a", "b"], 10, tmp_path)
    assert path == tmp_path / "seqlets.json" and not list(tmp_path.glob("*.png"))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["name"] == "interpret.seqlets"
    assert doc["titles"] == ["a: best seqlet (window 1, 3-13), match GOOD"]
    with np.load(tmp_path / "seqlets.npz") as data:
        maps = data["maps"]
    expected = np.zeros((10, 4))
    expected[np.arange(10), codes[1, 3:13]] = mag[1, 0, 3:13]
    np.testing.assert_allclose(maps, expected[None], rtol=1e-6)
    assert render_figure(path)[1].read_bytes()[:4] == b"\x89PNG"
