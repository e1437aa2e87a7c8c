"""Robustness to translational shifts: the paper's variation score (Fig. 3, Methods "Robustness test").

Definition implemented here, for one chunk of length ``C`` (the dataset's ``chunk_length``,
paper: 3,072 bp) and a model with input length ``L`` (paper: 2,048) and output bin ``b``:

1. **Windows.** ``K`` input windows of length ``L`` are cut from the chunk at offsets
   evenly spaced from ``0`` to ``C - L`` (the paper's "20 contiguous sub-sequences"; GOPHER's
   code drew the shifts at random, evenly spaced offsets give the same coverage of the
   shift range deterministically). Offsets are **multiples of an alignment step** ``a``: the
   harness uses the coarsest output bin of the dataset (a multiple of every model's bin), so
   every model, whatever its bin, is scored on the same windows and the same number of shifts,
   and the output bins of all windows fall on the same chunk bins (no re-binning artifact);
   offset ``i`` is ``a * floor(i * M / (K - 1))`` with ``M = floor((C - L) / a)``. When fewer
   than ``n_shifts`` distinct aligned offsets exist (``M + 1 < n_shifts``, e.g. a 128-bp step
   with ``C - L = 512`` allows 5), every distinct offset is used once: repeating an offset
   would add zero-variance copies and bias the score down.
2. **Alignment.** Window ``i`` predicts chunk bins ``[o_i / b, o_i / b + L / b)``. The
   centre region covered by every window is ``[o_max, L)`` in chunk coordinates (paper:
   the central 1,024 bp); each window's prediction is cropped to it.
3. **Score.** Per target: the standard deviation across the ``K`` windows at each centre
   bin (population std, ``ddof=0``, as ``numpy.std``), averaged over the centre bins, divided
   by the mean predicted coverage over the ``K`` cropped predictions. A chunk whose mean
   predicted coverage is 0 has an undefined score (NaN) and is skipped.
4. **Aggregation.** Target ``t`` averages the scores of the test chunks holding a peak of
   ``t`` (labels of the peak-centered test split); the reported value is the mean over
   targets. Lower is better; scores are only comparable between models of equal bin size.

``max_sequences`` caps the number of chunks by a seeded uniform choice among the chunks
with at least one peak (sorted, so the subset is reproducible).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from benchsuite.errors import ConfigError

__all__ = [
    "RobustnessResult",
    "centre_region",
    "robustness_evaluate",
    "select_chunks",
    "shift_offsets",
    "variation_scores",
]

logger = logging.getLogger(__name__)


def shift_offsets(chunk_length: int, input_length: int, bin_size: int, n_shifts: int) -> np.ndarray:
    """Evenly spaced, bin-aligned window offsets inside a chunk (see the module docstring).

    Parameters
    ----------
    chunk_length, input_length:
        Chunk length ``C`` and window length ``L`` (``C >= L``).
    bin_size:
        Output bin ``b``; every offset is a multiple of it.
    n_shifts:
        Wanted number of windows ``K`` (>= 2).

    Returns
    -------
    numpy.ndarray
        int64 offsets, strictly increasing, starting at 0; ``min(n_shifts, M + 1)`` of them.

    Examples
    --------
    >>> shift_offsets(3072, 2048, 1, 3).tolist()
    [0, 512, 1024]
    >>> shift_offsets(3072, 2048, 128, 20).tolist()
    [0, 128, 256, 384, 512, 640, 768, 896, 1024]
    """
    if n_shifts < 2:
        raise ConfigError(f"robustness needs at least 2 shifts, got {n_shifts}", source="robustness_shifts")
    if chunk_length < input_length:
        raise ConfigError(
            f"chunk_length {chunk_length} is shorter than input_length {input_length}",
            source="geometry",
        )
    m = (chunk_length - input_length) // bin_size
    k = min(int(n_shifts), m + 1)
    if k < 2:
        return np.zeros(1, dtype=np.int64)
    i = np.arange(k, dtype=np.int64)
    return bin_size * ((i * m) // (k - 1))


def centre_region(offsets: np.ndarray, input_length: int, bin_size: int) -> tuple[np.ndarray, int]:
    """Per-window start bin of the shared centre region and its length in bins.

    The region ``[max(offsets), min(offsets) + L)`` of the chunk is covered by every window.

    Returns
    -------
    (starts, n_bins)
        ``starts[i]`` is the first output bin of window ``i`` inside the region.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    lo, hi = int(offsets.max()), int(offsets.min()) + input_length
    n_bins = max(0, (hi - lo) // bin_size)
    return (lo - offsets) // bin_size, n_bins


def variation_scores(
    predict: Callable[[np.ndarray], np.ndarray],
    chunk_codes: np.ndarray,
    *,
    input_length: int,
    bin_size: int,
    offsets: np.ndarray,
) -> np.ndarray:
    """Variation score of each chunk and target.

    Parameters
    ----------
    predict:
        ``codes (M, L) uint8 -> (M, T, L // bin_size)`` predictions.
    chunk_codes:
        ``(B, C)`` uint8 base codes of the chunks.
    input_length, bin_size, offsets:
        Window geometry (offsets from :func:`shift_offsets`).

    Returns
    -------
    numpy.ndarray
        ``(B, T)`` float64 scores; NaN where the mean predicted coverage is not positive.
    """
    chunk_codes = np.asarray(chunk_codes)
    b, k = chunk_codes.shape[0], len(offsets)
    idx = np.asarray(offsets)[:, None] + np.arange(input_length)[None, :]  # (K, L)
    windows = chunk_codes[:, idx].reshape(b * k, input_length)
    pred = np.asarray(predict(windows), dtype=np.float64)
    if pred.ndim != 3 or pred.shape[0] != b * k:
        raise ValueError(f"predictions of shape {pred.shape} do not match {b * k} windows")
    t, nbins = pred.shape[1], pred.shape[2]
    pred = pred.reshape(b, k, t, nbins)
    starts, n_centre = centre_region(offsets, input_length, bin_size)
    if n_centre < 1:
        raise ConfigError(
            "the windows share no complete output bin",
            source="geometry",
            hint="robustness needs 2 * input_length - chunk_length >= bin_size",
        )
    cols = starts[:, None] + np.arange(n_centre)[None, :]  # (K, n_centre)
    centre = np.take_along_axis(pred, cols[None, :, None, :], axis=3)  # (B, K, T, n_centre)
    std = centre.std(axis=1).mean(axis=-1)  # (B, T)
    mean = centre.mean(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, std / mean, np.nan)


def select_chunks(labels: np.ndarray, max_sequences: int | None, seed: int) -> np.ndarray:
    """Indices of the chunks holding a peak of any target, capped by a seeded uniform choice."""
    labels = np.asarray(labels)
    candidates = np.flatnonzero((labels > 0).any(axis=1))
    if max_sequences is not None and candidates.size > max_sequences:
        rng = np.random.default_rng(seed)
        candidates = np.sort(rng.choice(candidates, size=int(max_sequences), replace=False))
    return candidates


@dataclass
class RobustnessResult:
    """Outcome of :func:`robustness_evaluate`.

    Attributes
    ----------
    per_target:
        ``(T,)`` mean variation score over the chunks holding a peak of the target
        (NaN where none is scorable).
    n_chunks:
        ``(T,)`` number of chunks that entered each target's mean.
    offsets:
        Window offsets used (bp).
    bin_size:
        Output bin of the predictor (scores are comparable only at equal bin size).
    centre_bins:
        Length of the aligned centre region in bins.
    n_selected:
        Chunks evaluated (after the ``max_sequences`` cap).
    chunk_scores:
        ``(n_selected, T)`` score of each evaluated chunk, NaN where it does not enter the
        target's mean (no peak of the target in the chunk, or an undefined score): the
        sufficient statistics of the bootstrap over chunks.
    chosen:
        Indices of the evaluated chunks in the split.
    """

    per_target: np.ndarray
    n_chunks: np.ndarray
    chunk_scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    chosen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    offsets: list[int] = field(default_factory=list)
    bin_size: int = 1
    centre_bins: int = 0
    n_selected: int = 0

    @property
    def mean(self) -> float | None:
        """Mean over targets of the finite per-target scores (None when none is finite)."""
        finite = self.per_target[np.isfinite(self.per_target)]
        return float(finite.mean()) if finite.size else None


def robustness_evaluate(
    predict: Callable[[np.ndarray], np.ndarray],
    chunk_codes: np.ndarray,
    labels: np.ndarray,
    *,
    input_length: int,
    bin_size: int,
    n_shifts: int = 20,
    max_sequences: int | None = None,
    seed: int = 0,
    batch_windows: int = 256,
    progress: Callable[[int], None] | None = None,
    align: int | None = None,
) -> RobustnessResult:
    """Variation score per target over the test chunks with a peak (see the module docstring).

    Parameters
    ----------
    predict:
        ``codes (M, L) uint8 -> (M, T, L // bin_size)`` float predictions.
    chunk_codes:
        ``(N, C)`` uint8 base codes of the peak-centered test chunks (memory map is fine).
    labels:
        ``(N, T)`` peak labels of those chunks.
    input_length, bin_size:
        Predictor geometry.
    n_shifts:
        Windows per chunk (paper: 20; fewer when fewer bin-aligned offsets exist).
    max_sequences:
        Cap on the number of chunks (seeded choice), None for all.
    seed:
        Seed of that choice.
    batch_windows:
        About this many windows are predicted per call.
    align:
        Offsets are multiples of this (a multiple of ``bin_size``; default ``bin_size``). The
        harness passes the coarsest bin of the dataset so that every model, whatever its bin,
        is scored on the same windows.
    progress:
        Called with the number of chunks done after each batch.

    Returns
    -------
    RobustnessResult
    """
    labels = np.asarray(labels)
    chunk_length = int(chunk_codes.shape[1])
    step = int(align or bin_size)
    if step % bin_size:
        raise ConfigError(f"offset alignment {step} is not a multiple of the bin {bin_size}", source="align")
    offsets = shift_offsets(chunk_length, input_length, step, n_shifts)
    if offsets.size < 2:
        raise ConfigError(
            f"no room to shift a {input_length}-bp window by whole {bin_size}-bp bins inside "
            f"{chunk_length}-bp chunks",
            source="geometry",
            hint="robustness needs chunk_length - input_length >= bin_size",
        )
    _, n_centre = centre_region(offsets, input_length, bin_size)
    chosen = select_chunks(labels, max_sequences, seed)
    t = labels.shape[1]
    total = np.zeros(t)
    count = np.zeros(t, dtype=np.int64)
    chunk_scores = np.full((chosen.size, t), np.nan)
    per_batch = max(1, batch_windows // len(offsets))
    for s in range(0, chosen.size, per_batch):
        idx = chosen[s : s + per_batch]
        scores = variation_scores(
            predict,
            np.asarray(chunk_codes[idx]),
            input_length=input_length,
            bin_size=bin_size,
            offsets=offsets,
        )
        use = (labels[idx] > 0) & np.isfinite(scores)
        chunk_scores[s : s + per_batch] = np.where(use, scores, np.nan)
        total += np.where(use, scores, 0.0).sum(axis=0)
        count += use.sum(axis=0)
        if progress is not None:
            progress(len(idx))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_target = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    logger.info(
        "robustness: %d chunks, %d windows each (offsets %s), centre %d bins",
        chosen.size,
        offsets.size,
        offsets.tolist(),
        n_centre,
    )
    return RobustnessResult(
        per_target=per_target,
        n_chunks=count,
        chunk_scores=chunk_scores,
        chosen=chosen,
        offsets=[int(o) for o in offsets],
        bin_size=int(bin_size),
        centre_bins=int(n_centre),
        n_selected=int(chosen.size),
    )
