"""Batched ISM: a hand-made sequence with one planted site gives the expected map."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.evaluate.interpret.ism import ism, ism_magnitude

MOTIF = np.array([1, 2, 3], np.uint8)  # CGT


def count_motif(codes: np.ndarray) -> np.ndarray:
    """Two targets: occurrences of CGT, and twice that."""
    w = codes[:, :-2] * 16 + codes[:, 1:-1] * 4 + codes[:, 2:]
    n = (w == 1 * 16 + 2 * 4 + 3).sum(axis=1).astype(float)
    return np.stack([n, 2 * n], axis=1)


def test_one_planted_site_gives_minus_one_at_its_bases_only() -> None:
    codes = np.zeros((1, 40), np.uint8)  # all A: no single substitution creates CGT
    codes[0, 18:21] = MOTIF
    delta = ism(count_motif, codes, 10, 20, batch=7)
    assert delta.shape == (1, 2, 20, 4)
    expected = np.zeros((20, 4))
    for p in range(8, 11):  # positions 18..20 of the window
        expected[p] = -1.0
        expected[p, MOTIF[p - 8]] = 0.0
    np.testing.assert_array_equal(delta[0, 0], expected)
    np.testing.assert_array_equal(delta[0, 1], 2 * expected)
    np.testing.assert_array_equal(ism_magnitude(delta)[0, 0], np.abs(expected).sum(axis=1) / 3)


def test_reference_is_reused_and_spans_per_sequence() -> None:
    codes = np.zeros((2, 30), np.uint8)
    codes[1, 5:8] = MOTIF
    calls = []

    def scalar(c: np.ndarray) -> np.ndarray:
        calls.append(len(c))
        return count_motif(c)

    ref = count_motif(codes)
    delta = ism(scalar, codes, np.array([0, 4]), 6, reference=ref, batch=1000)
    assert calls == [2 * 6 * 3]  # one batched call, no reference prediction
    assert (delta[0] == 0).all()
    assert delta[1, 0, 1, 0] == -1.0  # position 5 = span index 1


def test_span_outside_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="leaves the window"):
        ism(count_motif, np.zeros((1, 10), np.uint8), 5, 8)
