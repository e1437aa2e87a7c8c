"""Metric functions against scipy / sklearn / direct numpy and hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.evaluate.metrics import (
    aupr_per_target,
    auroc_per_target,
    bin_average,
    broadcast_bins,
    mse_per_target,
    nanmean_or_none,
    pearson_per_target,
    per_sequence_pearson,
    per_sequence_pearson_matrix,
    scale_factors,
    single_class_reasons,
    spearman_per_target,
    thresholded_pearson,
)


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    true = rng.gamma(0.8, 2.0, size=(30, 4, 16)).astype(np.float32)
    pred = (0.5 * true + rng.gamma(1.0, 1.0, size=true.shape)).astype(np.float32)
    return pred, true


def _col(a, t):
    return a[:, t].ravel().astype(np.float64)


def test_whole_metrics_match_scipy(arrays):
    pred, true = arrays
    r, rho, mse = pearson_per_target(pred, true), spearman_per_target(pred, true), mse_per_target(pred, true)
    for t in range(4):
        x, y = _col(pred, t), _col(true, t)
        assert r[t] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
        assert rho[t] == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert mse[t] == pytest.approx(np.mean((x - y) ** 2), rel=1e-12)


def test_hand_checked_pearson():
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    assert pearson_per_target(x, 2 * x + 1)[0] == pytest.approx(1.0)
    assert pearson_per_target(x, -x)[0] == pytest.approx(-1.0)
    assert np.isnan(pearson_per_target(np.full_like(x, 7.0), x)[0])  # constant prediction -> NaN
    assert np.isnan(spearman_per_target(np.full_like(x, 7.0), x)[0])
    assert mse_per_target(x, x + 2)[0] == pytest.approx(4.0)


def test_per_sequence_pearson_matches_scipy_loop(arrays):
    pred, true = arrays
    pred = pred.copy()
    pred[3, 1] = 5.0  # constant sequence: undefined, skipped in the mean
    mat = per_sequence_pearson_matrix(pred, true)
    assert mat.shape == (30, 4)
    assert np.isnan(mat[3, 1])
    expected = np.full((30, 4), np.nan)
    for n in range(30):
        for t in range(4):
            if n == 3 and t == 1:
                continue
            expected[n, t] = stats.pearsonr(pred[n, t].astype(np.float64), true[n, t].astype(np.float64))[0]
    np.testing.assert_allclose(mat, expected, atol=1e-12)
    np.testing.assert_allclose(per_sequence_pearson(pred, true), np.nanmean(expected, axis=0), atol=1e-12)


def test_per_sequence_pearson_all_undefined_is_nan():
    pred = np.ones((3, 2, 5))
    true = np.random.default_rng(0).normal(size=(3, 2, 5))
    assert np.all(np.isnan(per_sequence_pearson(pred, true)))


def test_per_sequence_pearson_with_missing_positions():
    rng = np.random.default_rng(1)
    pred, true = rng.normal(size=(2, 1, 10)), rng.normal(size=(2, 1, 10))
    true[0, 0, :3] = np.nan
    mat = per_sequence_pearson_matrix(pred, true)
    assert mat[0, 0] == pytest.approx(stats.pearsonr(pred[0, 0, 3:], true[0, 0, 3:])[0], abs=1e-12)


def test_thresholded_pearson_selects_by_max_coverage_of_any_target(arrays):
    pred, true = arrays
    out = thresholded_pearson(pred, true, [0.0, 8.0, 1e9])
    peak = true.max(axis=(1, 2))
    mat = per_sequence_pearson_matrix(pred, true)
    np.testing.assert_allclose(out[0.0], np.nanmean(mat[peak > 0], axis=0))
    np.testing.assert_allclose(out[8.0], np.nanmean(mat[peak > 8.0], axis=0))
    assert 0 < (peak > 8.0).sum() < 30
    assert np.all(np.isnan(out[1e9]))  # nothing selected
    # explicit selection values (e.g. base-resolution max when the truth is binned)
    sel = np.arange(30, dtype=float)
    np.testing.assert_allclose(
        thresholded_pearson(pred, true, [19.5], select_by=sel)[19.5], mat[20:].mean(axis=0)
    )


def test_scale_factors_hand_checked():
    pred = np.array([[[1.0, 3.0], [2.0, 2.0]]])  # target means 2 and 2
    true = np.array([[[4.0, 4.0], [1.0, 0.0]]])  # target means 4 and 0.5
    np.testing.assert_allclose(scale_factors(pred, true), [2.0, 0.25])
    assert np.isnan(scale_factors(np.zeros((1, 1, 3)), np.ones((1, 1, 3)))[0])


def test_scale_factors_random(arrays):
    pred, true = arrays
    expected = true.astype(np.float64).mean(axis=(0, 2)) / pred.astype(np.float64).mean(axis=(0, 2))
    np.testing.assert_allclose(scale_factors(pred, true), expected, rtol=1e-12)


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


def test_auroc_aupr_match_sklearn():
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(300, 5))
    scores[:60] = np.round(scores[:60])  # ties
    labels = (rng.random((300, 5)) < 0.25 + 0.1 * np.arange(5)).astype(np.uint8)
    scores += labels * 0.8
    auroc, aupr = auroc_per_target(scores, labels), aupr_per_target(scores, labels)
    for t in range(5):
        assert auroc[t] == pytest.approx(roc_auc_score(labels[:, t], scores[:, t]), abs=1e-12)
        assert aupr[t] == pytest.approx(average_precision_score(labels[:, t], scores[:, t]), abs=1e-12)


def test_auroc_aupr_hand_checked():
    labels = np.array([0, 0, 1, 1])
    assert auroc_per_target(np.array([0.1, 0.2, 0.8, 0.9]), labels)[0] == 1.0
    assert auroc_per_target(np.array([0.9, 0.8, 0.2, 0.1]), labels)[0] == 0.0
    assert auroc_per_target(np.array([0.5, 0.5, 0.5, 0.5]), labels)[0] == 0.5
    assert aupr_per_target(np.array([0.1, 0.2, 0.8, 0.9]), labels)[0] == 1.0
    # ranking 1, 0, 1, 0: AP = 0.5 * 1 + 0.5 * 2/3
    assert aupr_per_target(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0]))[0] == pytest.approx(5 / 6)


def test_single_class_targets_are_nan_with_reason():
    scores = np.random.default_rng(3).normal(size=(10, 3))
    labels = np.zeros((10, 3), dtype=np.uint8)
    labels[:4, 1] = 1
    labels[:, 2] = 1
    assert np.isnan(auroc_per_target(scores, labels)[[0, 2]]).all()
    assert np.isnan(aupr_per_target(scores, labels)[[0, 2]]).all()
    assert np.isfinite(auroc_per_target(scores, labels)[1])
    reasons = single_class_reasons(labels, ["a", "b", "c"])
    assert set(reasons) == {"a", "c"}
    assert "only negative" in reasons["a"] and "only positive" in reasons["c"]


def test_nanmean_or_none():
    assert nanmean_or_none({"a": 1.0, "b": None, "c": float("nan"), "d": 3.0}) == 2.0
    assert nanmean_or_none([float("nan"), None]) is None
