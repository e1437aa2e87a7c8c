"""Gradient attributions of a torch model: corrected saliency and gradient x input.

**Saliency with the off-simplex correction** (Majdandzic et al., Genome Biology 2023): the
gradient of the scalar (:mod:`.outputs`) with respect to the one-hot input points partly off
the simplex of valid one-hot vectors; removing its mean over the four nucleotides at each
position removes that component, which is noise a model never sees in training. Attributions
are computed with torch autograd (no extra dependency): one backward pass per target per batch.

**Gradient x input** keeps, at each position, the (corrected) gradient of the observed base;
its absolute value is the per-position attribution magnitude the scores rank.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["corrected_saliency", "gradient_x_input", "position_magnitude"]


def corrected_saliency(
    scalar: Callable[[Any], Any], x: np.ndarray, *, batch: int = 64, device: str = "cpu"
) -> np.ndarray:
    """Gradients of every target's scalar, corrected: ``(N, T, 4, L)`` float32.

    Parameters
    ----------
    scalar:
        :func:`~.outputs.torch_scalar` of the model (``(N, 4, L) -> (N, T)``).
    x:
        ``(N, 4, L)`` one-hot sequences.
    """
    import torch

    x = np.asarray(x, dtype=np.float32)
    parts = []
    with torch.enable_grad():  # also under a caller's no_grad
        for s in range(0, x.shape[0], batch):
            parts.append(
                _batch_saliency(scalar, torch.from_numpy(np.ascontiguousarray(x[s : s + batch])).to(device))
            )
    if not parts:
        return np.zeros((0, 0, 4, x.shape[-1]), np.float32)
    return np.concatenate(parts)


def _batch_saliency(scalar: Callable[[Any], Any], xb: Any) -> np.ndarray:
    import torch

    xb = xb.requires_grad_(True)
    out = scalar(xb)
    grads = []
    for t in range(out.shape[1]):
        (g,) = torch.autograd.grad(out[:, t].sum(), xb, retain_graph=t + 1 < out.shape[1])
        grads.append(g.detach())
    g = torch.stack(grads, dim=1)  # (n, T, 4, L)
    return (g - g.mean(dim=2, keepdim=True)).float().cpu().numpy()


def gradient_x_input(saliency: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``(N, T, L)``: the saliency of the observed base at each position (0 at ``N`` bases)."""
    return np.einsum("ntcl,ncl->ntl", saliency, np.asarray(x, dtype=saliency.dtype))


def position_magnitude(saliency: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``(N, T, L)`` per-position attribution magnitude: ``|gradient x input|``."""
    return np.abs(gradient_x_input(saliency, x))
