"""Block bootstrap from per-block sufficient statistics, against direct recomputation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.evaluate.stats import masked_rows
from benchsuite.evaluate.stats.bootstrap import (
    BlockMoments,
    BlockSums,
    block_ids,
    block_size_bp,
    bootstrap_weights,
    percentile_interval,
    weighted_aupr,
    weighted_auroc,
)


def _blocked_pairs(rng: np.random.Generator, n_blocks: int, per_block: int, shared: float = 1.0):
    """x = u_k + e1, y = u_k + e2 with a block effect u_k ~ N(0, shared): corr = shared / (shared + 1)."""
    u = rng.normal(0.0, np.sqrt(shared), size=n_blocks).repeat(per_block)
    x = u + rng.normal(size=u.size)
    y = u + rng.normal(size=u.size)
    return x, y, np.arange(n_blocks).repeat(per_block)


def _accumulate(x: np.ndarray, y: np.ndarray, blocks: np.ndarray) -> BlockMoments:
    acc = BlockMoments()
    rows = masked_rows(x.reshape(-1, 1, 1), y.reshape(-1, 1, 1))
    acc.update_rows(*rows, blocks, 1)
    return acc


def test_weights_are_deterministic_resamples_of_the_blocks() -> None:
    w = bootstrap_weights(7, 50)
    assert w.shape == (50, 7) and np.all(w.sum(axis=1) == 7) and np.all(w >= 0)
    assert np.array_equal(w, bootstrap_weights(7, 50))
    assert not np.array_equal(w, bootstrap_weights(7, 50, seed=1))
    assert not np.array_equal(w[:, :6], bootstrap_weights(6, 50))


def test_replicate_pearson_equals_pearson_of_the_resampled_data() -> None:
    rng = np.random.default_rng(0)
    x, y, blocks = _blocked_pairs(rng, 12, 9)
    acc = _accumulate(x, y, blocks)
    assert acc.total(1).pearson()[0] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    reps = acc.replicates(1, 12, 20)
    w = bootstrap_weights(12, 20)
    for i in range(20):
        idx = np.concatenate(
            [np.flatnonzero(blocks == k).repeat(1) for k in range(12) for _ in range(int(w[i, k]))]
        )
        assert reps.pearson()[i, 0] == pytest.approx(stats.pearsonr(x[idx], y[idx])[0], abs=1e-10)
        assert reps.mse()[i, 0] == pytest.approx(np.mean((x[idx] - y[idx]) ** 2), rel=1e-10)
        f = y[idx].mean() / x[idx].mean()
        assert reps.mse(reps.scale_factor())[i, 0] == pytest.approx(
            np.mean((f * x[idx] - y[idx]) ** 2), rel=1e-8
        )


def test_block_sums_replicate_means() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(30, 2))
    values[3, 1] = np.nan
    blocks = rng.integers(0, 6, size=30)
    sums = BlockSums(6, 2)
    sums.update(values, blocks)
    np.testing.assert_allclose(sums.mean(), np.nanmean(values, axis=0))
    w = bootstrap_weights(6, 10)
    reps = sums.replicates(10)
    for i in range(10):
        item_w = w[i, blocks][:, None] * np.isfinite(values)
        expected = np.nansum(item_w * np.nan_to_num(values), axis=0) / item_w.sum(axis=0)
        np.testing.assert_allclose(reps[i], expected)


@pytest.mark.parametrize("ties", [False, True])
def test_weighted_auroc_and_aupr_match_sklearn_on_repeated_items(ties: bool) -> None:
    rng = np.random.default_rng(2)
    scores = rng.normal(size=60)
    if ties:
        scores = np.round(scores, 1)
    labels = (scores + rng.normal(size=60) > 0.3).astype(int)
    weights = rng.integers(0, 3, size=(5, 60)).astype(float)
    weights[0] = 1.0
    got_roc, got_pr = weighted_auroc(scores, labels, weights), weighted_aupr(scores, labels, weights)
    for i in range(5):
        idx = np.repeat(np.arange(60), weights[i].astype(int))
        assert got_roc[i] == pytest.approx(roc_auc_score(labels[idx], scores[idx]), abs=1e-12)
        assert got_pr[i] == pytest.approx(average_precision_score(labels[idx], scores[idx]), abs=1e-12)
    only_neg = weighted_auroc(scores, np.zeros(60), weights)
    assert np.isnan(only_neg).all() and np.isnan(weighted_aupr(scores, np.zeros(60), weights)).all()


def test_block_ids_and_block_size() -> None:
    coords = np.array([[0, 0], [0, 99_999], [0, 100_000], [1, 5], [1, 250_000]])
    assert block_ids(coords, 100_000).tolist() == [0, 0, 1, 2, 3]
    assert block_size_bp(10_000_000, quantum=1024) == 99_328  # 100 kb, rounded down to whole tiles
    assert block_size_bp(1_100_000, quantum=1024) == 35_840  # at least 30 blocks
    assert block_size_bp(10_000, quantum=1024) == 1024  # never below one tile


def test_percentile_interval_needs_replicates() -> None:
    assert percentile_interval(np.array([1.0, np.nan])) is None
    lo, hi = percentile_interval(np.arange(101, dtype=float))  # type: ignore[misc]
    assert (lo, hi) == pytest.approx((2.5, 97.5))


def test_block_bootstrap_interval_covers_the_truth_at_the_nominal_rate() -> None:
    """400 seeded data sets of 60 blocks with a block effect (true r = 0.5; points within a block
    are dependent): the 95% interval covers 0.5 in at least 90% of them (measured over 1,000
    data sets: 93%; the percentile interval undercovers slightly with few blocks) and is not
    needlessly wide (at most 98%)."""
    covered = 0
    for seed in range(400):
        x, y, blocks = _blocked_pairs(np.random.default_rng(20000 + seed), 60, 15)
        reps = _accumulate(x, y, blocks).replicates(1, 60, 300).pearson()[:, 0]
        lo, hi = percentile_interval(reps)  # type: ignore[misc]
        covered += int(lo <= 0.5 <= hi)
    assert 360 <= covered <= 392, covered
