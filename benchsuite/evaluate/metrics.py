"""Pure metric functions of the evaluation harness (numpy in, numpy out).

Array conventions: predictions and truths have the shape ``(N, T, ...)`` (sequences,
targets, positions) or ``(N, T)``; every function returns one value per target unless said
otherwise. Computations run in float64. A value that is undefined (a constant input, fewer
than two pairs, a single-class label vector) is NaN, never 0, and non-finite inputs are
skipped pairwise. These functions hold whole arrays in memory; the harness streams with
:mod:`benchsuite.evaluate.streaming` and uses these on batch-sized arrays.

Definitions (paper: Toneyan, Tang & Koo 2022, Methods "Held-out test evaluation"):

* *whole-chromosome* Pearson / Spearman / MSE: all positions of all sequences concatenated
  per target (:func:`pearson_per_target`, :func:`spearman_per_target`, :func:`mse_per_target`);
* *per-sequence* Pearson: the correlation over the positions of each sequence, averaged over
  sequences (:func:`per_sequence_pearson`);
* *thresholded* Pearson (paper Fig. 2e): the per-sequence Pearson restricted to sequences
  whose maximum true coverage exceeds a threshold (:func:`thresholded_pearson`);
* *scaling factor* (Methods "Scaling predictions"): ``mean(true) / mean(pred)`` per target
  (:func:`scale_factors`);
* *resolution matching* (Fig. 2c): averaging into coarser bins (:func:`bin_average`);
* AUROC / AUPR per target (:func:`auroc_per_target`, :func:`aupr_per_target`), equal to
  ``sklearn.metrics.roc_auc_score`` / ``average_precision_score``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from benchsuite.evaluate.streaming import CONSTANT_RTOL, average_ranks, masked_rows

__all__ = [
    "aupr_per_target",
    "auroc_per_target",
    "bin_average",
    "broadcast_bins",
    "mse_per_target",
    "nanmean_or_none",
    "pearson_per_target",
    "per_sequence_pearson",
    "per_sequence_pearson_matrix",
    "scale_factors",
    "single_class_reasons",
    "spearman_per_target",
    "thresholded_pearson",
]


def _pair(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred)
    true = np.asarray(true)
    if pred.shape != true.shape:
        raise ValueError(f"pred and true must have the same shape, got {pred.shape} and {true.shape}")
    if pred.ndim < 2:
        raise ValueError(f"expected arrays of shape (N, T, ...), got {pred.shape}")
    return pred, true


def _row_pearson(x: np.ndarray, y: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Pearson r of matching rows of float64 ``(R, M)`` arrays (invalid entries zeroed)."""
    n = np.full(x.shape[0], float(x.shape[1])) if mask is None else mask.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = x.sum(axis=1) / n
        my = y.sum(axis=1) / n
        xc = x - mx[:, None]
        yc = y - my[:, None]
        if mask is not None:
            xc *= mask
            yc *= mask
        sxx = np.einsum("ij,ij->i", xc, xc)
        syy = np.einsum("ij,ij->i", yc, yc)
        sxy = np.einsum("ij,ij->i", xc, yc)
        r = sxy / np.sqrt(sxx * syy)
        const_x = sxx / n <= (CONSTANT_RTOL * np.abs(mx)) ** 2
        const_y = syy / n <= (CONSTANT_RTOL * np.abs(my)) ** 2
    bad = (n < 2) | const_x | const_y | (sxx <= 0) | (syy <= 0) | ~np.isfinite(r)
    return np.where(bad, np.nan, np.clip(r, -1.0, 1.0))


