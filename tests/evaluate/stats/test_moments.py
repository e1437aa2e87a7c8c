"""The moments kernel (``benchsuite.evaluate.stats.moments``) against scipy / direct numpy.

Every Pearson r, MSE, scaled MSE and scale factor of the harness comes from :class:`Moments`:
one-shot faces, streamed batches and merged states must all equal scipy / numpy on the
concatenated data, at any magnitude, with non-finite pairs skipped.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import stats

from benchsuite.evaluate.stats import (
    Moments,
    StreamingMSE,
    StreamingPearson,
    masked_rows,
    mse_per_target,
    nanmean_or_none,
    pearson_1d,
    pearson_per_target,
    per_sequence_pearson_matrix,
    scale_factors,
    to_target_rows,
)
from benchsuite.evaluate.stats import moments as moments_module
from tests.evaluate.stats.helpers import coverage_like, flat, stream


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    true = rng.gamma(0.8, 2.0, size=(30, 4, 16)).astype(np.float32)
    pred = (0.5 * true + rng.gamma(1.0, 1.0, size=true.shape)).astype(np.float32)
    return pred, true


def _correlated(seed, n=60, t=2, length=25):
    """O(1) float64 ``(n, t, length)`` arrays with a correlation of about 0.9."""
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 1.0, size=(n, t, length))
    return x, x + 0.5 * rng.normal(size=x.shape)


def _fold(parts, order):
    return functools.reduce(lambda a, b: a.merge(b), [parts[i] for i in order])


# ----------------------------------------------------------------------------- one-shot faces


def test_pearson_and_mse_per_target_match_scipy(arrays):
    pred, true = arrays
    r, mse = pearson_per_target(pred, true), mse_per_target(pred, true)
    for t in range(4):
        x, y = flat(pred, t), flat(true, t)
        assert r[t] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
        assert mse[t] == pytest.approx(np.mean((x - y) ** 2), rel=1e-12)


def test_hand_checked_pearson_and_mse():
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    assert pearson_per_target(x, 2 * x + 1)[0] == pytest.approx(1.0)
    assert pearson_per_target(x, -x)[0] == pytest.approx(-1.0)
    assert np.isnan(pearson_per_target(np.full_like(x, 7.0), x)[0])  # constant prediction -> NaN
    assert mse_per_target(x, x + 2)[0] == pytest.approx(4.0)


def test_pearson_1d_matches_scipy_and_skips_nan_pairs():
    rng = np.random.default_rng(20)
    x, y = rng.normal(size=50), rng.normal(size=50)
    y = y + x
    x[3], y[10] = np.nan, np.inf
    ok = np.isfinite(x) & np.isfinite(y)
    assert pearson_1d(x, y) == pytest.approx(stats.pearsonr(x[ok], y[ok])[0], abs=1e-12)
    assert np.isnan(pearson_1d([1.0, 2.0], [3.0, np.nan]))  # one pair left: undefined


def test_per_sequence_pearson_matches_scipy_loop(arrays):
    pred, true = arrays
    pred = pred.copy()
    pred[3, 1] = 5.0  # constant sequence: undefined
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


def test_per_sequence_pearson_all_undefined_is_nan():
    pred = np.ones((3, 2, 5))
    true = np.random.default_rng(0).normal(size=(3, 2, 5))
    assert np.all(np.isnan(per_sequence_pearson_matrix(pred, true)))
    with pytest.raises(ValueError, match=r"\(N, T, P\)"):
        per_sequence_pearson_matrix(pred[:, :, 0], true[:, :, 0])


def test_per_sequence_pearson_with_missing_positions():
    rng = np.random.default_rng(1)
    pred, true = rng.normal(size=(2, 1, 10)), rng.normal(size=(2, 1, 10))
    true[0, 0, :3] = np.nan
    mat = per_sequence_pearson_matrix(pred, true)
    assert mat[0, 0] == pytest.approx(stats.pearsonr(pred[0, 0, 3:], true[0, 0, 3:])[0], abs=1e-12)
    assert mat[1, 0] == pytest.approx(stats.pearsonr(pred[1, 0], true[1, 0])[0], abs=1e-12)


def test_scale_factors_hand_checked():
    pred = np.array([[[1.0, 3.0], [2.0, 2.0]]])  # target means 2 and 2
    true = np.array([[[4.0, 4.0], [1.0, 0.0]]])  # target means 4 and 0.5
    np.testing.assert_allclose(scale_factors(pred, true), [2.0, 0.25])
    assert np.isnan(scale_factors(np.zeros((1, 1, 3)), np.ones((1, 1, 3)))[0])


def test_scale_factors_random(arrays):
    pred, true = arrays
    expected = true.astype(np.float64).mean(axis=(0, 2)) / pred.astype(np.float64).mean(axis=(0, 2))
    np.testing.assert_allclose(scale_factors(pred, true), expected, rtol=1e-12)


def test_nanmean_or_none():
    assert nanmean_or_none({"a": 1.0, "b": None, "c": float("nan"), "d": 3.0}) == 2.0
    assert nanmean_or_none([float("nan"), None]) is None


def test_to_target_rows_layout():
    a = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    rows = to_target_rows(a)
    assert rows.shape == (3, 8) and rows.dtype == np.float64
    np.testing.assert_array_equal(rows[1], np.concatenate([a[0, 1], a[1, 1]]))
    with pytest.raises(ValueError, match="shape"):
        to_target_rows(np.zeros(4))


def test_masked_rows_zeroes_invalid_pairs():
    pred = np.arange(8, dtype=np.float32).reshape(2, 1, 4)
    true = pred.copy()
    x, y, mask = masked_rows(pred, true)
    assert mask is None and x.dtype == np.float64
    true[1, 0, 2] = np.nan
    x, y, mask = masked_rows(pred, true)
    np.testing.assert_array_equal(mask, [[True] * 6 + [False, True]])
    assert x[0, 6] == 0.0 and y[0, 6] == 0.0


# ----------------------------------------------------------------------------- streaming classes


@pytest.mark.parametrize("sizes", [[1], [7, 3, 19], [1000]])
def test_streamed_pearson_and_mse_match_scipy(sizes):
    pred, true = coverage_like(1)
    p = stream(StreamingPearson(), pred, true, sizes)
    m = stream(StreamingMSE(), pred, true, sizes)
    r, mse = p.compute(), m.compute()
    for t in range(true.shape[1]):
        x, y = flat(pred, t), flat(true, t)
        assert r[t] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
        assert mse[t] == pytest.approx(np.mean((x - y) ** 2), rel=1e-12)


def test_pearson_is_stable_with_a_large_offset():
    # naive running sums of squares lose every digit here; the centred merge must not
    rng = np.random.default_rng(3)
    base = rng.normal(size=(400, 1, 50))
    pred = 1e6 + base + 0.1 * rng.normal(size=base.shape)
    true = 1e6 + base
    r = stream(StreamingPearson(), pred, true, [13]).compute()
    assert r[0] == pytest.approx(stats.pearsonr(pred.ravel(), true.ravel())[0], abs=1e-9)


def test_hand_checked_correlations():
    x = np.arange(10, dtype=np.float32).reshape(2, 1, 5)
    p = StreamingPearson()
    assert p.compute().shape == (0,) and p.num_targets is None  # nothing seen yet
    p.update(x, 3 * x + 2)
    assert p.compute()[0] == pytest.approx(1.0) and p.num_targets == 1
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
    p.reset()
    assert p.moments is None


def test_constant_over_batches_with_float64_rounding_is_nan():
    p = StreamingPearson()
    for _ in range(5):
        p.update(np.full((3, 1, 7), 0.1), np.random.default_rng(0).normal(size=(3, 1, 7)))
    assert np.isnan(p.compute()[0])


def test_nan_pairs_are_skipped():
    pred, true = coverage_like(2)
    pred[3, 0, :10] = np.nan
    true[7, 1, 5] = np.inf
    r = stream(StreamingPearson(), pred, true, [11]).compute()
    mse = stream(StreamingMSE(), pred, true, [11]).compute()
    for t in range(3):
        x, y = flat(pred, t), flat(true, t)
        ok = np.isfinite(x) & np.isfinite(y)
        assert r[t] == pytest.approx(stats.pearsonr(x[ok], y[ok])[0], abs=1e-12)
        assert mse[t] == pytest.approx(np.mean((x[ok] - y[ok]) ** 2), rel=1e-12)


def test_merge_equals_single_stream():
    pred, true = coverage_like(4)
    whole = stream(StreamingPearson(), pred, true, [17]).compute()
    a = stream(StreamingPearson(), pred[:50], true[:50], [9])
    b = stream(StreamingPearson(), pred[50:], true[50:], [23])
    np.testing.assert_allclose(a.merge(b).compute(), whole, atol=1e-12)
    ma = stream(StreamingMSE(), pred[:50], true[:50], [9])
    mb = stream(StreamingMSE(), pred[50:], true[50:], [9])
    np.testing.assert_allclose(ma.merge(mb).compute(), stream(StreamingMSE(), pred, true, [5]).compute())
    # merging into or from an accumulator that saw nothing
    np.testing.assert_array_equal(StreamingPearson().merge(a).compute(), a.compute())
    np.testing.assert_array_equal(a.merge(StreamingPearson()).compute(), a.compute())


def test_float16_and_2d_inputs():
    pred, true = coverage_like(5)
    r16 = stream(StreamingPearson(), pred.astype(np.float16), true.astype(np.float16), [10]).compute()
    x = flat(pred.astype(np.float16), 0)
    y = flat(true.astype(np.float16), 0)
    assert r16[0] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    # (N, T) arrays: one value per sequence
    r2 = stream(StreamingPearson(), pred[:, :, 0], true[:, :, 0], [7]).compute()
    x2, y2 = pred[:, 1, 0].astype(np.float64), true[:, 1, 0].astype(np.float64)
    assert r2[1] == pytest.approx(stats.pearsonr(x2, y2)[0], abs=1e-12)


def test_target_count_must_not_change():
    p = StreamingPearson()
    p.update(np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="targets"):
        p.update(np.ones((2, 2, 4)), np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match="same shape"):
        p.update(np.ones((2, 3, 4)), np.ones((2, 3, 5)))


# ----------------------------------------------------------------------------- means, scale factor, MSE


def test_streamed_means_and_scale_factor():
    # formerly StreamingMean / StreamingScaleFactor: now Moments.means and Moments.scale_factor()
    pred, true = coverage_like(6)
    m = stream(StreamingPearson(), pred, true, [25]).moments
    mean_x, mean_y = m.means
    np.testing.assert_allclose(mean_x, pred.astype(np.float64).mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(mean_y, true.astype(np.float64).mean(axis=(0, 2)), rtol=1e-12)
    sf = stream(StreamingPearson(), pred, true, [31]).moments.scale_factor()
    expected = true.astype(np.float64).mean(axis=(0, 2)) / pred.astype(np.float64).mean(axis=(0, 2))
    np.testing.assert_allclose(sf, expected, rtol=1e-12)
    # hand-checked: mean(true) = 4, mean(pred) = 2 -> factor 2; zero predictions -> NaN
    f = StreamingPearson()
    f.update(np.array([[[1.0, 3.0]], [[2.0, 2.0]]]), np.array([[[4.0, 4.0]], [[2.0, 6.0]]]))
    assert f.moments.scale_factor()[0] == pytest.approx(2.0)
    f = StreamingPearson()
    f.update(np.zeros((2, 1, 3)), np.ones((2, 1, 3)))
    assert np.isnan(f.moments.scale_factor()[0])
    # no pair at all: NaN, and the means are 0 (NaN-free)
    empty = Moments.empty(2)
    assert np.isnan(empty.scale_factor()).all() and np.isnan(empty.mse()).all()
    assert empty.means[0].tolist() == [0.0, 0.0]


def test_scale_factor_skips_pairs_with_missing_truth():
    f = StreamingPearson()
    f.update(np.array([[[1.0, 100.0]]]), np.array([[[3.0, np.nan]]]))
    assert f.moments.scale_factor()[0] == pytest.approx(3.0)
    assert scale_factors(np.array([[[1.0, 100.0]]]), np.array([[[3.0, np.nan]]]))[0] == pytest.approx(3.0)


def test_scaled_mse_from_moments_matches_direct():
    # formerly scaled_mse_from_moments: now StreamingPearson().moments.mse(factor)
    pred, true = coverage_like(7)
    p = stream(StreamingPearson(), pred, true, [19])
    factor = np.array([0.5, 1.7, 3.0])
    got = p.moments.mse(factor)
    for t in range(3):
        x, y = flat(pred, t), flat(true, t)
        assert got[t] == pytest.approx(np.mean((factor[t] * x - y) ** 2), rel=1e-10)


def test_mse_and_scale_factor_match_numpy_with_nan_pairs_skipped():
    pred, true = (a.astype(np.float64) for a in coverage_like(8))
    pred[3, 0, :10] = np.nan
    pred[20, 2, 3] = -np.inf
    true[7, 1, 5] = np.inf
    true[11, 2, :] = np.nan
    true[40:45, 1, 7] = np.nan
    m = stream(StreamingPearson(), pred, true, [19, 4]).moments
    factor = np.array([0.5, 1.7, 3.0])
    got, got_scalar, got_plain, sf = m.mse(factor), m.mse(2.5), m.mse(), m.scale_factor()
    got_scaled = m.mse(sf)  # the harness's wholechrom.mse_scaled
    for t in range(3):
        x, y = flat(pred, t), flat(true, t)
        ok = np.isfinite(x) & np.isfinite(y)
        assert ok.sum() < ok.size
        x, y = x[ok], y[ok]
        assert m.n[t] == ok.sum()
        assert got[t] == pytest.approx(np.mean((factor[t] * x - y) ** 2), rel=1e-11)
        assert got_scalar[t] == pytest.approx(np.mean((2.5 * x - y) ** 2), rel=1e-11)
        assert got_plain[t] == pytest.approx(np.mean((x - y) ** 2), rel=1e-11)
        assert sf[t] == pytest.approx(y.mean() / x.mean(), rel=1e-12)
        assert got_scaled[t] == pytest.approx(np.mean((y.mean() / x.mean() * x - y) ** 2), rel=1e-11)
    np.testing.assert_allclose(mse_per_target(pred, true), got_plain, rtol=1e-12)
    np.testing.assert_allclose(stream(StreamingMSE(), pred, true, [50]).compute(), got_plain, rtol=1e-12)
    np.testing.assert_allclose(scale_factors(pred, true), sf, rtol=1e-12)
    assert np.isnan(m.mse(np.array([1.0, np.nan, np.inf]))[1:]).all()  # non-finite factor: NaN


def test_mse_near_the_top_of_the_float64_range_matches_numpy():
    """Values of ~1e154 (rescaled rows): the MSE is ~1e300, finite, and numpy computes it directly."""
    rng = np.random.default_rng(21)
    x = rng.uniform(0.7, 1.0, size=(40, 1, 25)) * 1e154
    y = x + 1e150 * rng.normal(size=x.shape)
    expected = np.mean((x - y) ** 2)
    assert np.isfinite(expected)
    assert mse_per_target(x, y)[0] == pytest.approx(expected, rel=1e-9)
    assert scale_factors(x, y)[0] == pytest.approx(y.mean() / x.mean(), rel=1e-12)


def test_mse_beyond_the_float64_range_is_inf():
    """Documented by ``Moments.mse``: ``inf`` when the true value exceeds the float64 range."""
    x = np.random.default_rng(22).uniform(0.7, 1.0, size=(40, 1, 25)) * 1e200
    with np.errstate(over="ignore"):
        assert np.isposinf(np.mean((2.0 * x - x) ** 2))  # the true value, ~1e400
    assert np.isposinf(mse_per_target(x, 2.0 * x)[0])


# ----------------------------------------------------------------------------- magnitudes and rescaling


@pytest.mark.parametrize(
    "magnitude", [1e-300, 1e-200, 1e-100, 1e-80, 1.0, 1e80, 1e100, 1e200, 1e300], ids=lambda m: f"{m:g}"
)
def test_pearson_at_any_magnitude_equals_scipy_on_rescaled_data(magnitude):
    a, b = _correlated(23)
    x, y = a * magnitude, b * magnitude
    r_whole = pearson_per_target(x, y)
    r_stream = stream(StreamingPearson(), x, y, [7, 13]).compute()
    for t in range(2):
        expected = stats.pearsonr(flat(x, t) / magnitude, flat(y, t) / magnitude)[0]
        assert r_whole[t] == pytest.approx(expected, abs=1e-12)
        assert r_stream[t] == pytest.approx(expected, abs=1e-12)


def test_pearson_where_a_naive_sum_of_squares_overflows_or_underflows():
    a, b = _correlated(24)
    for magnitude in (1e200, 1e-200):
        x, y = a * magnitude, b * magnitude
        with np.errstate(over="ignore", under="ignore"):
            naive = np.sum(flat(x, 0) ** 2)
        assert np.isinf(naive) if magnitude > 1 else naive == 0.0
        r = pearson_per_target(x, y)
        assert np.isfinite(r).all()
        expected = stats.pearsonr(flat(x, 0) / magnitude, flat(y, 0) / magnitude)[0]
        assert r[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("big_first", [False, True])
def test_pearson_merges_batches_of_mixed_magnitudes(big_first):
    """An ordinary batch merged with a batch of 1e200 values: scipy on all data / 1e200."""
    a, b = _correlated(25, n=40)
    c, d = _correlated(26, n=40)
    big = 1e200
    batches = [(a, b), (c * big, d * big)]
    if big_first:
        batches.reverse()
    p = StreamingPearson()
    for x, y in batches:
        p.update(x, y)
    x = np.concatenate([x for x, _ in batches])
    y = np.concatenate([y for _, y in batches])
    m = p.moments
    for t in range(2):
        expected = stats.pearsonr(flat(x, t) / big, flat(y, t) / big)[0]
        assert p.compute()[t] == pytest.approx(expected, abs=1e-12)
        assert m.n[t] == x.shape[0] * x.shape[2]
        assert m.means[0][t] == pytest.approx(flat(x, t).mean(), rel=1e-12)
        assert m.scale_factor()[t] == pytest.approx(flat(y, t).mean() / flat(x, t).mean(), rel=1e-12)
    # x in units of 1e200, y in units of 1e-200: each variable keeps its own scale
    p = StreamingPearson()
    p.update(a, b * 1e-200)
    p.update(c * big, d * 1e-200)
    xa, ya = np.concatenate([a, c * big]), np.concatenate([b * 1e-200, d * 1e-200])
    for t in range(2):
        expected = stats.pearsonr(flat(xa, t) / big, flat(ya, t) * big)[0]
        assert p.compute()[t] == pytest.approx(expected, abs=1e-12)


def test_rescaling_is_bit_identical_for_rows_in_the_normal_range():
    rng = np.random.default_rng(27)
    x = rng.normal(2.0, 1.5, size=(3, 500))
    y = x + rng.normal(size=x.shape)
    plain = Moments.from_rows(x.copy(), y.copy(), None)
    assert (plain.scale_x == 1).all() and (plain.scale_y == 1).all()
    up = Moments.from_rows(x * 2.0**600, y * 2.0**600, None)
    assert (up.scale_x > 2.0**500).all() and (up.scale_y > 2.0**500).all()  # the rescaling path ran
    np.testing.assert_array_equal(up.pearson(), plain.pearson())
    np.testing.assert_array_equal(up.means[0], plain.means[0] * 2.0**600)
    np.testing.assert_array_equal(up.means[1], plain.means[1] * 2.0**600)
    np.testing.assert_array_equal(up.scale_factor(), plain.scale_factor())
    mixed = Moments.from_rows(x * 2.0**600, y * 2.0**-600, None)
    assert (mixed.scale_y < 2.0**-500).all()
    np.testing.assert_array_equal(mixed.pearson(), plain.pearson())


def test_forced_rescaling_is_bit_identical_when_streaming(monkeypatch):
    pred, true = (a.astype(np.float64) for a in coverage_like(28))
    pred[5, 1, :4] = np.nan
    factor = np.array([0.5, 1.7, 3.0])

    def run():
        m = stream(StreamingPearson(), pred, true, [13, 29]).moments
        return m, [m.pearson(), *m.means, m.scale_factor(), m.mse(), m.mse(factor)]

    plain, expected = run()
    assert (plain.scale_x == 1).all()
    monkeypatch.setattr(moments_module, "_SAFE_HIGH", 0.0)  # every row with a non-zero value rescales
    forced, got = run()
    assert (forced.scale_x != 1).all() and (forced.scale_y != 1).all()
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_merge_is_order_independent():
    pred, true = (a.astype(np.float64) for a in coverage_like(29, n=90))
    pred[10:14, 0] = np.nan  # one batch below holds no pair of target 0
    true[30, 2, :7] = np.inf
    bounds = [0, 5, 10, 14, 31, 32, 60, 77, 90]
    parts = [
        Moments.from_rows(*masked_rows(pred[s:e], true[s:e]))
        for s, e in zip(bounds, bounds[1:], strict=False)
    ]
    assert parts[2].n[0] == 0
    left = _fold(parts, range(len(parts)))
    right = functools.reduce(lambda acc, p: p.merge(acc), reversed(parts))  # a1 + (a2 + (... + an))
    tree = parts
    while len(tree) > 1:
        tree = [tree[i].merge(tree[i + 1]) if i + 1 < len(tree) else tree[i] for i in range(0, len(tree), 2)]
    shuffled = _fold(parts, np.random.default_rng(0).permutation(len(parts)))
    reverse = _fold(parts, range(len(parts) - 1, -1, -1))
    for other in (right, tree[0], shuffled, reverse):
        np.testing.assert_array_equal(other.n, left.n)
        np.testing.assert_allclose(other.pearson(), left.pearson(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(other.mse(), left.mse(), rtol=1e-12)
        np.testing.assert_allclose(other.mse(2.0), left.mse(2.0), rtol=1e-12)
        np.testing.assert_allclose(other.scale_factor(), left.scale_factor(), rtol=1e-12)
        for a, b in zip(other.means, left.means, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    whole = Moments.from_rows(*masked_rows(pred, true))
    np.testing.assert_allclose(left.pearson(), whole.pearson(), rtol=0, atol=1e-12)
    for t in range(3):
        x, y = flat(pred, t), flat(true, t)
        ok = np.isfinite(x) & np.isfinite(y)
        assert left.pearson()[t] == pytest.approx(stats.pearsonr(x[ok], y[ok])[0], abs=1e-12)
    # the empty state is the identity of merge
    np.testing.assert_array_equal(Moments.empty(3).merge(left).pearson(), left.pearson())
