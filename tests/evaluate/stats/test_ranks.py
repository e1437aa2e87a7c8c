"""Rank statistics (``benchsuite.evaluate.stats.ranks``) against scipy's rankdata / spearmanr."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benchsuite.evaluate.stats import StreamingSpearman, average_ranks, spearman_exact, spearman_per_target
from tests.evaluate.stats.helpers import coverage_like, flat, stream


def test_spearman_per_target_matches_scipy():
    rng = np.random.default_rng(0)
    true = rng.gamma(0.8, 2.0, size=(30, 4, 16)).astype(np.float32)
    pred = (0.5 * true + rng.gamma(1.0, 1.0, size=true.shape)).astype(np.float32)
    rho = spearman_per_target(pred, true)
    for t in range(4):
        assert rho[t] == pytest.approx(stats.spearmanr(flat(pred, t), flat(true, t))[0], abs=1e-12)


def test_spearman_per_target_with_ties_and_nan_pairs_matches_scipy():
    pred, true = coverage_like(15, n=50, t=4, ties=True)
    pred[2, 0, :6] = np.nan
    true[9, 1, 3] = np.inf
    pred[11:14, 1, :] = -np.inf
    true[:, 2, ::3] = np.nan
    pred[:, 3] = 2.0  # constant prediction: undefined
    rho = spearman_per_target(pred, true)
    for t in range(3):
        x, y = flat(pred, t), flat(true, t)
        ok = np.isfinite(x) & np.isfinite(y)
        assert ok.sum() < ok.size
        assert len(np.unique(x[ok])) < ok.sum() and len(np.unique(y[ok])) < ok.sum()  # ties
        assert rho[t] == pytest.approx(stats.spearmanr(x[ok], y[ok])[0], abs=1e-12)
    assert np.isnan(rho[3])
    # fewer than two pairs left: undefined
    one = np.array([[[1.0, np.nan, 3.0]]])
    assert np.isnan(spearman_per_target(one, np.array([[[2.0, 5.0, np.nan]]]))[0])


def test_hand_checked_spearman():
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    assert spearman_per_target(x, x**3)[0] == pytest.approx(1.0)
    assert spearman_per_target(x, -np.exp(x))[0] == pytest.approx(-1.0)
    assert np.isnan(spearman_per_target(np.full_like(x, 7.0), x)[0])


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
    pred, true = coverage_like(9, ties=ties)
    with StreamingSpearman("exact", tmp_dir=tmp_path) as sp:
        stream(sp, pred, true, [13, 5])
        rho = sp.compute()
        assert sp.methods == ["exact"] * 3
        assert sp.spool_bytes == pred.size * 8
        assert not sp.on_disk  # small: kept in memory
    for t in range(3):
        assert rho[t] == pytest.approx(stats.spearmanr(flat(pred, t), flat(true, t))[0], abs=1e-12)
    # a memory budget smaller than the data spills the spool to disk; same result
    with StreamingSpearman("exact", tmp_dir=tmp_path, memory_budget=20_000) as sp:
        stream(sp, pred, true, [13, 5])
        assert sp.on_disk and len(list(tmp_path.iterdir())) == 1
        np.testing.assert_allclose(sp.compute(), rho, atol=1e-15)
        hist = stream(StreamingSpearman("histogram", memory_budget=0, chunk=1000), pred, true, [40])
        hist_rho = hist.compute()
        assert hist.on_disk
        hist.close()
    for t in range(3):
        exact = stats.spearmanr(flat(pred, t), flat(true, t))[0]
        assert abs(hist_rho[t] - exact) <= hist.error_bound[t] + 1e-12
    assert list(tmp_path.iterdir()) == []  # spool deleted on close


@pytest.mark.parametrize("ties", [False, True])
def test_spearman_histogram_within_its_bound(ties):
    pred, true = coverage_like(10, n=300, ties=ties)
    sp = stream(StreamingSpearman("histogram", bits=14, chunk=5000), pred, true, [40])
    rho = sp.compute()
    sp.close()
    assert sp.methods == ["histogram"] * 3
    for t in range(3):
        exact = stats.spearmanr(flat(pred, t), flat(true, t))[0]
        assert abs(rho[t] - exact) <= sp.error_bound[t] + 1e-12
        assert abs(rho[t] - exact) < 1e-3
        assert sp.error_bound[t] < 0.1
    # finer buckets: tighter bound (conservative when exact ties share a bucket with other values)
    fine = stream(StreamingSpearman("histogram", bits=20), pred, true, [40])
    rho_fine = fine.compute()
    assert np.all(fine.error_bound < sp.error_bound)
    if not ties:
        assert np.all(fine.error_bound < 1e-3)
    for t in range(3):
        exact = stats.spearmanr(flat(pred, t), flat(true, t))[0]
        assert abs(rho_fine[t] - exact) <= fine.error_bound[t] + 1e-12
    fine.close()


def test_spearman_histogram_exact_ties_add_no_error():
    # a variable with only a few distinct values: every bucket holds one value -> exact
    rng = np.random.default_rng(11)
    pred = rng.integers(0, 5, size=(200, 1, 10)).astype(np.float32)
    true = (pred + rng.integers(0, 3, size=pred.shape)).astype(np.float32)
    sp = stream(StreamingSpearman("histogram", bits=16), pred, true, [30])
    rho = sp.compute()[0]
    assert sp.error_bound[0] == 0.0
    assert rho == pytest.approx(stats.spearmanr(pred.ravel(), true.ravel())[0], abs=1e-12)
    sp.close()


def test_spearman_auto_switches_on_size():
    pred, true = coverage_like(12)
    sp = stream(StreamingSpearman("auto", exact_max=1000), pred[:10], true[:10], [3])
    sp.compute()
    assert sp.methods == ["exact"] * 3  # 400 pairs per target
    sp.close()
    sp = stream(StreamingSpearman("auto", exact_max=1000), pred, true, [30])
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
    sp = stream(StreamingSpearman("histogram", bits=10), pred, true, [10])
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

    pred, true = coverage_like(14)
    sp = stream(StreamingSpearman(tmp_dir=tmp_path, memory_budget=0), pred, true, [50])
    assert sp.on_disk and len(list(tmp_path.iterdir())) == 1
    del sp
    gc.collect()
    assert list(tmp_path.iterdir()) == []
