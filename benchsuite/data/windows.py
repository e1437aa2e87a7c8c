"""Window selection for the dataset cache: which chunk starts each dataset kind considers.

- :func:`grid_starts`: the non-overlapping grid of coverage-threshold chunks and whole-chromosome
  tiles within a block;
- :func:`merge_peak_windows`: Basset-style peak-centred windows of the binary dataset;
- :func:`negative_starts` and :func:`position_uniform`: the peak-free negatives of the binary
  dataset (manifest ``binary_negatives``) and their position-hash thinning;
- :func:`block_binary_starts`: the binary windows (and negatives) of one block;
- :func:`peak_labels`: the binary labels of windows;
- :func:`copy_windows` and :func:`window_max`: window copies and maxima of a block's arrays.

These are pure functions of arrays; the filters (excluded regions, N bases, missing coverage,
coverage threshold) are applied by :class:`benchsuite.data.builder.ChunkBuilder`.
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchsuite.data.intervals import overlaps

__all__ = [
    "grid_starts",
    "merge_peak_windows",
    "position_uniform",
    "negative_starts",
    "block_binary_starts",
    "peak_labels",
    "copy_windows",
    "window_max",
]


def grid_starts(b0: int, b1: int, step: int, chrom_length: int) -> np.ndarray:
    """Starts of the ``step``-wide grid windows (multiples of ``step``) starting in [b0, b1).

    Only windows that fit the chromosome are returned (the tail shorter than ``step`` is left
    out). Coverage-threshold chunks use ``step = chunk_length``, whole-chromosome tiles
    ``step = input_length``.
    """
    first = -(-b0 // step) * step
    starts = np.arange(first, b1, step, dtype=np.int64)
    return starts[starts + step <= chrom_length]


def merge_peak_windows(
    summits: np.ndarray, chrom_length: int, chunk_length: int, input_length: int
) -> tuple[np.ndarray, dict[str, int]]:
    """Basset-style peak-centred windows of one chromosome.

    Summits are scanned left to right. The first summit ``a`` not yet inside the central
    ``input_length`` window of an accepted window starts a group: the summits within
    ``input_length // 2`` bp of it. A ``chunk_length`` window is centred on the group
    (midpoint of its first and last summit), shifted right if it would overlap the previous
    window and kept inside the chromosome, and accepted when ``a`` still lies in its central
    window; every summit inside that central window is then covered by it.

    Parameters
    ----------
    summits:
        Peak summit positions of all targets (any order).
    chrom_length:
        Chromosome length.
    chunk_length, input_length:
        Window width and model input length.

    Returns
    -------
    starts:
        Sorted, non-overlapping window starts (int64); windows lie inside the chromosome and
        their central ``input_length`` window holds at least one summit.
    dropped:
        ``{"edge": n, "overlap": n}``: summits that could not be placed in a central window
        because of a chromosome end, or because they lie in the flank of the previous window.
    """
    s = np.sort(np.asarray(summits, dtype=np.int64))
    dropped = {"edge": 0, "overlap": 0}
    starts: list[int] = []
    span = input_length // 2
    flank = (chunk_length - input_length) // 2
    i, n = 0, s.size
    last_end = 0
    while i < n:
        a = int(s[i])
        last = int(s[int(np.searchsorted(s, a + span, side="right")) - 1])
        centred = (a + last) // 2 - chunk_length // 2
        w0 = min(max(centred, last_end), chrom_length - chunk_length)
        if w0 < last_end or not w0 + flank <= a < w0 + flank + input_length:
            outside = centred < 0 or centred + chunk_length > chrom_length
            dropped["edge" if outside else "overlap"] += 1
            i += 1
            continue
        starts.append(w0)
        last_end = w0 + chunk_length
        i = int(np.searchsorted(s, w0 + flank + input_length, side="left"))
    return np.asarray(starts, dtype=np.int64), dropped


def position_uniform(chrom: str, starts: np.ndarray) -> np.ndarray:
    """A deterministic pseudo-random number in [0, 1) per (chromosome, start) (splitmix64 hash).

    Used to thin the binary negatives: the choice of a chunk depends only on its position, not
    on block sizes, the order of processing or other chunks.
    """
    x = np.asarray(starts, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(zlib.crc32(chrom.encode("utf-8"))) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def negative_starts(
    chrom: str,
    chrom_length: int,
    chunk_length: int,
    positive_starts: np.ndarray,
    peak_starts: np.ndarray,
    peak_ends: np.ndarray,
    fraction: float,
) -> tuple[np.ndarray, int]:
    """Candidate negative chunks of one chromosome for the binary dataset.

    Parameters
    ----------
    chrom, chrom_length:
        Chromosome name (for the position hash) and length.
    chunk_length:
        Chunk width; candidates are the non-overlapping ``chunk_length`` grid (starts at
        multiples of it), like the coverage-threshold chunks.
    positive_starts:
        Sorted starts of the peak-centred chunks (a candidate overlapping one is left out).
    peak_starts, peak_ends:
        Merged, sorted peak intervals of all label targets (a candidate touching one is left out).
    fraction:
        Keep a candidate when its :func:`position_uniform` value is below this.

    Returns
    -------
    starts:
        Sorted candidate starts (coverage, N and excluded-region filters come later).
    peak_free:
        Grid chunks free of peaks and peak-centred chunks before the fraction is applied.
    """
    grid = np.arange(0, chrom_length - chunk_length + 1, chunk_length, dtype=np.int64)
    ends = grid + chunk_length
    bad = overlaps(positive_starts, positive_starts + chunk_length, grid, ends)
    running_end = np.maximum.accumulate(peak_ends) if peak_ends.size else peak_ends
    bad |= overlaps(peak_starts, running_end, grid, ends)
    free = grid[~bad]
    if fraction >= 1.0:
        return free, int(free.size)
    return free[position_uniform(chrom, free) < fraction], int(free.size)


def block_binary_starts(
    peak_starts: np.ndarray, negatives: np.ndarray | None, b0: int, b1: int, negatives_need_threshold: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The binary windows starting in [b0, b1): peak-centred ones and, if given, negatives.

    Parameters
    ----------
    peak_starts:
        Sorted peak-centred window starts of the chromosome (:func:`merge_peak_windows`).
    negatives:
        Sorted negative starts of the chromosome (:func:`negative_starts`), or None.
    b0, b1:
        The block's range of window starts.
    negatives_need_threshold:
        Whether negatives must pass the coverage threshold (source ``coverage-threshold``).

    Returns
    -------
    starts:
        Sorted window starts.
    threshold_rows:
        None without negatives; else a bool per window: must it pass the coverage threshold.
    """
    lo, hi = np.searchsorted(peak_starts, [b0, b1], side="left")
    starts = peak_starts[lo:hi]
    if negatives is None:
        return starts, None
    nlo, nhi = np.searchsorted(negatives, [b0, b1], side="left")
    starts = np.concatenate([starts, negatives[nlo:nhi]])
    order = np.argsort(starts, kind="stable")
    rows = np.r_[np.zeros(hi - lo, dtype=bool), np.full(nhi - nlo, negatives_need_threshold)][order]
    return starts[order], rows


