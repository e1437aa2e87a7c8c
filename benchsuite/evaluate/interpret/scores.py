"""Interpretation scored against the truth: the statistics behind the ``interpret.*`` metrics.

Per sequence (then averaged, so intervals resample sequences):

* :func:`auroc` / :func:`average_precision` of attribution magnitudes, positives = positions
  in planted sites of motifs active in the cell type, negatives = positions far from every
  site and strong hit (:func:`benchsuite.evaluate.interpret.truth.site_masks`);
* :func:`false_attribution` - the fraction of positions in sites of *inactive* motifs whose
  magnitude exceeds the sequence's 99th percentile of far positions (chance: about 0.01);
* :func:`map_pearson` - Pearson r between a model's and the oracle's ISM maps.

Across motifs / distances / flanks: :func:`spearman` (scipy's definition, average ranks).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "FALSE_QUANTILE",
    "auroc",
    "average_precision",
    "best_distance_error",
    "false_attribution",
    "map_pearson",
    "spearman",
]

#: a position "lights up" above this quantile of the sequence's far-from-site magnitudes
FALSE_QUANTILE = 0.99


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """AUROC (ties count one half, as sklearn); NaN when one class is missing."""
    y = np.asarray(labels, bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(np.asarray(scores, np.float64))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Average precision (sklearn's step-wise definition, tied scores as one threshold)."""
    y = np.asarray(labels, bool)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == y.size:
        return float("nan")
    s = np.asarray(scores, np.float64)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last index of each distinct score
    tp = np.cumsum(y)[last]
    precision = tp / (last + 1)
    recall_step = np.diff(np.r_[0, tp]) / n_pos
    return float((precision * recall_step).sum())


def false_attribution(magnitude: np.ndarray, inactive: np.ndarray, far: np.ndarray) -> float:
    """Fraction of ``inactive`` positions above the :data:`FALSE_QUANTILE` of the ``far`` ones."""
    if not inactive.any() or far.sum() < 10:
        return float("nan")
    threshold = np.quantile(magnitude[far], FALSE_QUANTILE)
    return float((magnitude[inactive] > threshold).mean())


def map_pearson(model: np.ndarray, oracle: np.ndarray) -> float:
    """Pearson r of two ISM maps over their alternative-base entries (NaN if one is constant)."""
    a, b = np.asarray(model, np.float64).ravel(), np.asarray(oracle, np.float64).ravel()
    keep = (a != 0) | (b != 0)
    a, b = a[keep], b[keep]
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rho (average ranks); NaN when either side is constant or too short."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    ra, rb = stats.rankdata(a), stats.rankdata(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def best_distance_error(model_curve: np.ndarray, oracle_curve: np.ndarray, distances: np.ndarray) -> float:
    """``|d* model - d* oracle|`` (bp) of the distances with the largest interaction."""
    d = np.asarray(distances)
    return float(abs(int(d[np.argmax(model_curve)]) - int(d[np.argmax(oracle_curve)])))
