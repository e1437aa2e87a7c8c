"""The moments kernel: every Pearson correlation, MSE and scale factor of the suite.

One implementation serves whole-chromosome, common-bin, per-sequence, thresholded and
peak-level Pearson, CAGI5's within-element Pearson, both ceilings, the simulator's replicate
check and the training-time validation metric. It keeps, per row (a target, or a
(sequence, target) pair), the count, the means and the centred second moments of paired
values, all float64:

* **Two-pass per batch.** A batch's means are computed first and its sums of squares from
  centred values, so there is no cancellation of naive running sums of squares.
* **Merged with Chan, Golub & LeVeque (1979).** Batches (or data-parallel workers) combine
  with the pairwise update, so the result does not depend on how the data was split up to
  float64 rounding.
* **No overflow or underflow.** A row whose largest magnitude lies outside ``2**±100``
  (about 1e±30) is divided by a power of two before any product is formed, so sums of squares
  and their products stay far inside the float64 range for any finite input (values up to
  ~1e300 and down to ~1e-300 are safe); a state remembers that scale per variable. Scaling by
  a power of two is exact, so rows within the range give bit-identical results with or
  without it.
* **Missing data.** Pairs where either value is not finite are skipped (the mask of
  :func:`masked_rows`). **Undefined is NaN.** Fewer than two pairs, or a constant prediction
  or truth (population variance at most ``(CONSTANT_RTOL * |mean|)**2``), give NaN, never 0.

The functional faces (:func:`pearson_per_target`, :func:`per_sequence_pearson_matrix`,
:func:`pearson_1d`, :func:`mse_per_target`, :func:`scale_factors`) and the streaming classes
(:class:`StreamingPearson`, :class:`StreamingMSE`) are thin wrappers of :class:`Moments`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CONSTANT_RTOL",
    "Moments",
    "StreamingMSE",
    "StreamingPearson",
    "masked_rows",
    "mse_per_target",
    "nanmean_or_none",
    "pearson_1d",
    "pearson_per_target",
    "per_sequence_pearson_matrix",
    "scale_factors",
    "to_target_rows",
]

CONSTANT_RTOL = 1e-13
"""Relative tolerance under which a variance counts as zero (constant input)."""

_SAFE_HIGH = 2.0**100
_SAFE_LOW = 2.0**-100


def to_target_rows(a: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Copy an ``(N, T, ...)`` array into a C-contiguous ``(T, N * prod(...))`` array of ``dtype``.

    One pass: the transpose and the cast happen in the same copy (memory maps and float16 are
    fine). Row ``t`` holds target ``t``'s values in sequence order.
    """
    a = np.asarray(a)
    if a.ndim < 2:
        raise ValueError(f"expected an array of shape (N, T, ...), got shape {a.shape}")
    n, t = a.shape[:2]
    rest = int(np.prod(a.shape[2:], dtype=np.int64))
    out: np.ndarray = np.empty((t, n, rest), dtype=dtype)
    out[...] = np.moveaxis(a.reshape(n, t, rest), 1, 0)
    return out.reshape(t, n * rest)


