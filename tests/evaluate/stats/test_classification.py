"""AUROC / AUPR per target (``benchsuite.evaluate.stats.classification``) against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.evaluate.stats import aupr_per_target, auroc_per_target, single_class_reasons


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
    assert np.isnan(aupr_per_target(scores, labels)[0])
    # only positives: every threshold has precision 1, so AP = 1, as scikit-learn computes it
    assert aupr_per_target(scores, labels)[2] == average_precision_score(labels[:, 2], scores[:, 2]) == 1.0
    assert np.isfinite(auroc_per_target(scores, labels)[1])
    reasons = single_class_reasons(labels, ["a", "b", "c"])
    assert set(reasons) == {"a", "c"}
    assert "only negative" in reasons["a"] and "only positive" in reasons["c"]
