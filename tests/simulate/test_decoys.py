"""Tests of benchsuite.simulate.decoys: the decoy motifs of a simulated bundle's database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchsuite.io.meme import Motif, read_meme
from benchsuite.simulate.decoys import (
    DECOY_ALT_NAME,
    DECOY_PREFIX,
    MAX_SIMILARITY,
    MEAN_IC_RANGE,
    N_DECOYS,
    WIDTH_COUNTS,
    is_decoy,
    make_decoys,
    motif_similarity,
    position_ic,
    write_motif_database,
)
from benchsuite.simulate.grammar import make_grammar

# JASPAR 2024 CORE vertebrates non-redundant, per-position IC (bits): quantiles 10/25/50/75/90 %
# and mean (the calibration numbers of decoys.py)
JASPAR_IC_QUANTILES = (0.486, 0.886, 1.437, 1.789, 1.970)
JASPAR_IC_MEAN = 1.318


@pytest.fixture(scope="module")
def planted() -> list[np.ndarray]:
    return [m.ppm for m in make_grammar(3, np.random.default_rng([0, 1])).motifs]


@pytest.fixture(scope="module")
def decoys(planted):
    return make_decoys(planted, np.random.default_rng([0, 7]))


def test_decoys_are_many_named_and_marked(decoys):
    assert N_DECOYS >= 200 and len(decoys.motifs) == N_DECOYS
    names = [m.name for m in decoys.motifs]
    assert len(set(names)) == N_DECOYS and names[0] == f"{DECOY_PREFIX}001"
    assert all(m.alt_name == DECOY_ALT_NAME and is_decoy(m) for m in decoys.motifs)
    assert not is_decoy(Motif("AP1", np.full((3, 4), 0.25), "AP-1-like"))
    assert is_decoy(Motif("X", np.full((3, 4), 0.25), DECOY_ALT_NAME))
    for m in decoys.motifs:
        np.testing.assert_allclose(m.ppm.sum(axis=1), 1.0, atol=1e-9)
        assert m.ppm.min() >= 0.0


def test_decoy_information_content_matches_jaspar(decoys):
    widths = np.array([m.width for m in decoys.motifs])
    assert widths.min() >= min(WIDTH_COUNTS) and widths.max() <= max(WIDTH_COUNTS)
    assert 8 <= np.median(widths) <= 11  # JASPAR: median 9
    means = np.array([position_ic(m.ppm).mean() for m in decoys.motifs])
    assert np.all((means >= MEAN_IC_RANGE[0]) & (means <= MEAN_IC_RANGE[1]))
    ics = np.concatenate([position_ic(m.ppm) for m in decoys.motifs])
    assert ics.min() >= 0.0 and ics.max() <= 2.0
    np.testing.assert_allclose(np.percentile(ics, [10, 25, 50, 75, 90]), JASPAR_IC_QUANTILES, atol=0.1)
    assert abs(ics.mean() - JASPAR_IC_MEAN) < 0.05
    # not all alike: some near-uniform positions and some near-certain ones
    assert (ics < 0.3).mean() > 0.02 and (ics > 1.8).mean() > 0.15


def test_decoys_are_deterministic(planted, decoys):
    again = make_decoys(planted, np.random.default_rng([0, 7]))
    assert again.n_rejected == decoys.n_rejected
    for a, b in zip(again.motifs, decoys.motifs, strict=True):
        assert a.name == b.name and np.array_equal(a.ppm, b.ppm)
    other = make_decoys(planted, np.random.default_rng([1, 7]), n=5)
    assert not all(np.array_equal(a.ppm, b.ppm) for a, b in zip(other.motifs, decoys.motifs[:5], strict=True))


def test_no_decoy_is_close_to_a_planted_motif(planted, decoys):
    for m in decoys.motifs:
        assert max(motif_similarity(m.ppm, p) for p in planted) < MAX_SIMILARITY


def test_similarity_sees_copies_submotifs_and_reverse_complements(planted):
    ap1 = planted[1]
    ctcf = planted[2]
    assert motif_similarity(ap1, ap1) == pytest.approx(1.0, abs=0.02)
    assert motif_similarity(ap1[::-1, ::-1], ap1) == pytest.approx(1.0, abs=0.02)  # other strand
    assert motif_similarity(ctcf[3:10], ctcf) > 0.95  # a sub-motif
    assert motif_similarity(ctcf, ctcf[3:10]) > 0.95  # containing it
    flanked = np.vstack([np.full((5, 4), 0.25), ap1, np.full((4, 4), 0.25)])
    assert motif_similarity(flanked, ap1) > 0.95
    # the planted motifs are distinct from each other
    sims = [motif_similarity(a, b) for i, a in enumerate(planted) for b in planted[i + 1 :]]
    assert max(sims) < MAX_SIMILARITY


def test_near_duplicates_are_rejected():
    free = make_decoys([], np.random.default_rng(3), n=4)
    assert free.n_rejected == 0
    first = free.motifs[0].ppm
    # the same stream with the first candidate as a "planted" motif: it must be rejected
    guarded = make_decoys([first], np.random.default_rng(3), n=4)
    assert guarded.n_rejected >= 1
    assert not np.array_equal(guarded.motifs[0].ppm, first)
    assert all(motif_similarity(m.ppm, first) < MAX_SIMILARITY for m in guarded.motifs)
    # a planted motif that contains a decoy's core is also caught (other strand, flanked)
    host = np.vstack([np.full((3, 4), 0.25), first[::-1, ::-1], np.full((3, 4), 0.25)])
    assert motif_similarity(first, host) > MAX_SIMILARITY


def test_write_motif_database_puts_planted_first(tmp_path: Path, planted):
    motifs = [Motif(f"P{i}", p, "planted") for i, p in enumerate(planted)]
    decoys = write_motif_database(tmp_path / "db.meme", motifs, np.random.default_rng(5), n=12)
    back = read_meme(tmp_path / "db.meme")
    assert [m.name for m in back] == [m.name for m in motifs] + [m.name for m in decoys.motifs]
    assert [is_decoy(m) for m in back] == [False] * len(motifs) + [True] * 12
    for a, b in zip(back[len(motifs) :], decoys.motifs, strict=True):
        np.testing.assert_allclose(a.ppm, b.ppm, atol=1e-6)
    truth = decoys.to_truth()
    assert truth["names"] == [m.name for m in decoys.motifs] and truth["max_similarity"] == MAX_SIMILARITY


def test_smoke_bundle_lists_its_decoys(smoke_bundle: Path, smoke_truth: dict):
    motifs = read_meme(smoke_bundle / "motifs.meme")
    planted = [m["name"] for m in smoke_truth["grammar"]["motifs"]]
    decoys = [m.name for m in motifs if is_decoy(m)]
    assert [m.name for m in motifs if not is_decoy(m)] == planted
    assert decoys == smoke_truth["decoys"]["names"] and len(decoys) == N_DECOYS
