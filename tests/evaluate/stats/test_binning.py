"""Binning (``benchsuite.evaluate.stats.binning``): bin averages and per-sequence broadcasts."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.evaluate.stats import bin_average, broadcast_bins


def test_bin_average_hand_written():
    x = np.array([[1.0, 3.0, 2.0, 2.0, 0.0, 6.0, 5.0, 5.0]])
    np.testing.assert_array_equal(bin_average(x, 2), [[2.0, 2.0, 3.0, 5.0]])
    np.testing.assert_array_equal(bin_average(x, 4), [[2.0, 4.0]])
    np.testing.assert_array_equal(bin_average(x, 1), x)
    assert bin_average(x.astype(np.float16), 2).dtype == np.float32
    with pytest.raises(ValueError, match="multiple"):
        bin_average(x, 3)
    # (N, T, L) layout: bins along the last axis only
    y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(bin_average(y, 4), y.mean(axis=2, keepdims=True))


def test_broadcast_bins():
    x = np.array([[1.0, 2.0]])
    out = broadcast_bins(x, 3)
    assert out.shape == (1, 2, 3)
    np.testing.assert_array_equal(out[0, 1], [2.0, 2.0, 2.0])


def test_bin_average_nan_propagates_into_its_bin_only():
    x = np.array([1.0, np.nan, 2.0, 4.0, 6.0, 6.0])
    out = bin_average(x, 2)
    assert np.isnan(out[0])
    np.testing.assert_array_equal(out[1:], [3.0, 6.0])
    assert bin_average(np.arange(4), 2).dtype == np.float64  # integers average in float64
    with pytest.raises(ValueError, match=">= 1"):
        bin_average(x, 0)
