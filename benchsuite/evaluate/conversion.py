"""Task conversion between binary and quantitative predictions (paper Fig. 4a, SPEC §5.5).

Every model gets both metric families, so binary and quantitative models share one table.
The conventions, exactly as the harness applies them:

**Quantitative -> binary.** The score of a sequence for target ``t`` is the mean predicted
coverage over its input window (the mean over its output bins; bins are equal-sized, so
this equals the mean over positions). On the peak-centered test chunks (central
``input_length`` window) these scores are ranked against the chunk's peak labels:
``peak.auroc`` and ``peak.aupr`` (:func:`sequence_scores`, :func:`classification_metrics`).
GOPHER summed the coverage, which ranks identically.

**Binary -> quantitative.** The pre-sigmoid logit is used as the coverage of the whole input
window. A binary model has one value per window, so:

* ``wholechrom.*`` at the model's own bin (``bin_size = input_length``): the logit of each
  whole-chromosome tile against the tile's mean true coverage, over all tiles;
* ``wholechrom_common.pearson``: the tile's logit is broadcast over the tile's common bins and
  correlated with the true coverage averaged into common bins (:func:`binary_as_coverage`);
* ``peak.pearson``: per target, the Pearson correlation **across** peak-centered test chunks
  between the sequence score (logit, or mean predicted coverage for a quantitative model) and
  the chunk's mean true coverage over the same window (GOPHER's ``binary_comparison``
  evaluation, "Pearson's r at the resolution of the model input"; defined identically for
  both model kinds, which is what makes Fig. 4b's comparison possible);
* within-sequence metrics (``perseq``, ``thresholded``, ``robustness``) are undefined for a
  constant-per-window prediction and are reported as not applicable;
* MSE and the scaled metrics are not applicable: a logit has no coverage scale, and the
  ``mean(true) / mean(pred)`` factor of a signed logit is meaningless (it can be negative
  and flip the sign of the prediction).
"""

from __future__ import annotations

import numpy as np

from benchsuite.evaluate.metrics import (
    aupr_per_target,
    auroc_per_target,
    broadcast_bins,
    pearson_per_target,
)

__all__ = [
    "binary_as_coverage",
    "classification_metrics",
    "sequence_pearson",
    "sequence_scores",
]


def sequence_scores(pred: np.ndarray, kind: str) -> np.ndarray:
    """One score per sequence and target.

    Parameters
    ----------
    pred:
        Binary: ``(N, T)`` logits (returned unchanged). Quantitative: ``(N, T, B)`` coverage.
    kind:
        ``"binary"`` or ``"quantitative"``.

    Returns
    -------
    numpy.ndarray
        ``(N, T)`` float64: the logit, or the mean predicted coverage over the window.
    """
    pred = np.asarray(pred)
    if kind == "binary":
        if pred.ndim != 2:
            raise ValueError(f"binary predictions must have shape (N, T), got {pred.shape}")
        return pred.astype(np.float64)
    if kind != "quantitative":
        raise ValueError(f"unknown prediction kind {kind!r}")
    if pred.ndim != 3:
        raise ValueError(f"quantitative predictions must have shape (N, T, B), got {pred.shape}")
    return pred.mean(axis=2, dtype=np.float64)


def binary_as_coverage(logits: np.ndarray, n_bins: int) -> np.ndarray:
    """A binary model's ``(N, T)`` logits as ``(N, T, n_bins)`` coverage, constant over the window."""
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, T), got {logits.shape}")
    return broadcast_bins(logits, n_bins)


def classification_metrics(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and AUPR (average precision) per target of sequence scores against peak labels.

    Returns
    -------
    (auroc, aupr)
        ``(T,)`` arrays; NaN for a target whose labels hold a single class.
    """
    return auroc_per_target(scores, labels), aupr_per_target(scores, labels)


def sequence_pearson(scores: np.ndarray, mean_coverage: np.ndarray) -> np.ndarray:
    """Pearson r per target across sequences of the sequence score and the mean true coverage.

    Parameters
    ----------
    scores:
        ``(N, T)`` sequence scores (:func:`sequence_scores`).
    mean_coverage:
        ``(N, T)`` mean true coverage over the same windows.

    Returns
    -------
    numpy.ndarray
        ``(T,)``; NaN where a score or the coverage is constant across sequences.
    """
    return pearson_per_target(np.asarray(scores), np.asarray(mean_coverage))