def _check_pair(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, true = np.asarray(pred), np.asarray(true)
    if pred.shape != true.shape:
        raise ValueError(f"pred and true must have the same shape, got {pred.shape} and {true.shape}")
    if pred.ndim < 2:
        raise ValueError(f"expected arrays of shape (N, T, ...), got shape {pred.shape}")
    return pred, true


def masked_rows(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Float64 ``(T, M)`` rows of ``(N, T, ...)`` pred and true, invalid pairs zeroed, and the mask.

    The mask is None when every pair is finite (the common case, which skips all masking).
    """
    pred, true = _check_pair(pred, true)
    x, y = to_target_rows(pred), to_target_rows(true)
    mask = np.isfinite(x)
    mask &= np.isfinite(y)
    if mask.all():
        return x, y, None
    x[~mask] = 0.0
    y[~mask] = 0.0
    return x, y, mask


def _pow2_scale(v: np.ndarray) -> np.ndarray:
    """Per row, 1 or the power of two near the largest magnitude when it is outside 2**±100."""
    amax = np.maximum(v.max(axis=1), -v.min(axis=1)) if v.shape[1] else np.zeros(v.shape[0])
    scale = np.ones(v.shape[0])
    risky = np.isfinite(amax) & ((amax > _SAFE_HIGH) | ((amax > 0) & (amax < _SAFE_LOW)))
    if risky.any():
        scale[risky] = np.ldexp(1.0, np.frexp(amax[risky])[1])
    return scale


def _is_constant(m2: np.ndarray, n: np.ndarray, mean: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 0, m2 / np.maximum(n, 1), 0.0)
    return var <= (CONSTANT_RTOL * np.abs(mean)) ** 2


@dataclass
class Moments:
    """Counts, means and centred second moments per row, in units of a power-of-two scale.

    Attributes (arrays of shape ``(R,)``, float64): ``n`` pairs; ``mean_x``, ``mean_y``;
    ``m2x``, ``m2y`` (sums of squared deviations); ``cxy`` (sum of cross deviations), all in
    units of ``scale_x`` / ``scale_y`` (1 unless a row needed rescaling); ``sse``, the sum of
    squared differences ``(x - y)**2`` formed directly (exact MSE even when the prediction is
    very close to the truth), in units of ``scale_d**2``. :attr:`means`, :meth:`mse` and
    :meth:`scale_factor` return values in the data's own units.
    """

    n: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray
    m2x: np.ndarray
    m2y: np.ndarray
    cxy: np.ndarray
    scale_x: np.ndarray
    scale_y: np.ndarray
    sse: np.ndarray
    scale_d: np.ndarray

    @classmethod
    def empty(cls, rows: int) -> Moments:
        """The state of ``rows`` rows that have seen no pair."""
        z = np.zeros(rows)
        return cls(
            n=z.copy(),
            mean_x=z.copy(),
            mean_y=z.copy(),
            m2x=z.copy(),
            m2y=z.copy(),
            cxy=z.copy(),
            scale_x=np.ones(rows),
            scale_y=np.ones(rows),
            sse=z.copy(),
            scale_d=np.ones(rows),
        )

    @classmethod
    def from_rows(cls, x: np.ndarray, y: np.ndarray, mask: np.ndarray | None) -> Moments:
        """Moments of float64 ``(R, M)`` rows (invalid entries zeroed, ``mask`` True where valid).

        ``x`` and ``y`` are modified in place (scaled and centred).
        """
        n = np.full(x.shape[0], float(x.shape[1])) if mask is None else mask.sum(axis=1).astype(np.float64)
        sx, sy = _pow2_scale(x), _pow2_scale(y)
        sd = np.maximum(sx, sy)
        d = x / sd[:, None] - y / sd[:, None] if (sd != 1).any() else x - y
        sse = np.einsum("ij,ij->i", d, d)
        del d
        if (sx != 1).any():
            x /= sx[:, None]
        if (sy != 1).any():
            y /= sy[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            mx = np.where(n > 0, x.sum(axis=1) / n, 0.0)
            my = np.where(n > 0, y.sum(axis=1) / n, 0.0)
        x -= mx[:, None]
        y -= my[:, None]
        if mask is not None:
            x *= mask
            y *= mask
        m2x = np.einsum("ij,ij->i", x, x)
        m2y = np.einsum("ij,ij->i", y, y)
        cxy = np.einsum("ij,ij->i", x, y)
        return cls(n, mx, my, m2x, m2y, cxy, sx, sy, sse, sd)

    def _rescaled(self, sx: np.ndarray, sy: np.ndarray) -> tuple[np.ndarray, ...]:
        """(mean_x, mean_y, m2x, m2y, cxy) in units of the (larger or equal) scales ``sx``, ``sy``."""
        fx, fy = self.scale_x / sx, self.scale_y / sy
        return (
            self.mean_x * fx,
            self.mean_y * fy,
            self.m2x * fx * fx,
            self.m2y * fy * fy,
            self.cxy * fx * fy,
        )

    def merge(self, other: Moments) -> Moments:
        """The moments of both sets of pairs (pairwise update; neither input is modified)."""
        sx, sy = np.maximum(self.scale_x, other.scale_x), np.maximum(self.scale_y, other.scale_y)
        amx, amy, am2x, am2y, acxy = self._rescaled(sx, sy)
        bmx, bmy, bm2x, bm2y, bcxy = other._rescaled(sx, sy)
        na, nb = self.n, other.n
        n = na + nb
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(n > 0, nb / n, 0.0)
            w = np.where(n > 0, na * nb / n, 0.0)
        dx, dy = bmx - amx, bmy - amy
        sd = np.maximum(self.scale_d, other.scale_d)
        fa, fb = self.scale_d / sd, other.scale_d / sd
        return Moments(
            n=n,
            mean_x=amx + dx * frac,
            mean_y=amy + dy * frac,
            m2x=am2x + bm2x + dx * dx * w,
            m2y=am2y + bm2y + dy * dy * w,
            cxy=acxy + bcxy + dx * dy * w,
            scale_x=sx,
            scale_y=sy,
            sse=self.sse * fa * fa + other.sse * fb * fb,
            scale_d=sd,
        )

    def constant(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row, whether x and y were constant over all pairs."""
        return _is_constant(self.m2x, self.n, self.mean_x), _is_constant(self.m2y, self.n, self.mean_y)

    def pearson(self) -> np.ndarray:
        """Pearson r per row, clipped to [-1, 1]; NaN for fewer than two pairs or a constant input."""
        with np.errstate(invalid="ignore", divide="ignore"):
            r = self.cxy / np.sqrt(self.m2x * self.m2y)
        const_x, const_y = self.constant()
        bad = (self.n < 2) | (self.m2x <= 0) | (self.m2y <= 0) | ~np.isfinite(r) | const_x | const_y
        return np.where(bad, np.nan, np.clip(r, -1.0, 1.0))

    @property
    def means(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean of x, mean of y) per row, in the data's units (NaN-free: 0 without pairs)."""
        return self.mean_x * self.scale_x, self.mean_y * self.scale_y

    def scale_factor(self) -> np.ndarray:
        """The paper's global scaling factor ``mean(y) / mean(x)`` per row (NaN where undefined)."""
        mx, my = self.means
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(self.n > 0, my / mx, np.nan)
        return np.where(np.isfinite(f), f, np.nan)

    def mse(self, factor: np.ndarray | float | None = None) -> np.ndarray:
        """Mean squared error per row: ``mean((x - y)**2)``, or ``mean((factor * x - y)**2)``.

        Without a factor, from the directly formed squared differences (``sse``). With one (the
        scaled MSE, whose factor is known only at the end), from the moments with no second
        pass: ``s^2 var(x) - 2 s cov(x, y) + var(y) + (s mean(x) - mean(y))^2`` (population
        moments; relative error ~1e-16 * var / MSE). NaN without pairs or with a non-finite
        factor; ``inf`` when the true value exceeds the float64 range.
        """
        if factor is None:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                direct = self.sse / self.n * self.scale_d * self.scale_d
            return np.where(self.n > 0, direct, np.nan)
        s = np.asarray(factor, dtype=np.float64) * np.ones_like(self.n)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # in units of y's scale (1 unless y was rescaled), then back: overflow only when the
            # MSE itself exceeds the float64 range
            r = s * self.scale_x / self.scale_y
            var_x, var_y, cov = self.m2x / self.n, self.m2y / self.n, self.cxy / self.n
            mse = r * r * var_x - 2.0 * r * cov + var_y + (r * self.mean_x - self.mean_y) ** 2
            mse = np.maximum(mse, 0.0) * self.scale_y * self.scale_y
        return np.where((self.n > 0) & np.isfinite(s), mse, np.nan)


class _Streaming:
    """A :class:`Moments` state per target, started by the first batch."""

    def __init__(self) -> None:
        self.moments: Moments | None = None

    @property
    def num_targets(self) -> int | None:
        return None if self.moments is None else int(self.moments.n.shape[0])

    def reset(self) -> None:
        """Forget all updates."""
        self.moments = None

    def update(self, pred: np.ndarray, true: np.ndarray) -> None:
        """Add a batch of ``(N, T, ...)`` arrays."""
        self.update_rows(*masked_rows(pred, true))

    def update_rows(self, x: np.ndarray, y: np.ndarray, mask: np.ndarray | None) -> None:
        """Add float64 ``(T, M)`` rows from :func:`masked_rows` (modified in place)."""
        if self.moments is not None and x.shape[0] != self.moments.n.shape[0]:
            raise ValueError(
                f"batch has {x.shape[0]} targets, the metric was started with {self.num_targets}"
            )
        batch = Moments.from_rows(x, y, mask)
        self.moments = batch if self.moments is None else self.moments.merge(batch)

    def merge(self, other: _Streaming) -> _Streaming:
        """Fold another accumulator's state into this one (e.g. across workers); returns self."""
        if other.moments is not None:
            self.moments = other.moments if self.moments is None else self.moments.merge(other.moments)
        return self


class StreamingPearson(_Streaming):
    """Pearson r per target over every streamed position (whole-chromosome r); O(T) memory."""

    def compute(self) -> np.ndarray:
        """r per target (NaN where undefined); empty before the first update."""
        return np.zeros(0) if self.moments is None else self.moments.pearson()


class StreamingMSE(_Streaming):
    """Mean squared error per target over every streamed position, from the moments."""

    def compute(self) -> np.ndarray:
        """MSE per target (NaN where no pair was seen); empty before the first update."""
        return np.zeros(0) if self.moments is None else self.moments.mse()


def pearson_per_target(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson r per target over all positions of all sequences of ``(N, T, ...)`` arrays."""
    return Moments.from_rows(*masked_rows(pred, true)).pearson()


def mse_per_target(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Mean squared error per target over all finite pairs of ``(N, T, ...)`` arrays."""
    return Moments.from_rows(*masked_rows(pred, true)).mse()


def scale_factors(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """``mean(true) / mean(pred)`` per target over jointly finite positions (paper "Scaling predictions")."""
    return Moments.from_rows(*masked_rows(pred, true)).scale_factor()


def per_sequence_pearson_matrix(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Pearson r of every (sequence, target) over the positions of that sequence.

    ``pred`` and ``true`` are ``(N, T, P)``; returns ``(N, T)`` float64, NaN where the
    sequence's prediction or truth is constant or has fewer than two finite positions.
    """
    pred, true = _check_pair(pred, true)
    if pred.ndim != 3:
        raise ValueError(f"expected arrays of shape (N, T, P), got {pred.shape}")
    n, t, p = pred.shape
    x = pred.reshape(n * t, p).astype(np.float64)
    y = true.reshape(n * t, p).astype(np.float64)
    valid = np.isfinite(x) & np.isfinite(y)
    mask: np.ndarray | None = None
    if not valid.all():
        x[~valid] = 0.0
        y[~valid] = 0.0
        mask = valid
    return Moments.from_rows(x, y, mask).pearson().reshape(n, t)


def pearson_1d(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r of two 1-D arrays (non-finite pairs skipped; NaN where undefined)."""
    x = np.asarray(x, dtype=np.float64).reshape(1, 1, -1)
    y = np.asarray(y, dtype=np.float64).reshape(1, 1, -1)
    return float(pearson_per_target(x, y)[0])


def nanmean_or_none(values: Mapping[str, float | None] | Iterable[float | None]) -> float | None:
    """Mean of the finite values, or None when there is none (the harness's mean over targets)."""
    vals = list(values.values()) if isinstance(values, Mapping) else list(values)
    finite = [float(v) for v in vals if v is not None and np.isfinite(v)]
    return float(np.mean(finite)) if finite else None