def pearson_per_target(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson r per target over all positions of all sequences (whole-chromosome style).

    Parameters
    ----------
    pred, true:
        Arrays of shape ``(N, T, ...)``.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` float64; NaN for a target with fewer than two finite pairs or a constant
        prediction or truth (the correlation is undefined there).
    """
    pred, true = _pair(pred, true)
    x, y, mask = masked_rows(pred, true)
    return _row_pearson(x, y, mask)


def spearman_per_target(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Spearman rho per target over all positions (average ranks for ties, float32 values).

    Returns ``(T,)`` float64; NaN where undefined (fewer than two pairs, constant input).
    """
    pred, true = _pair(pred, true)
    x, y, mask = masked_rows(pred, true)
    out = np.full(x.shape[0], np.nan)
    for t in range(x.shape[0]):
        xt, yt = (x[t], y[t]) if mask is None else (x[t][mask[t]], y[t][mask[t]])
        if xt.size < 2:
            continue
        out[t] = _row_pearson(average_ranks(xt)[None], average_ranks(yt)[None], None)[0]
    return out


def mse_per_target(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Mean squared error per target over all finite pairs (NaN when there is none)."""
    pred, true = _pair(pred, true)
    x, y, mask = masked_rows(pred, true)
    n = np.full(x.shape[0], float(x.shape[1])) if mask is None else mask.sum(axis=1).astype(np.float64)
    d = x - y
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.einsum("ij,ij->i", d, d) / n, np.nan)


def per_sequence_pearson_matrix(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson r of every (sequence, target) over the positions of that sequence.

    Parameters
    ----------
    pred, true:
        Arrays of shape ``(N, T, P)`` with ``P >= 2`` positions.

    Returns
    -------
    numpy.ndarray
        ``(N, T)`` float64; NaN where the sequence's prediction or truth is constant (e.g. a
        sequence without any coverage) or has fewer than two finite positions.
    """
    pred, true = _pair(pred, true)
    if pred.ndim != 3:
        raise ValueError(f"expected arrays of shape (N, T, P), got {pred.shape}")
    n, t, p = pred.shape
    x = pred.reshape(n * t, p).astype(np.float64)
    y = true.reshape(n * t, p).astype(np.float64)
    mask = np.isfinite(x) & np.isfinite(y)
    if mask.all():
        mask = None
    else:
        x[~mask] = 0.0
        y[~mask] = 0.0
    return _row_pearson(x, y, mask).reshape(n, t)


def per_sequence_pearson(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per-sequence Pearson r averaged over sequences, per target.

    Sequences where r is undefined (constant prediction or truth, see
    :func:`per_sequence_pearson_matrix`) are **skipped** in the mean, as in the paper's
    ``nanmean``; a target without any defined sequence gets NaN.

    Parameters
    ----------
    pred, true:
        Arrays of shape ``(N, T, P)``.

    Returns
    -------
    numpy.ndarray
        ``(T,)`` float64.
    """
    return _nanmean_axis0(per_sequence_pearson_matrix(pred, true))


def _nanmean_axis0(r: np.ndarray) -> np.ndarray:
    ok = np.isfinite(r)
    count = ok.sum(axis=0)
    total = np.where(ok, r, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def thresholded_pearson(
    pred: np.ndarray,
    true: np.ndarray,
    thresholds: Iterable[float],
    *,
    select_by: np.ndarray | None = None,
) -> dict[float, np.ndarray]:
    """Per-sequence Pearson on the sequences whose max true coverage exceeds each threshold.

    The paper's test-set selection analysis (Fig. 2e): for a threshold ``t`` the test set
    holds the sequences whose maximum coverage over positions **in any target** is ``> t``
    (the same rule that builds the coverage-threshold dataset); on it the per-sequence
    Pearson is averaged per target as in :func:`per_sequence_pearson`.

    Parameters
    ----------
    pred, true:
        ``(N, T, P)`` arrays at the evaluation resolution.
    thresholds:
        Coverage thresholds.
    select_by:
        ``(N,)`` value compared with the thresholds; default: the max of ``true`` over targets
        and positions. Pass the max of the base-resolution coverage when ``true`` is binned.

    Returns
    -------
    dict
        threshold -> ``(T,)`` float64 (NaN where no selected sequence is defined).
    """
    r = per_sequence_pearson_matrix(pred, true)
    if select_by is None:
        t_arr = np.asarray(true, dtype=np.float64)
        select_by = np.nanmax(t_arr.reshape(t_arr.shape[0], -1), axis=1) if t_arr.size else np.zeros(0)
    select_by = np.asarray(select_by, dtype=np.float64)
    if select_by.shape != (r.shape[0],):
        raise ValueError(f"select_by must have shape ({r.shape[0]},), got {select_by.shape}")
    return {float(th): _nanmean_axis0(r[select_by > th]) for th in thresholds}


def scale_factors(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Global scaling factor per target, ``mean(true) / mean(pred)`` (paper "Scaling predictions").

    Means are taken over the jointly finite positions. NaN where the mean prediction is 0.
    Multiply the predictions of target ``t`` by ``factor[t]`` to get the scaled predictions.
    """
    pred, true = _pair(pred, true)
    x, y, mask = masked_rows(pred, true)
    n = np.full(x.shape[0], float(x.shape[1])) if mask is None else mask.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (y.sum(axis=1) / n) / (x.sum(axis=1) / n)
    return np.where(np.isfinite(f), f, np.nan)


def bin_average(x: np.ndarray, factor: int) -> np.ndarray:
    """Average non-overlapping groups of ``factor`` values along the last axis.

    This is how targets are binned to a model's resolution and how higher-resolution
    predictions are compared at a coarser common resolution (paper Fig. 2c). NaN propagates
    into its bin.

    Parameters
    ----------
    x:
        Array ``(..., L)``; ``L`` must be a multiple of ``factor``.
    factor:
        Group size (1 returns ``x`` unchanged, as float32 when it was float16).

    Returns
    -------
    numpy.ndarray
        ``(..., L // factor)``, float32 for float16/float32 input, else float64.

    Examples
    --------
    >>> bin_average(np.array([1.0, 3.0, 2.0, 2.0, 0.0, 6.0]), 2)
    array([2., 2., 3.])
    """
    x = np.asarray(x)
    factor = int(factor)
    if factor < 1:
        raise ValueError(f"bin factor must be >= 1, got {factor}")
    length = x.shape[-1]
    if length % factor:
        raise ValueError(f"length {length} is not a multiple of the bin factor {factor}")
    out_dtype = np.float32 if x.dtype in (np.float16, np.float32) else np.float64
    if factor == 1:
        return x.astype(out_dtype, copy=False)
    grouped = x.reshape(*x.shape[:-1], length // factor, factor)
    return grouped.mean(axis=-1, dtype=np.float64).astype(out_dtype, copy=False)


def broadcast_bins(x: np.ndarray, repeats: int) -> np.ndarray:
    """Repeat each value ``repeats`` times along a new last axis: ``(N, T)`` -> ``(N, T, repeats)``.

    Used to compare a per-sequence prediction (a binary model's logit) with binned coverage:
    the value is taken as constant over the sequence's bins.
    """
    x = np.asarray(x)
    return np.broadcast_to(x[..., None], (*x.shape, int(repeats)))


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
        ``(T,)``; NaN for a target without positives or without negatives.
    """
    scores, labels = _labels_scores(scores, labels)
    out = np.full(scores.shape[1], np.nan)
    for t in range(scores.shape[1]):
        ok = np.isfinite(scores[:, t])
        s, y = scores[ok, t], (labels[ok, t] > 0)
        n_pos = int(y.sum())
        if n_pos == 0 or n_pos == y.size:
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


def nanmean_or_none(values: Mapping[str, float] | Iterable[float]) -> float | None:
    """Mean of the finite values, or None when there is none (the harness's target average)."""
    vals = list(values.values()) if isinstance(values, Mapping) else list(values)
    finite = [float(v) for v in vals if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else None