def peak_labels(
    peaks: list[tuple[np.ndarray, np.ndarray]], starts: np.ndarray, width: int, input_length: int
) -> np.ndarray:
    """(n, K) uint8: 1 where a peak of label target k overlaps a window's central input window.

    Parameters
    ----------
    peaks:
        Per label target: sorted peak starts and the running maximum of their ends.
    starts:
        Window starts.
    width, input_length:
        Window width and the width of its central window.
    """
    q0 = starts + (width - input_length) // 2
    q1 = q0 + input_length
    labels = np.zeros((starts.size, len(peaks)), dtype=np.uint8)
    for t, (p_start, p_maxend) in enumerate(peaks):
        labels[:, t] = overlaps(p_start, p_maxend, q0, q1)
    return labels


def copy_windows(arr: np.ndarray, rel: np.ndarray, width: int) -> np.ndarray:
    """Copy the windows ``arr[..., r:r + width]`` for ``r`` in ``rel``: shape ``(n, ..., width)``."""
    view = sliding_window_view(arr, width, axis=-1)  # (..., R - width + 1, width), no copy
    if arr.ndim > 1:
        view = np.moveaxis(view, -2, 0)
    return view[rel]


def window_max(values: np.ndarray, rel: np.ndarray, width: int) -> np.ndarray:
    """Max of ``values[r:r + width]`` for sorted, non-overlapping window starts ``rel``."""
    padded = np.append(values, np.float32(-np.inf))  # reduceat needs every index < len
    bounds = np.stack([rel, rel + width], axis=1).ravel()
    return np.maximum.reduceat(padded, bounds)[0::2]
