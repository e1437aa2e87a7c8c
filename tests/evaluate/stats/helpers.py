"""Shared data and batching helpers of the statistics tests."""

from __future__ import annotations

import numpy as np


def coverage_like(seed=0, n=120, t=3, length=40, ties=False):
    """Float32 ``(n, t, length)`` gamma truth and a correlated prediction (``ties``: many ties)."""
    rng = np.random.default_rng(seed)
    true = rng.gamma(0.7, 2.0, size=(n, t, length)).astype(np.float32)
    pred = (0.6 * true + rng.gamma(1.0, 1.0, size=true.shape)).astype(np.float32)
    if ties:
        true[: n // 2] = np.round(true[: n // 2])
        pred[: n // 3] = np.round(pred[: n // 3], 1)
        true[:, :, :5] = 0.0
    return pred, true


def stream(metric, pred, true, sizes):
    """Feed ``metric`` uneven batches of sequences, cycling through ``sizes``; returns it."""
    s, i = 0, 0
    while s < pred.shape[0]:
        e = min(pred.shape[0], s + sizes[i % len(sizes)])
        metric.update(pred[s:e], true[s:e])
        s, i = e, i + 1
    return metric


def flat(a, t):
    """Target ``t``'s values of an ``(N, T, ...)`` array in sequence order, float64."""
    return a[:, t].ravel().astype(np.float64)
