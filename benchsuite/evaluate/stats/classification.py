"""Classification statistics per target: AUROC and AUPR (average precision).

Both equal scikit-learn's ``roc_auc_score`` / ``average_precision_score`` per target; labels
are positive when ``> 0`` and non-finite scores are dropped with their labels. A target whose
labels hold a single class is undefined (NaN), and :func:`single_class_reasons` says why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["aupr_per_target", "auroc_per_target", "single_class_reasons"]


def _labels_scores(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.ndim == 1:
        scores, labels = scores[:, None], labels[:, None]
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(
            f"scores and labels must both have shape (N, T), got {scores.shape} and {labels.shape}"
        )
    return scores, labels


def single_class_reasons(labels: np.ndarray, target_names: Sequence[str] | None = None) -> dict[str, str]:
    """Why AUROC/AUPR are undefined for some targets: those whose labels hold a single class.

    Returns
    -------
    dict
        target name (or index as text) -> reason, only for undefined targets.
    """
    labels = np.asarray(labels)
    if labels.ndim == 1:
        labels = labels[:, None]
    out: dict[str, str] = {}
    for t in range(labels.shape[1]):
        pos = int(np.count_nonzero(labels[:, t] > 0))
        neg = int(labels.shape[0] - pos)
        if pos == 0 or neg == 0:
            name = target_names[t] if target_names is not None else str(t)
            out[name] = (
                f"only {'negative' if pos == 0 else 'positive'} labels ({pos} positive, {neg} negative)"
            )
    return out


def auroc_per_target(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Area under the ROC curve per target (Mann-Whitney U with average ranks for ties).

    Equals ``sklearn.metrics.roc_auc_score(labels[:, t], scores[:, t])``. Labels are positive
    when ``> 0``. Non-finite scores are dropped with their labels.

    Parameters
    ----------
    scores:
        ``(N, T)`` (or ``(N,)``) scores: logits or mean predicted coverage.
    labels:
        Same shape, binary.

    Returns
    -------
    numpy.ndarray
        ``(T,)``; NaN for a target whose labels hold a single class (see
        :func:`single_class_reasons` for the reason).
    """
    scores, labels = _labels_scores(scores, labels)
    out = np.full(scores.shape[1], np.nan)
    for t in range(scores.shape[1]):
        ok = np.isfinite(scores[:, t])
        s, y = scores[ok, t], labels[ok, t] > 0
        n_pos = int(y.sum())
        n_neg = int(y.size - n_pos)
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = _average_ranks64(s)
        u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
        out[t] = u / (n_pos * n_neg)
    return out


def _average_ranks64(s: np.ndarray) -> np.ndarray:
    """Average ranks of float64 values (no float32 rounding)."""
    order = np.argsort(s, kind="stable")
    sorted_s = s[order]
    new_run = np.empty(s.size, dtype=bool)
    new_run[0] = True
    np.not_equal(sorted_s[1:], sorted_s[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], s.size)
    ranks = np.empty(s.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def aupr_per_target(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Area under the precision-recall curve per target, as average precision.

    ``AP = sum_k (R_k - R_{k-1}) P_k`` over the distinct score thresholds in decreasing order
    (tied scores form one threshold), which equals
    ``sklearn.metrics.average_precision_score``. (GOPHER's code integrated the PR curve with
    the trapezoid rule, which is known to be optimistic; average precision is the standard.)

    Returns
    -------
    numpy.ndarray
        ``(T,)``; 1.0 for a target with only positives (as scikit-learn), NaN for a target
        without positives (scikit-learn's 0 there is an arbitrary convention).
    """
    scores, labels = _labels_scores(scores, labels)
    out = np.full(scores.shape[1], np.nan)
    for t in range(scores.shape[1]):
        ok = np.isfinite(scores[:, t])
        s, y = scores[ok, t], (labels[ok, t] > 0)
        n_pos = int(y.sum())
        if n_pos == 0:
            continue  # undefined (scikit-learn returns 0 with a warning)
        if n_pos == y.size:
            out[t] = 1.0  # every threshold has precision 1, as in scikit-learn
            continue
        order = np.argsort(-s, kind="stable")
        s_sorted, y_sorted = s[order], y[order]
        # last index of every group of tied scores
        last = np.flatnonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))
        tp = np.cumsum(y_sorted)[last].astype(np.float64)
        predicted = (last + 1).astype(np.float64)
        precision = tp / predicted
        recall = tp / n_pos
        out[t] = float(np.sum(np.diff(recall, prepend=0.0) * precision))
    return out
