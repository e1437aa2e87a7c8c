"""Block bootstrap from per-block sufficient statistics: intervals without a second pass.

Test data are not independent positions: coverage is autocorrelated along the genome, and
peak-centred chunks cluster. The harness therefore resamples *blocks* (contiguous stretches
of the test chromosomes, see :func:`block_size_bp`; CAGI5 elements; robustness chunks) with
replacement. Each family keeps its statistic's sufficient statistics per block (moments for
Pearson and MSE, sums and counts for per-sequence means, scores and labels with their block
for AUROC/AUPR); a bootstrap replicate is a weighted combination of the blocks, so no
prediction is recomputed.

Replicate ``i`` of a metric uses the same block counts for every source evaluated on the
same dataset (:func:`bootstrap_weights` depends only on the number of blocks and the fixed
:data:`BOOTSTRAP_SEED`), so two records' replicates can be differenced for a **paired**
bootstrap (the board's ties with the leader). Intervals are 95% percentile intervals of the
mean over targets (:func:`percentile_interval`).
"""

from __future__ import annotations

import numpy as np

from benchsuite.evaluate.stats.moments import Moments

__all__ = [
    "BOOTSTRAP_SEED",
    "BlockMoments",
    "BlockSums",
    "block_ids",
    "block_size_bp",
    "bootstrap_weights",
    "combine_moments",
    "percentile_interval",
    "stack_moments",
    "weighted_aupr",
    "weighted_auroc",
    "weighted_means",
]

BOOTSTRAP_SEED = 0
"""Seed of every resample (fixed, so replicates pair across models, seeds and runs)."""


