"""The scalar a model is interpreted through: one number per sequence and target.

* a **binary** model: its logit (as the paper does for GIA and attributions);
* a **quantitative** model: its predicted coverage averaged over every bin of the window (the
  window sum divided by the number of bins), so a planted site anywhere in the window counts.

:func:`codes_scalar` wraps anything that predicts base codes (a harness source: a trained model
or the oracle) into ``codes (N, L) -> (N, T)``; :func:`torch_scalar` wraps a torch model into the
same reduction on one-hot tensors, differentiable, for the gradient attributions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["CodesScalar", "codes_scalar", "reduce_output", "torch_scalar"]

#: ``codes (N, L) uint8 -> (N, T) float64``
CodesScalar = Callable[[np.ndarray], np.ndarray]


def reduce_output(pred: np.ndarray, kind: str) -> np.ndarray:
    """``(N, T)`` logits or ``(N, T, bins)`` coverage -> ``(N, T)`` float64 scalar."""
    pred = np.asarray(pred, dtype=np.float64)
    return pred if kind == "binary" else pred.mean(axis=-1)


def codes_scalar(
    predict_codes: Callable[[np.ndarray], np.ndarray], kind: str, batch: int = 256
) -> CodesScalar:
    """The scalar of a ``predict_codes`` function (e.g. ``Source.predict_codes``), in batches."""

    def scalar(codes: np.ndarray) -> np.ndarray:
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        parts = [
            reduce_output(predict_codes(codes[s : s + batch]), kind) for s in range(0, len(codes), batch)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 0))

    return scalar


def torch_scalar(model: Any, kind: str) -> Callable[[Any], Any]:
    """``x (N, 4, L) tensor -> (N, T) tensor`` through ``model``, differentiable."""

    def scalar(x: Any) -> Any:
        out = model(x)
        return out if kind == "binary" else out.mean(dim=-1)

    return scalar
