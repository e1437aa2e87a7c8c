"""interpret.scores vs sklearn / scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.evaluate.interpret.scores import (
    auroc,
    average_precision,
    best_distance_error,
    false_attribution,
    map_pearson,
    spearman,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_and_average_precision_match_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 12, 400).astype(float)
    labels = rng.random(400) < 0.15
    assert auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert average_precision(scores, labels) == pytest.approx(
        average_precision_score(labels, scores), abs=1e-12
    )


def test_auroc_undefined_with_one_class() -> None:
    assert np.isnan(auroc(np.arange(5.0), np.zeros(5, bool)))
    assert np.isnan(average_precision(np.arange(5.0), np.ones(5, bool)))


def test_spearman_and_pearson_match_scipy() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=50), rng.normal(size=50)
    b[:10] = a[:10]
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    ma, mb = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
    assert map_pearson(ma, mb) == pytest.approx(stats.pearsonr(ma.ravel(), mb.ravel()).statistic, abs=1e-12)
    assert np.isnan(spearman(np.ones(5), np.arange(5.0)))


def test_map_pearson_ignores_reference_entries() -> None:
    a = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 1.0, 5.0]])
    b = np.array([[0.0, 2.0, 4.0, 6.0], [0.0, 4.0, 2.0, 10.0]])
    assert map_pearson(a, b) == pytest.approx(1.0)


def test_false_attribution_counts_inactive_positions_above_the_far_quantile() -> None:
    mag = np.zeros(200)
    mag[:100] = np.linspace(0, 1, 100)  # far positions, 99th percentile 0.99
    inactive = np.zeros(200, bool)
    inactive[150:160] = True
    mag[150:155] = 5.0
    far = np.zeros(200, bool)
    far[:100] = True
    assert false_attribution(mag, inactive, far) == pytest.approx(0.5)
    assert np.isnan(false_attribution(mag, np.zeros(200, bool), far))


def test_best_distance_error() -> None:
    d = np.array([10, 20, 30, 40])
    assert best_distance_error(np.array([0, 1, 3, 2.0]), np.array([0, 5, 1, 0.0]), d) == 10.0
