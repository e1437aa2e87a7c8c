"""Resolution matching: averaging into coarser bins and broadcasting per-sequence values.

How targets are binned to a model's resolution and how higher-resolution predictions are
compared at a coarser common bin (paper Fig. 2c).
"""

from __future__ import annotations

import numpy as np

__all__ = ["bin_average", "broadcast_bins"]


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
