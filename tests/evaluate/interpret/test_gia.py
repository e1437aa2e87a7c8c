"""GIA: dinucleotide shuffle, motif importance, interaction curves, flanks."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.evaluate.interpret.gia import (
    dinucleotide_shuffle,
    embed,
    flank_importance,
    interaction_curve,
    make_backgrounds,
    motif_importance,
)

A = np.array([0, 1, 2], np.uint8)
B = np.array([3, 3, 1], np.uint8)


def _dinucleotides(x: np.ndarray) -> np.ndarray:
    return np.bincount(x[:-1].astype(int) * 5 + x[1:], minlength=25)


@pytest.mark.parametrize("seed", [0, 1])
def test_dinucleotide_shuffle_keeps_counts_ends_and_is_seeded(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, 300).astype(np.uint8)
    x[50:60] = 4
    y = dinucleotide_shuffle(x, np.random.default_rng(7))
    np.testing.assert_array_equal(_dinucleotides(x), _dinucleotides(y))
    assert (y[0], y[-1]) == (x[0], x[-1])
    assert (y != x).mean() > 0.3
    np.testing.assert_array_equal(y, dinucleotide_shuffle(x, np.random.default_rng(7)))


def test_backgrounds_and_embed() -> None:
    codes = np.random.default_rng(0).integers(0, 4, (10, 50)).astype(np.uint8)
    bg = make_backgrounds(codes, 4, seed=1)
    assert bg.shape == (4, 50)
    out = embed(bg, A, 10)
    np.testing.assert_array_equal(out[:, 10:13], np.tile(A, (4, 1)))
    assert (bg[:, 10:13] != out[:, 10:13]).any()  # a copy: the backgrounds are unchanged


def _positions(codes: np.ndarray, motif: np.ndarray) -> list[np.ndarray]:
    w = len(motif)
    win = np.lib.stride_tricks.sliding_window_view(codes, w, axis=1)
    return [np.flatnonzero((row == motif).all(axis=1)) + w // 2 for row in win]


def pair_scalar(codes: np.ndarray, *, cooperative: bool = True) -> np.ndarray:
    """Target 0: count(A) + count(B) (+ 5 when an A-B centre distance is in [10, 14])."""
    out = np.zeros((len(codes), 1))
    for i, (pa, pb) in enumerate(zip(_positions(codes, A), _positions(codes, B), strict=True)):
        out[i, 0] = len(pa) + 2 * len(pb)
        if cooperative and len(pa) and len(pb):
            d = np.abs(pa[:, None] - pb[None, :])
            out[i, 0] += 5.0 * ((d >= 10) & (d <= 14)).any()
    return out


def test_motif_importance_of_a_counting_model() -> None:
    bg = np.zeros((3, 60), np.uint8)
    gi = motif_importance(pair_scalar, bg, {"A": A, "B": B})
    np.testing.assert_allclose(gi, [[1.0], [2.0]])


def test_interaction_curve_peaks_inside_the_window_both_orders() -> None:
    bg = np.zeros((2, 80), np.uint8)
    d = np.arange(4, 30, 2)
    curves = interaction_curve(pair_scalar, bg, A, B, d)
    assert curves.shape == (2, len(d), 1)
    want = np.where((d >= 10) & (d <= 14), 5.0, 0.0)
    np.testing.assert_allclose(curves[0, :, 0], want)
    np.testing.assert_allclose(curves[1, :, 0], want)


def test_a_model_without_the_pair_term_shows_no_interaction() -> None:
    bg = np.zeros((2, 80), np.uint8)
    curves = interaction_curve(lambda c: pair_scalar(c, cooperative=False), bg, A, B, np.arange(4, 30, 2))
    np.testing.assert_allclose(curves, 0.0)


def test_flank_importance_ranks_flanks() -> None:
    def scalar(codes: np.ndarray) -> np.ndarray:  # value = base code right before the centre core
        return codes[:, 28:29].astype(float)

    bg = np.zeros((2, 60), np.uint8)
    flanks = np.array([[0, 0, 0, 0], [0, 3, 0, 0], [0, 2, 0, 0]], np.uint8)
    core = np.array([1, 1, 1, 1], np.uint8)  # core + flanks (8 bp) starts at 26: base -1 at 27
    gi = flank_importance(lambda c: c[:, 27:28].astype(float), bg, core, flanks)
    np.testing.assert_allclose(gi[:, 0], [0.0, 3.0, 2.0])
    assert scalar(bg).shape == (2, 1)
