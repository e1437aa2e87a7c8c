"""The grammar: motifs, activities, cooperative pairs, score statistics."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from benchsuite.simulate.grammar import (
    CHANCE_STRENGTH,
    MIN_CONSENSUS_STRENGTH,
    Grammar,
    celltype_names,
    make_grammar,
    score_distribution,
)
from benchsuite.simulate.oracle import Oracle, make_oracle_params


@pytest.fixture(scope="module")
def grammar() -> Grammar:
    return make_grammar(5, np.random.default_rng(7))


def _consensus(motif) -> str:
    return "".join("ACGT"[i] for i in motif.ppm.argmax(axis=1))


def test_motif_set(grammar: Grammar) -> None:
    names = grammar.motif_names
    assert 8 <= len(names) <= 12 and len(set(names)) == len(names)
    assert _consensus(grammar.motif("CGACCGAACTCC")) == "CGACCGAACTCC"
    ap1 = _consensus(grammar.motif("AP1"))
    assert ap1 in ("TGACTCA", "TGAGTCA")
    # the central AP-1 position is degenerate between C and G
    centre = grammar.motif("AP1").ppm[3]
    assert centre[1] > 0.3 and centre[2] > 0.3
    for m in grammar.motifs:
        np.testing.assert_allclose(m.ppm.sum(axis=1), 1.0, atol=1e-6)
        assert np.all(m.ppm >= 0) and 6 <= m.width <= 16
        assert m.gain > 0 and m.temperature > 0
        # the consensus is a strong hit (short motifs: at least MIN_CONSENSUS_STRENGTH)
        consensus_strength = 1.0 / (1.0 + np.exp(-(m.max_score - m.threshold) / m.temperature))
        assert consensus_strength >= MIN_CONSENSUS_STRENGTH - 1e-4
    assert grammar.motif("AP1").flank is not None and grammar.motif("CTCF").flank is None


def test_activities(grammar: Grammar) -> None:
    act = grammar.activity
    assert act.shape == (5, len(grammar.motifs)) and np.all((act >= 0) & (act <= 1))
    assert np.all(act[:, grammar.motif_index("AP1")] > 0.5)  # broadly active
    primer = act[:, grammar.motif_index("CGACCGAACTCC")]
    assert 0 < (primer > 0).sum() < 5
    single = [m.name for j, m in enumerate(grammar.motifs) if (act[:, j] > 0).sum() == 1]
    assert single, "some factor is active in a single cell type only"
    assert np.all((act > 0).sum(axis=1) >= 4)  # every cell type has several active factors
    # cell types differ
    assert np.linalg.matrix_rank(act) == 5
    assert grammar.celltypes == celltype_names(5) == tuple(f"celltype_{c}" for c in "ABCDE")
    assert celltype_names(28)[-2:] == ("celltype_AA", "celltype_AB")


def test_cooperative_pairs(grammar: Grammar) -> None:
    assert len(grammar.coop) >= 1
    for pair in grammar.coop:
        ia, ib = grammar.motif_index(pair.motif_a), grammar.motif_index(pair.motif_b)
        assert np.any((grammar.activity[:, ia] > 0) & (grammar.activity[:, ib] > 0))
        d = np.arange(0, pair.radius + 50)
        w = pair.weight(d)
        inside = (d >= pair.min_distance) & (d <= pair.max_distance)
        assert np.all(w[inside] == 1.0)
        assert np.all(np.diff(w[d >= pair.max_distance]) <= 0)  # decays outside the window
        assert w[d > pair.radius].max() == 0.0 and w[0] == 0.0
        k = pair.kernel()
        assert k.shape[0] == 2 * pair.radius + 1 and np.allclose(k, k[::-1])


def test_deterministic_and_json_roundtrip(grammar: Grammar) -> None:
    again = make_grammar(5, np.random.default_rng(7))
    assert json.dumps(again.to_dict()) == json.dumps(grammar.to_dict())
    other = make_grammar(5, np.random.default_rng(8))
    assert json.dumps(other.to_dict()) != json.dumps(grammar.to_dict())
    clone = Grammar.from_dict(json.loads(json.dumps(grammar.to_dict())))
    assert clone.to_dict() == grammar.to_dict()
    for a, b in zip(clone.motifs, grammar.motifs, strict=True):
        np.testing.assert_array_equal(a.ppm, b.ppm)
        assert a.threshold == b.threshold


def test_score_distribution_matches_enumeration() -> None:
    rng = np.random.default_rng(0)
    logodds = rng.normal(0, 1, size=(5, 4))
    scores, prob = score_distribution(logodds, resolution=0.001)
    assert prob.sum() == pytest.approx(1.0)
    all_scores = np.array(
        [sum(logodds[i, b] for i, b in enumerate(seq)) for seq in itertools.product(range(4), repeat=5)]
    )
    for t in np.quantile(all_scores, [0.5, 0.9, 0.99, 0.999]):
        exact = np.mean(all_scores >= t - 1e-9)
        grid = prob[scores >= t - 0.003].sum()  # grid rounding: within a few steps
        assert grid == pytest.approx(exact, abs=0.01)


def test_chance_strength_is_calibrated() -> None:
    """Mean strength of the primer motif (no consensus cap) on random DNA ~ the budget (2 strands)."""
    g = make_grammar(3, np.random.default_rng(1))
    oracle = Oracle(g, make_oracle_params(3, np.random.default_rng(2)))
    seq = np.random.default_rng(3).integers(0, 4, size=(1, 1_000_000)).astype(np.uint8)
    ch = oracle.channels(seq)[0, g.motif_index("CGACCGAACTCC")]
    ratio = ch.mean() / (2 * CHANCE_STRENGTH)
    assert 0.3 < ratio < 2.0, ratio
