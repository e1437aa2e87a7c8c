"""Streaming metrics: many batches must equal one-shot scipy/numpy on the concatenated data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benchsuite.evaluate.streaming import (
    StreamingMean,
    StreamingMSE,
    StreamingPearson,
    StreamingScaleFactor,
    StreamingSpearman,
    average_ranks,
    scaled_mse_from_moments,
    spearman_exact,
    to_target_rows,
)


def _data(seed=0, n=120, t=3, length=40, ties=False):
    rng = np.random.default_rng(seed)
    true = rng.gamma(0.7, 2.0, size=(n, t, length)).astype(np.float32)
    pred = (0.6 * true + rng.gamma(1.0, 1.0, size=true.shape)).astype(np.float32)
    if ties:
        true[: n // 2] = np.round(true[: n // 2])
        pred[: n // 3] = np.round(pred[: n // 3], 1)
        true[:, :, :5] = 0.0
    return pred, true


def _stream(metric, pred, true, sizes):
    """Feed uneven batch sizes cycling through ``sizes``."""
    s, i = 0, 0
    while s < pred.shape[0]:
        e = min(pred.shape[0], s + sizes[i % len(sizes)])
        metric.update(pred[s:e], true[s:e])
        s, i = e, i + 1
    return metric


def _flat(a, t):
    return a[:, t].ravel().astype(np.float64)


def test_to_target_rows_layout():
    a = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    rows = to_target_rows(a)
    assert rows.shape == (3, 8) and rows.dtype == np.float64
    np.testing.assert_array_equal(rows[1], np.concatenate([a[0, 1], a[1, 1]]))


@pytest.mark.parametrize("sizes", [[1], [7, 3, 19], [1000]])
def test_pearson_and_mse_match_scipy(sizes):
    pred, true = _data(1)
    p = _stream(StreamingPearson(), pred, true, sizes)
    m = _stream(StreamingMSE(), pred, true, sizes)
    r, mse = p.compute(), m.compute()
    for t in range(true.shape[1]):
        x, y = _flat(pred, t), _flat(true, t)
        assert r[t] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
        assert mse[t] == pytest.approx(np.mean((x - y) ** 2), rel=1e-12)


def test_pearson_is_stable_with_a_large_offset():
    # naive running sums of squares lose every digit here; the centred merge must not
    rng = np.random.default_rng(3)
    base = rng.normal(size=(400, 1, 50))
    pred = 1e6 + base + 0.1 * rng.normal(size=base.shape)
    true = 1e6 + base
    r = _stream(StreamingPearson(), pred, true, [13]).compute()
    assert r[0] == pytest.approx(stats.pearsonr(pred.ravel(), true.ravel())[0], abs=1e-9)


def test_hand_checked_correlations():
    x = np.arange(10, dtype=np.float32).reshape(2, 1, 5)
    p = StreamingPearson()
    p.update(x, 3 * x + 2)
    assert p.compute()[0] == pytest.approx(1.0)
    p = StreamingPearson()
    p.update(x, -x)
    assert p.compute()[0] == pytest.approx(-1.0)
    # constant prediction: Pearson undefined -> NaN (documented), never 0
    p = StreamingPearson()
    p.update(np.full_like(x, 2.5), x)
    assert np.isnan(p.compute()[0])
    # a single pair: undefined
    p = StreamingPearson()
    p.update(np.ones((1, 1, 1)), np.ones((1, 1, 1)))
    assert np.isnan(p.compute()[0])


def test_constant_over_batches_with_float64_rounding_is_nan():
    p = StreamingPearson()
    for _ in range(5):
        p.update(np.full((3, 1, 7), 0.1), np.random.default_rng(0).normal(size=(3, 1, 7)))
    assert np.isnan(p.compute()[0])


def test_nan_pairs_are_skipped():
    pred, true = _data(2)
    pred[3, 0, :10] = np.nan
    true[7, 1, 5] = np.inf
    r = _stream(StreamingPearson(), pred, true, [11]).compute()
    mse = _stream(StreamingMSE(), pred, true, [11]).compute()
    for t in range(3):
        x, y = _flat(pred, t), _flat(true, t)
        ok = np.isfinite(x) & np.isfinite(y)
        assert r[t] == pytest.approx(stats.pearsonr(x[ok], y[ok])[0], abs=1e-12)
        assert mse[t] == pytest.approx(np.mean((x[ok] - y[ok]) ** 2), rel=1e-12)


def test_merge_equals_single_stream():
    pred, true = _data(4)
    whole = _stream(StreamingPearson(), pred, true, [17]).compute()
    a = _stream(StreamingPearson(), pred[:50], true[:50], [9])
    b = _stream(StreamingPearson(), pred[50:], true[50:], [23])
    np.testing.assert_allclose(a.merge(b).compute(), whole, atol=1e-12)
    ma = _stream(StreamingMSE(), pred[:50], true[:50], [9])
    mb = _stream(StreamingMSE(), pred[50:], true[50:], [9])
    np.testing.assert_allclose(ma.merge(mb).compute(), _stream(StreamingMSE(), pred, true, [5]).compute())


def test_float16_and_2d_inputs():
    pred, true = _data(5)
    r16 = _stream(StreamingPearson(), pred.astype(np.float16), true.astype(np.float16), [10]).compute()
    x = _flat(pred.astype(np.float16), 0)
    y = _flat(true.astype(np.float16), 0)
    assert r16[0] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    # (N, T) arrays: one value per sequence
    r2 = _stream(StreamingPearson(), pred[:, :, 0], true[:, :, 0], [7]).compute()
    x2, y2 = pred[:, 1, 0].astype(np.float64), true[:, 1, 0].astype(np.float64)
    assert r2[1] == pytest.approx(stats.pearsonr(x2, y2)[0], abs=1e-12)


def test_target_count_must_not_change():
    p = StreamingPearson()
    p.update(np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="targets"):
        p.update(np.ones((2, 2, 4)), np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match="same shape"):
        p.update(np.ones((2, 3, 4)), np.ones((2, 3, 5)))


def test_mean_and_scale_factor():
    pred, true = _data(6)
    mean = StreamingMean()
    for s in range(0, 120, 25):
        mean.update(true[s : s + 25])
    np.testing.assert_allclose(mean.compute(), true.astype(np.float64).mean(axis=(0, 2)), rtol=1e-12)
    sf = _stream(StreamingScaleFactor(), pred, true, [31]).compute()
    expected = true.astype(np.float64).mean(axis=(0, 2)) / pred.astype(np.float64).mean(axis=(0, 2))
    np.testing.assert_allclose(sf, expected, rtol=1e-12)
    # hand-checked: mean(true) = 4, mean(pred) = 2 -> factor 2; zero predictions -> NaN
    f = StreamingScaleFactor()
    f.update(np.array([[[1.0, 3.0]], [[2.0, 2.0]]]), np.array([[[4.0, 4.0]], [[2.0, 6.0]]]))
    assert f.compute()[0] == pytest.approx(2.0)
    f = StreamingScaleFactor()
    f.update(np.zeros((2, 1, 3)), np.ones((2, 1, 3)))
    assert np.isnan(f.compute()[0])


def test_scale_factor_skips_pairs_with_missing_truth():
    f = StreamingScaleFactor()
    f.update(np.array([[[1.0, 100.0]]]), np.array([[[3.0, np.nan]]]))
    assert f.compute()[0] == pytest.approx(3.0)


def test_scaled_mse_from_moments_matches_direct():
    pred, true = _data(7)
    p = _stream(StreamingPearson(), pred, true, [19])
    factor = np.array([0.5, 1.7, 3.0])
    got = scaled_mse_from_moments(p.n, p.mean_x, p.mean_y, p.m2x, p.m2y, p.cxy, factor)
    for t in range(3):
        x, y = _flat(pred, t), _flat(true, t)
        assert got[t] == pytest.approx(np.mean((factor[t] * x - y) ** 2), rel=1e-10)


def test_average_ranks_matches_rankdata():
    rng = np.random.default_rng(8)
    v = np.round(rng.normal(size=5000), 1).astype(np.float32)
    v[:10] = -0.0
    v[10:20] = 0.0
    np.testing.assert_array_equal(average_ranks(v), stats.rankdata(v.astype(np.float64), method="average"))
    assert average_ranks(np.array([3.0, 1.0, 2.0])).tolist() == [3.0, 1.0, 2.0]
    assert average_ranks(np.array([5.0, 5.0, 1.0])).tolist() == [2.5, 2.5, 1.0]


@pytest.mark.parametrize("ties", [False, True])
def test_spearman_exact_matches_scipy(ties, tmp_path):
    pred, true = _data(9, ties=ties)
    with StreamingSpearman("exact", tmp_dir=tmp_path) as sp:
        _stream(sp, pred, true, [13, 5])
        rho = sp.compute()
        assert sp.methods == ["exact"] * 3
        assert sp.spool_bytes == pred.size * 8
        assert not sp.on_disk  # small: kept in memory
    for t in range(3):
        assert rho[t] == pytest.approx(stats.spearmanr(_flat(pred, t), _flat(true, t))[0], abs=1e-12)
    # a memory budget smaller than the data spills the spool to disk; same result
    with StreamingSpearman("exact", tmp_dir=tmp_path, memory_budget=20_000) as sp:
        _stream(sp, pred, true, [13, 5])
        assert sp.on_disk and len(list(tmp_path.iterdir())) == 1
        np.testing.assert_allclose(sp.compute(), rho, atol=1e-15)
        hist = _stream(StreamingSpearman("histogram", memory_budget=0, chunk=1000), pred, true, [40])
        hist_rho = hist.compute()
        assert hist.on_disk
        hist.close()
    for t in range(3):
        exact = stats.spearmanr(_flat(pred, t), _flat(true, t))[0]
        assert abs(hist_rho[t] - exact) <= hist.error_bound[t] + 1e-12
    assert list(tmp_path.iterdir()) == []  # spool deleted on close


@pytest.mark.parametrize("ties", [False, True])
def test_spearman_histogram_within_its_bound(ties):
    pred, true = _data(10, n=300, ties=ties)
    sp = _stream(StreamingSpearman("histogram", bits=14, chunk=5000), pred, true, [40])
    rho = sp.compute()
    sp.close()
    assert sp.methods == ["histogram"] * 3
    for t in range(3):
        exact = stats.spearmanr(_flat(pred, t), _flat(true, t))[0]
        assert abs(rho[t] - exact) <= sp.error_bound[t] + 1e-12
        assert abs(rho[t] - exact) < 1e-3
        assert sp.error_bound[t] < 0.1
    # finer buckets: tighter bound (conservative when exact ties share a bucket with other values)
    fine = _stream(StreamingSpearman("histogram", bits=20), pred, true, [40])
    rho_fine = fine.compute()
    assert np.all(fine.error_bound < sp.error_bound)
    if not ties:
        assert np.all(fine.error_bound < 1e-3)
    for t in range(3):
        exact = stats.spearmanr(_flat(pred, t), _flat(true, t))[0]
        assert abs(rho_fine[t] - exact) <= fine.error_bound[t] + 1e-12
    fine.close()


def test_spearman_histogram_exact_ties_add_no_error():
    # a variable with only a few distinct values: every bucket holds one value -> exact
    rng = np.random.default_rng(11)
    pred = rng.integers(0, 5, size=(200, 1, 10)).astype(np.float32)
    true = (pred + rng.integers(0, 3, size=pred.shape)).astype(np.float32)
    sp = _stream(StreamingSpearman("histogram", bits=16), pred, true, [30])
    rho = sp.compute()[0]
    assert sp.error_bound[0] == 0.0
    assert rho == pytest.approx(stats.spearmanr(pred.ravel(), true.ravel())[0], abs=1e-12)
    sp.close()


def test_spearman_auto_switches_on_size():
    pred, true = _data(12)
    sp = _stream(StreamingSpearman("auto", exact_max=1000), pred[:10], true[:10], [3])
    sp.compute()
    assert sp.methods == ["exact"] * 3  # 400 pairs per target
    sp.close()
    sp = _stream(StreamingSpearman("auto", exact_max=1000), pred, true, [30])
    sp.compute()
    assert sp.methods == ["histogram"] * 3
    sp.close()


def test_spearman_undefined_and_nan_handling():
    x = np.arange(20, dtype=np.float32).reshape(4, 1, 5)
    sp = StreamingSpearman()
    sp.update(np.full_like(x, 1.0), x)
    assert np.isnan(sp.compute()[0])
    sp.close()
    sp = StreamingSpearman()
    y = x.copy()
    y[0, 0, 0] = np.nan
    sp.update(x, -y)
    assert sp.compute()[0] == pytest.approx(-1.0)
    assert sp.counts[0] == 19
    sp.close()
    assert spearman_exact(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 9.0])) == pytest.approx(1.0)


def test_spearman_narrow_range_falls_back_to_exact():
    # every value inside one histogram bucket but not all equal: ranked exactly instead
    rng = np.random.default_rng(13)
    base = np.float32(1000.0)
    pred = (base + rng.integers(0, 3, size=(50, 1, 4)) * np.float32(1e-4) * base).astype(np.float32)
    true = rng.normal(size=pred.shape).astype(np.float32)
    sp = _stream(StreamingSpearman("histogram", bits=10), pred, true, [10])
    rho = sp.compute()[0]
    assert sp.methods == ["exact"]
    assert rho == pytest.approx(stats.spearmanr(pred.ravel(), true.ravel())[0], abs=1e-12)
    sp.close()


def test_spearman_rejects_bad_options():
    with pytest.raises(ValueError, match="method"):
        StreamingSpearman("approximate")
    with pytest.raises(ValueError, match="bits"):
        StreamingSpearman(bits=4)


def test_spearman_spool_is_removed_when_collected(tmp_path):
    import gc

    pred, true = _data(14)
    sp = _stream(StreamingSpearman(tmp_dir=tmp_path, memory_budget=0), pred, true, [50])
    assert sp.on_disk and len(list(tmp_path.iterdir())) == 1
    del sp
    gc.collect()
    assert list(tmp_path.iterdir()) == []
