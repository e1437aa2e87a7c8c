"""The oracle: motif activity per cell type, flanks, cooperativity, shift-equivariance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchsuite.errors import InputFileError
from benchsuite.simulate import Oracle, load_oracle
from benchsuite.simulate.grammar import make_grammar
from benchsuite.simulate.oracle import make_oracle_params

L = 1000
CENTRE = slice(350, 650)


def _codes(text: str) -> np.ndarray:
    return np.array(["ACGT".index(b) for b in text], dtype=np.uint8)


def _background(n: int = 48, seed: int = 11) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, size=(n, L)).astype(np.uint8)


def _plant(bg: np.ndarray, motif: np.ndarray, start: int) -> np.ndarray:
    x = bg.copy()
    x[:, start : start + motif.shape[0]] = motif
    return x


def _signal(oracle: Oracle, x: np.ndarray) -> np.ndarray:
    """Mean coverage over the centre, per target: (T,)."""
    return oracle.predict_codes(x)[:, :, CENTRE].mean(axis=(0, 2))


def test_primer_motif_raises_coverage_only_where_active(smoke_oracle: Oracle) -> None:
    g = smoke_oracle.grammar
    act = g.activity[:, g.motif_index("CGACCGAACTCC")]
    assert (act > 0).any() and (act == 0).any(), "the primer factor is active in some cell types only"
    bg = _background()
    delta = _signal(smoke_oracle, _plant(bg, _codes("CGACCGAACTCC"), 494)) - _signal(smoke_oracle, bg)
    assert np.all(delta[act > 0] > 0.5), delta
    assert np.all(np.abs(delta[act == 0]) < 0.05), delta
    # and scales with the activity where active
    on = np.flatnonzero(act > 0)
    if on.size > 1:
        assert np.corrcoef(act[on], delta[on])[0, 1] > 0.5 or np.ptp(act[on]) < 0.1


def test_ap1_with_preferred_flanks_raises_coverage_everywhere(smoke_oracle: Oracle) -> None:
    g = smoke_oracle.grammar
    ap1 = g.motif("AP1")
    assert np.all(g.activity[:, g.motif_index("AP1")] > 0)
    best = ap1.flank.argmax(axis=1)
    worst = ap1.flank.argmin(axis=1)
    core = ap1.consensus_codes()
    assert "".join("ACGT"[i] for i in core) in ("TGACTCA", "TGAGTCA")
    good = np.concatenate([best[:2], core, best[2:]]).astype(np.uint8)
    bad = np.concatenate([worst[:2], core, worst[2:]]).astype(np.uint8)
    bg = _background()
    base = _signal(smoke_oracle, bg)
    d_good = _signal(smoke_oracle, _plant(bg, good, 495)) - base
    d_bad = _signal(smoke_oracle, _plant(bg, bad, 495)) - base
    assert np.all(d_good > 0.3), d_good
    assert np.all(d_good > 2.5 * np.maximum(d_bad, 1e-6)), (d_good, d_bad)  # flank effect
    # the reverse complement works the same (both strands are scanned)
    rc = (3 - good)[::-1]
    d_rc = _signal(smoke_oracle, _plant(bg, rc, 495)) - base
    np.testing.assert_allclose(d_rc, d_good, rtol=0.05)


@pytest.mark.parametrize("pair_index", [0, 1])
def test_cooperative_pair_is_super_additive_only_at_preferred_distance(
    smoke_oracle: Oracle, pair_index: int
) -> None:
    g = smoke_oracle.grammar
    pair = g.coop[pair_index]
    ia, ib = g.motif_index(pair.motif_a), g.motif_index(pair.motif_b)
    both = np.flatnonzero((g.activity[:, ia] > 0) & (g.activity[:, ib] > 0))
    assert both.size > 0, "some cell type has both factors of the pair active"

    def site(name: str) -> np.ndarray:
        m = g.motif(name)
        core = m.consensus_codes()
        if m.flank is None:
            return core
        b = m.flank.argmax(axis=1)
        return np.concatenate([b[:2], core, b[2:]]).astype(np.uint8)

    a, b = site(pair.motif_a), site(pair.motif_b)
    bg = _background(seed=5)
    ca = 400  # centre of site a

    def at_centre(x: np.ndarray, s: np.ndarray, centre: int) -> np.ndarray:
        return _plant(x, s, centre - s.shape[0] // 2)

    d_pref = (pair.min_distance + pair.max_distance) // 2
    base = _signal(smoke_oracle, bg)
    only_a = _signal(smoke_oracle, at_centre(bg, a, ca)) - base
    only_b_near = _signal(smoke_oracle, at_centre(bg, b, ca + d_pref)) - base
    near = _signal(smoke_oracle, at_centre(at_centre(bg, a, ca), b, ca + d_pref)) - base
    far_d = pair.radius + 60
    only_b_far = _signal(smoke_oracle, at_centre(bg, b, ca + far_d)) - base
    far = _signal(smoke_oracle, at_centre(at_centre(bg, a, ca), b, ca + far_d)) - base
    for t in both:
        additive_near = only_a[t] + only_b_near[t]
        additive_far = only_a[t] + only_b_far[t]
        assert near[t] > 1.2 * additive_near, (t, near[t], additive_near)
        assert far[t] == pytest.approx(additive_far, rel=0.05, abs=0.02), (t, far[t], additive_far)


def test_shift_equivariance_away_from_edges(smoke_oracle: Oracle) -> None:
    rng = np.random.default_rng(3)
    seq = rng.integers(0, 4, size=6000).astype(np.uint8)
    g = smoke_oracle.grammar
    for k, pos in enumerate(range(500, 5500, 400)):  # plant motifs so there is signal
        m = g.motifs[k % len(g.motifs)]
        seq[pos : pos + m.width] = m.consensus_codes()
    w, shift = 3000, 137
    a = smoke_oracle.predict_codes(seq[None, 0:w])[0]
    b = smoke_oracle.predict_codes(seq[None, shift : shift + w])[0]
    r = smoke_oracle.receptive_radius
    assert r < 1000
    # a[x] is position x, b[x] is position x + shift
    np.testing.assert_allclose(b[:, r : w - r - shift], a[:, r + shift : w - r], rtol=1e-4, atol=1e-4)
    assert np.ptp(a[:, r : w - r]) > 1.0  # the comparison covers real signal
    # blocked whole-sequence prediction equals one-shot prediction
    full = smoke_oracle.predict_codes(seq[None])[0]
    smoke_oracle.block, saved = 1024, smoke_oracle.block
    try:
        blocked = smoke_oracle.predict_sequence(seq)
    finally:
        smoke_oracle.block = saved
    np.testing.assert_allclose(blocked, full, rtol=1e-4, atol=1e-4)


def test_onehot_call_and_n_handling(smoke_oracle: Oracle) -> None:
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 5, size=(3, 700)).astype(np.uint8)  # includes N
    onehot = np.zeros((3, 4, 700), dtype=np.float32)
    for b in range(4):
        onehot[:, b] = codes == b
    out = smoke_oracle(onehot)
    assert out.shape == (3, len(smoke_oracle.target_names), 700) and out.dtype == np.float32
    np.testing.assert_array_equal(out, smoke_oracle.predict_codes(codes))
    assert np.all(np.isfinite(out)) and np.all(out > 0)
    # all-N sequence: background only, flat
    flat = smoke_oracle.predict_codes(np.full((1, 600), 4, dtype=np.uint8))[0]
    np.testing.assert_allclose(flat, flat[:, :1].repeat(600, axis=1), rtol=1e-5)
    with pytest.raises(ValueError):
        smoke_oracle(np.zeros((2, 3, 10), dtype=np.float32))


def test_oracle_roundtrip_and_load_errors(smoke_bundle, smoke_oracle: Oracle, tmp_path) -> None:
    same = load_oracle(smoke_bundle / "truth.json")
    assert same.target_names == smoke_oracle.target_names == ("celltype_A", "celltype_B", "celltype_C")
    x = _background(4)
    np.testing.assert_array_equal(same.predict_codes(x), smoke_oracle.predict_codes(x))
    clone = Oracle.from_dict(json.loads(json.dumps(smoke_oracle.to_dict())))
    np.testing.assert_array_equal(clone.predict_codes(x), smoke_oracle.predict_codes(x))
    with pytest.raises(InputFileError, match="truth.json"):
        load_oracle(tmp_path)
    bad = tmp_path / "truth.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="cannot read the oracle"):
        load_oracle(bad)


def test_random_background_stays_below_threshold_mostly() -> None:
    """Chance motif matches contribute a little: random DNA rarely reaches coverage 2."""
    g = make_grammar(4, np.random.default_rng(0))
    oracle = Oracle(g, make_oracle_params(4, np.random.default_rng(1)))
    seq = np.random.default_rng(2).integers(0, 4, size=400_000).astype(np.uint8)
    cov = oracle.predict_codes(seq[None])[0]
    bg = oracle.params.background
    assert np.all(np.median(cov, axis=1) < 2 * bg.max())
    assert np.mean(cov > 2.0) < 0.02
