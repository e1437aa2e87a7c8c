"""Task conversion: binary logits as coverage, quantitative coverage as classification scores."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.evaluate.conversion import (
    binary_as_coverage,
    classification_metrics,
    sequence_pearson,
    sequence_scores,
)


def test_sequence_scores():
    logits = np.array([[-1.0, 2.0], [0.5, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(sequence_scores(logits, "binary"), logits)
    cov = np.array([[[1.0, 3.0], [0.0, 4.0]]], dtype=np.float32)  # (1, 2, 2)
    np.testing.assert_array_equal(sequence_scores(cov, "quantitative"), [[2.0, 2.0]])
    with pytest.raises(ValueError):
        sequence_scores(cov, "binary")
    with pytest.raises(ValueError):
        sequence_scores(logits, "quantitative")
    with pytest.raises(ValueError):
        sequence_scores(logits, "regression")


def test_binary_as_coverage_broadcasts_the_logit_over_the_window():
    logits = np.array([[1.5, -2.0]])
    cov = binary_as_coverage(logits, 4)
    assert cov.shape == (1, 2, 4)
    np.testing.assert_array_equal(cov[0, 0], [1.5] * 4)
    np.testing.assert_array_equal(cov[0, 1], [-2.0] * 4)


def test_quantitative_to_binary_matches_sklearn():
    rng = np.random.default_rng(0)
    labels = (rng.random((80, 3)) < 0.4).astype(np.uint8)
    pred = rng.gamma(1.0, 1.0, size=(80, 3, 8)) + labels[:, :, None]
    auroc, aupr = classification_metrics(sequence_scores(pred, "quantitative"), labels)
    mean = pred.mean(axis=2)
    for t in range(3):
        assert auroc[t] == pytest.approx(roc_auc_score(labels[:, t], mean[:, t]), abs=1e-12)
        assert aupr[t] == pytest.approx(average_precision_score(labels[:, t], mean[:, t]), abs=1e-12)


def test_binary_to_quantitative_pearson_across_sequences():
    rng = np.random.default_rng(1)
    mean_cov = rng.gamma(1.0, 2.0, size=(50, 2))
    logits = np.log(mean_cov + 0.1) + 0.3 * rng.normal(size=mean_cov.shape)
    r = sequence_pearson(sequence_scores(logits, "binary"), mean_cov)
    for t in range(2):
        assert r[t] == pytest.approx(stats.pearsonr(logits[:, t], mean_cov[:, t])[0], abs=1e-12)
    # a logit perfectly linear in the coverage correlates perfectly
    assert sequence_pearson(2 * mean_cov - 1, mean_cov) == pytest.approx([1.0, 1.0])