def block_size_bp(span_bp: int, *, target_bp: int = 100_000, min_blocks: int = 30, quantum: int = 1) -> int:
    """Block length: ``target_bp``, shortened so the test set holds at least ``min_blocks`` blocks.

    ``span_bp`` is the total length of the test chromosomes covered by tiles; the result is a
    multiple of ``quantum`` (the tile width) and at least one quantum.
    """
    size = min(int(target_bp), max(1, int(span_bp) // int(min_blocks)))
    return max(int(quantum), size // int(quantum) * int(quantum))


def block_ids(coords: np.ndarray, block_bp: int) -> np.ndarray:
    """Block index ``0..K-1`` of each ``(chrom index, start)`` row, in genome order."""
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    keys = coords[:, 0] * (1 << 40) + coords[:, 1] // int(block_bp)
    _, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int64).ravel()


def bootstrap_weights(n_blocks: int, n_boot: int, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """``(n_boot, n_blocks)`` counts: how often each block is drawn in each replicate.

    Deterministic in ``(n_blocks, n_boot, seed)``; each row sums to ``n_blocks``.
    """
    rng = np.random.default_rng([int(seed), int(n_blocks)])
    if n_blocks == 0:
        return np.zeros((n_boot, 0))
    draws = rng.integers(0, n_blocks, size=(n_boot, n_blocks))
    weights = np.zeros((n_boot, n_blocks))
    np.add.at(weights, (np.repeat(np.arange(n_boot), n_blocks), draws.ravel()), 1.0)
    return weights


def stack_moments(parts: list[Moments]) -> Moments:
    """Moments of ``K`` blocks, each ``(T,)``, stacked to ``(K, T)`` arrays in common scales."""
    fields = ("n", "mean_x", "mean_y", "m2x", "m2y", "cxy", "scale_x", "scale_y", "sse", "scale_d")
    arrays = {f: np.stack([getattr(p, f) for p in parts]) for f in fields}
    sx, sy, sd = (arrays[k].max(axis=0, keepdims=True) for k in ("scale_x", "scale_y", "scale_d"))
    fx, fy, fd = arrays["scale_x"] / sx, arrays["scale_y"] / sy, arrays["scale_d"] / sd
    return Moments(
        n=arrays["n"],
        mean_x=arrays["mean_x"] * fx,
        mean_y=arrays["mean_y"] * fy,
        m2x=arrays["m2x"] * fx * fx,
        m2y=arrays["m2y"] * fy * fy,
        cxy=arrays["cxy"] * fx * fy,
        scale_x=np.broadcast_to(sx, arrays["n"].shape).copy(),
        scale_y=np.broadcast_to(sy, arrays["n"].shape).copy(),
        sse=arrays["sse"] * fd * fd,
        scale_d=np.broadcast_to(sd, arrays["n"].shape).copy(),
    )


def combine_moments(blocks: Moments, weights: np.ndarray) -> Moments:
    """The moments of each bootstrap replicate: ``(B, T)`` from ``(K, T)`` blocks and ``(B, K)`` counts.

    ``blocks`` must be in common scales (:func:`stack_moments`). Deviations are taken from the
    all-blocks mean, so the weighted sums do not cancel:
    ``M2 = sum_k w_k (m2_k + n_k (m_k - g)^2) - n (m - g)^2``.
    """
    n_k = blocks.n
    n = weights @ n_k
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.maximum(n_k.sum(axis=0), 1)
        gx = (n_k * blocks.mean_x).sum(axis=0) / total
        gy = (n_k * blocks.mean_y).sum(axis=0) / total
        dx, dy = blocks.mean_x - gx, blocks.mean_y - gy
        mx = np.where(n > 0, (weights @ (n_k * dx)) / np.maximum(n, 1), 0.0)
        my = np.where(n > 0, (weights @ (n_k * dy)) / np.maximum(n, 1), 0.0)
    m2x = weights @ (blocks.m2x + n_k * dx * dx) - n * mx * mx
    m2y = weights @ (blocks.m2y + n_k * dy * dy) - n * my * my
    cxy = weights @ (blocks.cxy + n_k * dx * dy) - n * mx * my
    shape = n.shape
    return Moments(
        n=n,
        mean_x=mx + gx,
        mean_y=my + gy,
        m2x=np.maximum(m2x, 0.0),
        m2y=np.maximum(m2y, 0.0),
        cxy=cxy,
        scale_x=np.broadcast_to(blocks.scale_x[:1], shape).copy(),
        scale_y=np.broadcast_to(blocks.scale_y[:1], shape).copy(),
        sse=weights @ blocks.sse,
        scale_d=np.broadcast_to(blocks.scale_d[:1], shape).copy(),
    )


def weighted_means(totals: np.ndarray, counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per replicate, ``sum(w * total) / sum(w * count)``: ``(B, T)`` from ``(K, T)`` block sums."""
    num, den = weights @ totals, weights @ counts
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1e-300), np.nan)


def _groups(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending order of the scores and the index of each tie group's first sorted element."""
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    starts = np.flatnonzero(np.append(True, s[1:] != s[:-1]))
    return order, starts


def weighted_auroc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUROC of each replicate, items weighted by their counts ``(B, N)`` (ties count one half).

    With unit weights it equals ``sklearn.metrics.roc_auc_score``; NaN where a replicate holds
    a single class.
    """
    scores, pos = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0
    ok = np.isfinite(scores)
    scores, pos, weights = scores[ok], pos[ok], weights[:, ok]
    if scores.size == 0:
        return np.full(weights.shape[0], np.nan)
    order, starts = _groups(scores)
    w_sorted, pos_sorted = weights[:, order], pos[order]
    p = np.add.reduceat(np.where(pos_sorted, w_sorted, 0.0), starts, axis=1)
    q = np.add.reduceat(np.where(pos_sorted, 0.0, w_sorted), starts, axis=1)
    below = np.cumsum(q, axis=1) - q
    wins = (p * (below + 0.5 * q)).sum(axis=1)
    n_pos, n_neg = p.sum(axis=1), q.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), wins / (n_pos * n_neg), np.nan)


def weighted_aupr(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average precision of each replicate with item counts ``(B, N)`` (tied scores: one threshold).

    With unit weights it equals ``sklearn.metrics.average_precision_score``; NaN where a
    replicate holds no positive.
    """
    scores, pos = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0
    ok = np.isfinite(scores)
    scores, pos, weights = -scores[ok], pos[ok], weights[:, ok]  # descending scores
    if scores.size == 0:
        return np.full(weights.shape[0], np.nan)
    order, starts = _groups(scores)
    w_sorted, pos_sorted = weights[:, order], pos[order]
    tp = np.cumsum(np.add.reduceat(np.where(pos_sorted, w_sorted, 0.0), starts, axis=1), axis=1)
    predicted = np.cumsum(np.add.reduceat(w_sorted, starts, axis=1), axis=1)
    n_pos = tp[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / np.maximum(predicted, 1e-300), 0.0)
        recall = tp / n_pos
        ap = (np.diff(recall, axis=1, prepend=0.0) * precision).sum(axis=1)
    return np.where(n_pos[:, 0] > 0, ap, np.nan)


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """The ``level`` percentile interval of finite replicate values (None with fewer than 10)."""
    values = np.asarray(replicates, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 10:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return float(lo), float(hi)


def _runs(blocks: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` of the runs of equal consecutive block ids."""
    if blocks.size == 0:
        return []
    cuts = np.flatnonzero(blocks[1:] != blocks[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [blocks.size]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


class BlockMoments:
    """:class:`Moments` per block: the point estimate merges them, the bootstrap weights them."""

    def __init__(self) -> None:
        self.parts: dict[int, Moments] = {}

    def update_rows(
        self, x: np.ndarray, y: np.ndarray, mask: np.ndarray | None, blocks: np.ndarray, width: int
    ) -> None:
        """Add ``(T, n * width)`` rows of :func:`~.moments.masked_rows` whose item ``i`` (columns
        ``i * width`` to ``(i + 1) * width``) lies in block ``blocks[i]``; rows are modified in place."""
        for a, b in _runs(np.asarray(blocks)):
            cols = slice(a * width, b * width)
            part = Moments.from_rows(x[:, cols], y[:, cols], None if mask is None else mask[:, cols])
            k = int(blocks[a])
            self.parts[k] = part if k not in self.parts else self.parts[k].merge(part)

    def total(self, rows: int) -> Moments:
        """All blocks merged in block order (the empty state of ``rows`` rows without any)."""
        out = Moments.empty(rows)
        for k in sorted(self.parts):
            out = out.merge(self.parts[k])
        return out

    def replicates(self, rows: int, n_blocks: int, n_boot: int) -> Moments:
        """``(n_boot, rows)`` moments of the bootstrap replicates over ``n_blocks`` blocks."""
        parts = [self.parts.get(k, Moments.empty(rows)) for k in range(n_blocks)]
        return combine_moments(stack_moments(parts), bootstrap_weights(n_blocks, n_boot))


class BlockSums:
    """Per-block sums and counts of a per-item value (per-sequence Pearson, robustness scores)."""

    def __init__(self, n_blocks: int, rows: int) -> None:
        self.total = np.zeros((n_blocks, rows))
        self.count = np.zeros((n_blocks, rows))

    def update(self, values: np.ndarray, blocks: np.ndarray, select: np.ndarray | None = None) -> None:
        """Add ``(n, rows)`` values of items in ``blocks`` (undefined values and unselected items skipped)."""
        ok = np.isfinite(values) if select is None else select[:, None] & np.isfinite(values)
        np.add.at(self.total, blocks, np.where(ok, values, 0.0))
        np.add.at(self.count, blocks, ok.astype(np.float64))

    @property
    def n_defined(self) -> np.ndarray:
        """Items that entered the mean, per row."""
        return self.count.sum(axis=0).astype(np.int64)

    def mean(self) -> np.ndarray:
        """Mean per row over all items (NaN where none is defined)."""
        t, c = self.total.sum(axis=0), self.count.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, t / np.maximum(c, 1), np.nan)

    def replicates(self, n_boot: int) -> np.ndarray:
        """``(n_boot, rows)`` replicate means."""
        return weighted_means(self.total, self.count, bootstrap_weights(self.total.shape[0], n_boot))
