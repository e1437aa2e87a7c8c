"""Rank statistics: average ranks, exact and streaming Spearman correlation.

Spearman's rho is the Pearson correlation of average ranks (ties share their mean rank, as in
``scipy.stats.rankdata``). The exact path ranks the values and hands the rank vectors to the
moments kernel (:mod:`benchsuite.evaluate.stats.moments`). Whole-chromosome Spearman needs
every value's rank in the whole test set, so :class:`StreamingSpearman` spools the pairs
(in memory, then in temporary files) and ranks one target at a time, exactly or with a
bucketed-rank method whose error is bounded rigorously.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np

from benchsuite.evaluate.stats.moments import Moments, _check_pair, masked_rows, to_target_rows

__all__ = ["StreamingSpearman", "average_ranks", "spearman_exact", "spearman_per_target"]

_SPEARMAN_METHODS = ("auto", "exact", "histogram")


def _remove_spool(files: list, folder: Path) -> None:
    """Close the spool files and delete their folder (also run at interpreter exit)."""
    for f in files:
        with contextlib.suppress(Exception):
            f.close()
    shutil.rmtree(folder, ignore_errors=True)


def _sortable_keys(v: np.ndarray) -> np.ndarray:
    """Map float32 values to uint32 keys with the same order (IEEE-754 bit trick).

    Non-negative floats get their sign bit set; negative floats have all bits flipped.
    ``-0.0`` must be canonicalised to ``+0.0`` by the caller.
    """
    k = np.ascontiguousarray(v, dtype=np.float32).view(np.uint32)
    flip = (k.view(np.int32) >> np.int32(31)).view(np.uint32)  # all ones for negative values
    flip |= np.uint32(0x80000000)
    return k ^ flip


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank (``scipy.stats.rankdata`` 'average').

    Values are compared as float32 (the coverage dtype of the harness). The order comes from
    an LSD radix sort of the values' order-preserving 32-bit keys: two stable sorts of 16-bit
    halves, which numpy performs as counting sorts in O(n), about twice as fast as
    ``argsort``.

    Parameters
    ----------
    values:
        1-D array of finite values (converted to float32; ``-0.0`` equals ``0.0``).

    Returns
    -------
    numpy.ndarray
        float64 ranks, same length.
    """
    v = np.asarray(values, dtype=np.float32).ravel() + np.float32(0.0)  # -0.0 -> +0.0
    n = v.size
    if n == 0:
        return np.zeros(0)
    keys = _sortable_keys(v)
    del v
    order = np.argsort((keys & np.uint32(0xFFFF)).astype(np.uint16), kind="stable")
    high = (keys >> np.uint32(16)).astype(np.uint16)[order]
    order = order[np.argsort(high, kind="stable")]
    del high
    sorted_keys = keys[order]
    del keys
    new_run = np.empty(n, dtype=bool)
    new_run[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_run[1:])
    del sorted_keys
    starts = np.flatnonzero(new_run)
    del new_run
    ranks = np.empty(n, dtype=np.float64)
    if starts.size == n:  # no ties: the rank is the sorted position
        ranks[order] = np.arange(1, n + 1, dtype=np.float64)
        return ranks
    ends = np.append(starts[1:], n)
    run_rank = (starts + ends + 1) / 2.0  # average of the 1-based ranks start+1 .. end
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def spearman_exact(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Spearman rho of two 1-D float arrays of finite values (average ranks; NaN if constant).

    The Pearson correlation of the rank vectors, computed by the moments kernel.
    """
    rx, ry = average_ranks(x)[None], average_ranks(y)[None]
    if rx.shape[1] == 0:
        return math.nan
    return float(Moments.from_rows(rx, ry, None).pearson()[0])


def spearman_per_target(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Spearman rho per target over all positions of ``(N, T, ...)`` arrays (float32 ranks).

    Non-finite pairs are skipped; NaN where undefined (fewer than two pairs, constant input).
    """
    x, y, mask = masked_rows(pred, true)
    out = np.full(x.shape[0], np.nan)
    for t in range(x.shape[0]):
        xt, yt = (x[t], y[t]) if mask is None else (x[t][mask[t]], y[t][mask[t]])
        if xt.size >= 2:
            out[t] = spearman_exact(xt, yt)
    return out


class StreamingSpearman:
    """Spearman rank correlation per target over all streamed positions.

    Exact Spearman needs every value's rank in the whole chromosome, which no O(batch)
    summary provides. ``update`` therefore spools the finite (pred, true) pairs of each target
    as float32 (**8 bytes per position per target**): in memory while the spool is smaller
    than ``memory_budget`` (default 256 MiB), then in temporary files (RAM O(batch) from
    there on). ``compute`` then ranks one target at a time with one of two methods:

    ``"exact"``
        Loads the target's pairs and sorts them; ties get average ranks, so the result equals
        ``scipy.stats.spearmanr`` on the float32 values (up to float64 rounding).
        **RAM: about 60 bytes per position of the target being ranked** (values, sort keys,
        the permutation and two rank arrays), freed before the next target.
    ``"histogram"``
        Streams the spool in chunks (RAM O(chunk + 2**bits)). Each value is assigned to one
        of ``2**bits`` buckets of its float32 bit pattern (sign, exponent and the top
        ``bits - 9`` mantissa bits, i.e. a relative resolution of ``2**-(bits - 9)``) and
        gets the bucket's average rank: the result is the exact Spearman correlation of the
        values rounded to that resolution. A rigorous bound on the difference to the exact
        value is derived from the bucket counts and stored in :attr:`error_bound`: in a bucket
        of ``c`` values that are not all equal, the exact ranks deviate from the bucket's
        mid-rank by a vector of squared norm at most ``c(c^2 - 1)/12`` that is orthogonal to
        the mid-rank vector, so the angle between the exact and the bucketed centred rank
        vectors is at most ``theta = arcsin(E / sqrt(S + E^2))`` (``E^2``: the sum of those
        bounds, ``S``: the bucketed rank sum of squares); the correlation, the cosine of the
        angle between the x and y rank vectors, then moves by at most ``theta_x + theta_y``.
        Buckets holding a single repeated value (e.g. exact zeros) are exact and add nothing;
        the bound is conservative (often 100x the actual error) when a large group of tied
        values shares a bucket with other values.
    ``"auto"`` (default)
        ``"exact"`` for targets with at most ``exact_max`` pairs, else ``"histogram"``.

    Parameters
    ----------
    method:
        ``"auto"``, ``"exact"`` or ``"histogram"``.
    exact_max:
        Largest number of pairs ranked exactly under ``"auto"`` (default ``2**24``, about
        16.8 million positions, ~1 GB of transient RAM).
    bits:
        Histogram resolution (default 20: 1,048,576 buckets, 2**-11 relative value resolution).
    tmp_dir:
        Folder of the spool files (default: the system temporary folder). The spool is deleted
        by :meth:`close` (also when used as a context manager and on garbage collection).
    memory_budget:
        Bytes spooled in memory before spilling to disk (0: always on disk).
    chunk:
        Pairs per read in the histogram passes.

    Attributes
    ----------
    methods:
        After :meth:`compute`, the method used per target.
    error_bound:
        After :meth:`compute`, the bound on ``|rho_exact - rho|`` per target (0 when exact).
    """

    def __init__(
        self,
        method: str = "auto",
        *,
        exact_max: int = 2**24,
        bits: int = 20,
        tmp_dir: str | os.PathLike | None = None,
        chunk: int = 1 << 22,
        memory_budget: int = 256 * 2**20,
    ) -> None:
        if method not in _SPEARMAN_METHODS:
            raise ValueError(f"method must be one of {_SPEARMAN_METHODS}, got {method!r}")
        if not 10 <= bits <= 28:
            raise ValueError(f"bits must lie in 10..28, got {bits}")
        self.method = method
        self.exact_max = int(exact_max)
        self.bits = int(bits)
        self.chunk = int(chunk)
        self._tmp_parent = tmp_dir
        self.memory_budget = int(memory_budget)
        self._dir: Path | None = None
        self._files: list = []
        self._buffers: list[list[np.ndarray]] = []
        self._finalizer: weakref.finalize | None = None
        self.num_targets: int | None = None
        self.counts = np.zeros(0, dtype=np.int64)
        self.methods: list[str] = []
        self.error_bound = np.zeros(0)

    def _init_targets(self, t: int) -> bool:
        """Fix the number of targets on first use; True when the spool must be started."""
        if self.num_targets is None:
            self.num_targets = t
            return True
        if t != self.num_targets:
            raise ValueError(f"batch has {t} targets, the metric was started with {self.num_targets}")
        return False

    # -- spooling -------------------------------------------------------------------------
    def _start(self, t: int) -> None:
        self._buffers = [[] for _ in range(t)]
        self.counts = np.zeros(t, dtype=np.int64)

    def _spill(self) -> None:
        """Move the in-memory spool to temporary files; later updates append there."""
        self._dir = Path(tempfile.mkdtemp(prefix="benchsuite-spearman-", dir=self._tmp_parent))
        self._files = [open(self._dir / f"target{i}.f32", "wb") for i in range(len(self._buffers))]  # noqa: SIM115
        # deletes the spool when this object is collected or the interpreter exits
        self._finalizer = weakref.finalize(self, _remove_spool, self._files, self._dir)
        for f, parts in zip(self._files, self._buffers, strict=True):
            for part in parts:
                f.write(part.data.cast("B"))
        self._buffers = []

    def update(self, pred: np.ndarray, true: np.ndarray) -> None:
        """Spool a batch of ``(N, T, ...)`` arrays (non-finite pairs skipped)."""
        pred, true = _check_pair(pred, true)
        x = to_target_rows(pred, np.float32)
        y = to_target_rows(true, np.float32)
        mask = np.isfinite(x) & np.isfinite(y)
        self.update_rows(x, y, None if mask.all() else mask)

    def update_rows(self, x: np.ndarray, y: np.ndarray, mask: np.ndarray | None) -> None:
        """Spool ``(T, M)`` rows; pairs where ``mask`` is False are skipped."""
        if self._init_targets(x.shape[0]) or (self._dir is None and not self._buffers):
            self._start(x.shape[0])
        incoming = x.size if mask is None else int(mask.sum())
        if self._dir is None and (int(self.counts.sum()) + incoming) * 8 > self.memory_budget:
            self._spill()
        for t in range(x.shape[0]):
            xt, yt = x[t], y[t]
            if mask is not None:
                xt, yt = xt[mask[t]], yt[mask[t]]
            pair = np.empty((xt.size, 2), dtype=np.float32)
            pair[:, 0] = xt
            pair[:, 1] = yt
            if self._dir is None:
                self._buffers[t].append(pair)
            else:
                self._files[t].write(pair.data.cast("B"))
            self.counts[t] += xt.size

    # -- computing ------------------------------------------------------------------------
    def _pairs(self, t: int) -> np.ndarray:
        n = int(self.counts[t])
        if self._dir is None:
            return np.concatenate(self._buffers[t]) if self._buffers[t] else np.zeros((0, 2), np.float32)
        self._files[t].flush()
        return np.memmap(self._dir / f"target{t}.f32", dtype=np.float32, mode="r", shape=(n, 2))

    def _keys(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bucket index and the remaining low key bits of float32 values."""
        keys = _sortable_keys(np.asarray(v, dtype=np.float32) + np.float32(0.0))
        low = keys & np.uint32((1 << (32 - self.bits)) - 1)
        return keys >> np.uint32(32 - self.bits), low

    def _histogram(self, pairs: np.ndarray) -> tuple[float, float] | None:
        """(rho, bound), or None when a variable falls into one bucket without being constant."""
        n = pairs.shape[0]
        size = 1 << self.bits
        low_mask = np.uint32((1 << (32 - self.bits)) - 1)
        counts = [np.zeros(size, dtype=np.int64) for _ in range(2)]
        # per bucket: max of the low key bits and max of their complement (= -min), zero-initialised
        low_max = [np.zeros(size, dtype=np.uint32) for _ in range(4)]
        for s in range(0, n, self.chunk):
            block = np.asarray(pairs[s : s + self.chunk])
            for j in range(2):
                bucket, low = self._keys(block[:, j])
                counts[j] += np.bincount(bucket, minlength=size)
                np.maximum.at(low_max[2 * j], bucket, low)
                np.maximum.at(low_max[2 * j + 1], bucket, low_mask - low)
        mean = (n + 1) / 2.0
        tables, sums, angles = [], [], []
        for j in range(2):
            nz = np.flatnonzero(counts[j])
            c = counts[j][nz].astype(np.float64)
            cum = np.cumsum(c)
            mid = (2.0 * cum - c + 1.0) / 2.0 - mean  # centred mid-rank of each occupied bucket
            ssq = float(np.einsum("i,i,i->", c, mid, mid))
            # a bucket holding one repeated value is an exact tie: its mid-rank is exact
            spread = (
                low_max[2 * j][nz].astype(np.int64) + low_max[2 * j + 1][nz].astype(np.int64) - int(low_mask)
            )
            mixed = (c > 1) & (spread > 0)
            if ssq <= 0 and mixed.any():
                return None
            cm = c[mixed]
            e2 = float(np.sum(cm * (cm * cm - 1.0)) / 12.0)
            table = np.zeros(size)
            table[nz] = mid
            tables.append(table)
            sums.append(ssq)
            angles.append(math.asin(min(1.0, math.sqrt(e2 / (ssq + e2)))) if ssq + e2 > 0 else 0.0)
        if sums[0] <= 0 or sums[1] <= 0:
            return math.nan, 0.0
        # the Pearson r of the bucketed mid-ranks, streamed through the moments kernel
        acc: Moments | None = None
        for s in range(0, n, self.chunk):
            block = np.asarray(pairs[s : s + self.chunk])
            rx = tables[0][self._keys(block[:, 0])[0]][None]
            ry = tables[1][self._keys(block[:, 1])[0]][None]
            part = Moments.from_rows(rx, ry, None)
            acc = part if acc is None else acc.merge(part)
        assert acc is not None
        rho = float(acc.pearson()[0])
        return rho, min(2.0, angles[0] + angles[1])

    def compute(self) -> np.ndarray:
        """Spearman rho per target (NaN for < 2 pairs or a constant input).

        Sets :attr:`methods` and :attr:`error_bound`.
        """
        if self.num_targets is None:
            return np.zeros(0)
        out = np.full(self.num_targets, np.nan)
        self.methods = []
        self.error_bound = np.zeros(self.num_targets)
        for t in range(self.num_targets):
            n = int(self.counts[t])
            method = self.method
            if method == "auto":
                method = "exact" if n <= self.exact_max else "histogram"
            if n < 2:
                self.methods.append(method)
                continue
            pairs = self._pairs(t)
            if method == "histogram":
                result = self._histogram(pairs)
                if result is None:  # all values inside one bucket: rank them exactly
                    method = "exact"
                else:
                    out[t], self.error_bound[t] = result
            if method == "exact":
                block = np.asarray(pairs)
                out[t] = spearman_exact(block[:, 0], block[:, 1])
                del block
            self.methods.append(method)
            del pairs
        return out

    def reset(self) -> None:
        """Delete the spool and forget all updates."""
        self.close()
        self.num_targets = None
        self.counts = np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        """Delete the temporary spool (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()  # closes the files and removes the folder, once
            self._finalizer = None
        self._files = []
        self._buffers = []
        self._dir = None

    @property
    def on_disk(self) -> bool:
        """Whether the spool has spilled to temporary files."""
        return self._dir is not None

    @property
    def spool_bytes(self) -> int:
        """Bytes spooled so far (in memory or on disk)."""
        return int(self.counts.sum()) * 8

    def __enter__(self) -> StreamingSpearman:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
