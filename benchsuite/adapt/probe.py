"""The linear probe: ridge regression from a model's outputs to the benchmark's targets, fitted on
the training split only.

:func:`fit_probe` reads ``cache.split(kind, "train")`` and nothing else (never valid or test),
takes at most ``max_windows`` rows evenly spaced over it, runs the adapted model on their central
``L``-bp windows and fits, in closed form,

``W = (Xc^T Xc + lam I)^-1 Xc^T Yc``, ``bias = mean(Y) - mean(X) W``, ``lam = alpha * mean(diag(Xc^T Xc))``

where ``X`` holds the model's tracks (quantitative: one row per window and bin, at the scored
bin; binary: one row per window, its logits), ``Y`` the benchmark's targets (coverage averaged
into the same bins; binary: the 0/1 labels) and ``c`` means centred. A binary probe's output is
a probability; it is scored as ``logit(clip(p, 1e-6, 1 - 1e-6))``. Its rows are marked
``probed`` on the board.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchsuite.adapt.predictor import AdaptedModule
from benchsuite.adapt.targets import TargetMapping
from benchsuite.errors import DatasetError
from benchsuite.evaluate.stats import bin_average
from benchsuite.io.onehot import one_hot

__all__ = ["fit_probe", "ridge"]

#: default ridge strength relative to the mean feature variance
DEFAULT_ALPHA = 1e-3
#: default number of training windows the probe sees
DEFAULT_MAX_WINDOWS = 1024


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form ridge with intercept: ``(W (features x outputs), bias (outputs,))``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - xm, y - ym
    gram = xc.T @ xc
    lam = alpha * float(np.mean(np.diag(gram))) if gram.size else 0.0
    w = np.linalg.solve(gram + max(lam, 1e-12) * np.eye(gram.shape[0]), xc.T @ yc)
    return w, ym - xm @ w


def fit_probe(
    module: AdaptedModule,
    cache: Any,
    targets: Sequence[str],
    *,
    alpha: float = DEFAULT_ALPHA,
    max_windows: int = DEFAULT_MAX_WINDOWS,
) -> TargetMapping:
    """Fit the probe of ``module`` on the training split of ``cache`` (see the module docstring).

    Raises
    ------
    DatasetError
        The cache has no (or an empty) training split of the predictor's kind.
    """
    kind = module.kind
    split = cache.split(kind, "train")
    n = len(split)
    if n == 0:
        raise DatasetError(f"the {kind}/train split is empty; a probe cannot be fitted")
    rows = np.unique(np.linspace(0, n - 1, min(n, max_windows)).astype(np.int64))
    width, length = int(split.seq.shape[1]), module.window
    off = (width - length) // 2
    codes = np.asarray(split.seq[rows, off : off + length])
    feats = module.predict_tracks(one_hot(codes))
    if kind == "binary":
        if split.labels is None:
            raise DatasetError("the binary/train split has no labels; a probe cannot be fitted")
        x = feats
        y = np.nan_to_num(np.asarray(split.labels[rows], dtype=np.float64)[:, : len(targets)])
    else:
        cov = np.nan_to_num(np.asarray(split.cov[rows, :, off : off + length], dtype=np.float32))
        truth = bin_average(cov, module.bin_size)  # (n, T_b, bins)
        x = feats.transpose(0, 2, 1).reshape(-1, feats.shape[1])
        y = truth.transpose(0, 2, 1).reshape(-1, truth.shape[1])
    w, bias = ridge(x, y, alpha)
    return TargetMapping(
        "probe",
        tuple(targets),
        module.tracks,
        w.T,
        bias,
        info={"fitted_on": f"{kind}/train", "windows": int(len(rows)), "rows": int(len(x)), "alpha": alpha},
        link="logit" if kind == "binary" else "identity",
    )
