"""CAGI5 predictions: allele windows, random shifts and the log2 effect of each variant."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from benchsuite.errors import ModelContractError
from benchsuite.evaluate.cagi5.variants import _BASES, _N, EPSILON, Cagi5Set
from benchsuite.io.onehot import one_hot

__all__ = ["draw_shifts", "predict_variant_effects", "variant_window_codes"]

logger = logging.getLogger(__name__)


def variant_window_codes(
    element_codes: np.ndarray,
    window_starts: np.ndarray,
    variant_offsets: np.ndarray,
    bases: np.ndarray,
    input_length: int,
) -> np.ndarray:
    """Cut model windows out of one element window, with a base substituted in each.

    Parameters
    ----------
    element_codes:
        ``(W,)`` uint8 codes of the element window.
    window_starts:
        ``(n,)`` start of each model window in element coordinates (may be negative or run
        past ``W``: those positions become N, code 4, an all-zero one-hot column).
    variant_offsets:
        ``(n,)`` variant position in element coordinates.
    bases:
        ``(n,)`` code written at the variant position (the reference base for reference windows).
    input_length:
        Model input length ``L``.

    Returns
    -------
    numpy.ndarray
        ``(n, L)`` uint8 codes.
    """
    element_codes = np.asarray(element_codes, dtype=np.uint8)
    starts = np.asarray(window_starts, dtype=np.int64)
    length = int(input_length)
    padded = np.full(len(element_codes) + 2 * length, _N, dtype=np.uint8)
    padded[length : length + len(element_codes)] = element_codes
    index = (starts[:, None] + length) + np.arange(length)[None, :]
    # positions further out than the padding are N as well
    index = np.clip(index, 0, len(padded) - 1)
    codes = padded[index]
    rel = np.asarray(variant_offsets, dtype=np.int64) - starts
    inside = (rel >= 0) & (rel < length)
    rows = np.flatnonzero(inside)
    codes[rows, rel[inside]] = np.asarray(bases, dtype=np.uint8)[inside]
    return codes


@dataclass
class _Jobs:
    """Flat list of model windows; ``score`` is filled by :func:`_run_jobs`."""

    element: list[np.ndarray] = field(default_factory=list)
    start: list[np.ndarray] = field(default_factory=list)
    offset: list[np.ndarray] = field(default_factory=list)
    base: list[np.ndarray] = field(default_factory=list)
    region: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, element: np.ndarray, start, offset, base, region) -> np.ndarray:
        n = len(element)
        self.element.append(np.asarray(element, dtype=np.int64))
        self.start.append(np.broadcast_to(np.asarray(start, dtype=np.int64), (n,)))
        self.offset.append(np.broadcast_to(np.asarray(offset, dtype=np.int64), (n,)))
        self.base.append(np.broadcast_to(np.asarray(base, dtype=np.uint8), (n,)))
        self.region.append(np.broadcast_to(np.asarray(region, dtype=np.int64), (n,)))
        ids = np.arange(self.count, self.count + n)
        self.count += n
        return ids

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(
            np.concatenate(x) if x else np.zeros(0, dtype=np.int64)
            for x in (self.element, self.start, self.offset, self.base, self.region)
        )


def _batch_size(input_length: int) -> int:
    # ~64 MiB of float32 one-hot per predict call, between 1 and 256 windows
    return int(max(1, min(256, 2**26 // (16 * max(1, input_length)))))


def _window_scores(predictor: Any, x: np.ndarray, region_start: np.ndarray, input_length: int) -> np.ndarray:
    """Per-window score: target-averaged probability (binary) or region-mean coverage."""
    pred = np.asarray(predictor.predict(x))
    n = x.shape[0]
    if predictor.kind == "binary":
        if pred.ndim != 2 or pred.shape[0] != n:
            raise ModelContractError(
                f"binary predictor returned shape {pred.shape}, expected ({n}, T) logits",
                source=type(predictor).__name__,
                hint="binary models return one logit per target",
            )
        prob = 1.0 / (1.0 + np.exp(-pred.astype(np.float64)))
        return prob.mean(axis=1)
    bin_size = int(predictor.bin_size)
    if pred.ndim != 3 or pred.shape[0] != n or pred.shape[2] * bin_size != input_length:
        raise ModelContractError(
            f"quantitative predictor returned shape {pred.shape}, expected ({n}, T, "
            f"{input_length // max(bin_size, 1)}) for bin size {bin_size}",
            source=type(predictor).__name__,
            hint="quantitative models return (N, T, input_length // bin_size) coverage",
        )
    cov = pred.astype(np.float64).mean(axis=1)  # (n, bins), averaged over targets
    edges = np.arange(pred.shape[2] + 1, dtype=np.int64) * bin_size
    r0 = region_start[:, None]
    r1 = r0 + input_length // 2
    weight = np.clip(np.minimum(edges[None, 1:], r1) - np.maximum(edges[None, :-1], r0), 0, None)
    return (cov * weight).sum(axis=1) / weight.sum(axis=1)


def _run_jobs(predictor: Any, set_: Cagi5Set, names: list[str], jobs: _Jobs, *, progress: bool) -> np.ndarray:
    element, start, offset, base, region = jobs.arrays()
    length = int(predictor.input_length)
    scores = np.full(jobs.count, np.nan, dtype=np.float64)
    batch = _batch_size(length)
    order = np.argsort(element, kind="stable")  # one element per gather

    def batches() -> Iterator[np.ndarray]:
        for i in range(0, len(order), batch):
            yield order[i : i + batch]

    bar_ctx = None
    if progress:
        from rich.progress import Progress

        bar_ctx = Progress(transient=True)
    try:
        task = None
        if bar_ctx is not None:
            bar_ctx.start()
            task = bar_ctx.add_task("CAGI5 windows", total=jobs.count)
        for idx in batches():
            codes = np.empty((len(idx), length), dtype=np.uint8)
            el = element[idx]
            for e in np.unique(el):
                sel = np.flatnonzero(el == e)
                j = idx[sel]
                codes[sel] = variant_window_codes(
                    set_.elements[names[e]].codes, start[j], offset[j], base[j], length
                )
            scores[idx] = _window_scores(predictor, one_hot(codes), region[idx], length)
            if bar_ctx is not None and task is not None:
                bar_ctx.advance(task, len(idx))
    finally:
        if bar_ctx is not None:
            bar_ctx.stop()
    return scores


def draw_shifts(seed: int, element: str, offset: int, n_shifts: int, input_length: int) -> np.ndarray:
    """The robust protocol's window shifts for the variants at one position.

    Integers uniform in ``[-input_length // 4, input_length // 4]`` from
    ``numpy.random.default_rng([seed, zlib.crc32(element), offset])``, so every allele at a
    position (and every run with the same seed) sees the same shifts. A window shifted by ``s``
    starts at ``offset - input_length // 2 + s`` (element coordinates).

    Returns
    -------
    numpy.ndarray
        ``(n_shifts,)`` int64.
    """
    max_shift = input_length // 4
    rng = np.random.default_rng([seed, zlib.crc32(element.encode()), int(offset)])
    return rng.integers(-max_shift, max_shift + 1, size=n_shifts).astype(np.int64)


def _log2_ratio(alt: np.ndarray, ref: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log2((alt + EPSILON) / (ref + EPSILON))


def predict_variant_effects(
    predictor: Any,
    variant_set: Cagi5Set,
    *,
    n_shifts: int = 20,
    seed: int = 0,
    max_variants_per_element: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Predicted standard and robust effects of every scorable variant.

    Mismatched rows are skipped. With ``max_variants_per_element`` each element keeps a
    seeded random subset (same seed -> same rows). Reference windows are shared by every
    alternative allele at a position; the random shifts are drawn per (element, position)
    from ``numpy.random.default_rng([seed, crc32(element), position])``.

    Parameters
    ----------
    predictor:
        Object following the harness's Predictor protocol.
    variant_set:
        Output of :func:`load_cagi5`.
    n_shifts:
        Shifted windows per allele for the robust prediction (0 disables it: NaN).
    seed:
        Seed of the shifts and of the subsampling.
    max_variants_per_element:
        Optional cap on scored variants per element (CPU budgets).
    progress:
        Show a rich progress bar.

    Returns
    -------
    pandas.DataFrame
        The scored table rows plus ``ref_score``, ``alt_score``, ``standard`` and ``robust``
        (predicted log2 effects).
    """
    length = int(predictor.input_length)
    if length < 2:
        raise ModelContractError(f"input_length {length} is too short", source=type(predictor).__name__)
    if predictor.kind not in ("binary", "quantitative"):
        raise ModelContractError(
            f"unknown predictor kind {predictor.kind!r}",
            source=type(predictor).__name__,
            hint="kind must be 'binary' or 'quantitative'",
        )
    table = variant_set.table.loc[~variant_set.table["mismatched"]]
    if max_variants_per_element is not None:
        keep = []
        for name, idx in table.groupby("element", sort=False).indices.items():
            if len(idx) > max_variants_per_element:
                rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
                idx = np.sort(rng.choice(idx, size=max_variants_per_element, replace=False))
            keep.append(idx)
        table = table.iloc[np.sort(np.concatenate(keep))] if keep else table.iloc[:0]
    table = table.reset_index(drop=True)
    names = list(variant_set.elements)
    name_index = {n: i for i, n in enumerate(names)}
    if table.empty:
        return table.assign(ref_score=[], alt_score=[], standard=[], robust=[])

    el = table["element"].map(name_index).to_numpy(dtype=np.int64)
    off = table["window_offset"].to_numpy(dtype=np.int64)
    alt = np.array([_BASES.index(b) for b in table["alt"]], dtype=np.uint8)
    # one reference per (element, position)
    keys = el * (1 << 32) + off
    uniq, pos_of_variant = np.unique(keys, return_inverse=True)
    pos_el, pos_off = uniq >> 32, uniq & ((1 << 32) - 1)
    pos_ref = np.array(
        [variant_set.elements[names[e]].codes[o] for e, o in zip(pos_el, pos_off, strict=True)],
        dtype=np.uint8,
    )
    half, quarter = length // 2, length // 4

    jobs = _Jobs()
    ref_std = jobs.add(pos_el, pos_off - half, pos_off, pos_ref, quarter)
    alt_std = jobs.add(el, off - half, off, alt, quarter)
    ref_rob = alt_rob = None
    if n_shifts > 0:
        shifts = np.empty((len(uniq), n_shifts), dtype=np.int64)
        for p, (e, o) in enumerate(zip(pos_el, pos_off, strict=True)):
            shifts[p] = draw_shifts(seed, names[e], int(o), n_shifts, length)
        rs = shifts.ravel()
        ref_rob = jobs.add(
            np.repeat(pos_el, n_shifts),
            np.repeat(pos_off, n_shifts) - half + rs,
            np.repeat(pos_off, n_shifts),
            np.repeat(pos_ref, n_shifts),
            quarter - rs,
        ).reshape(len(uniq), n_shifts)
        vs = shifts[pos_of_variant].ravel()
        alt_rob = jobs.add(
            np.repeat(el, n_shifts),
            np.repeat(off, n_shifts) - half + vs,
            np.repeat(off, n_shifts),
            np.repeat(alt, n_shifts),
            quarter - vs,
        ).reshape(len(table), n_shifts)

    logger.info(
        "CAGI5: %d variants at %d positions, %d model windows of %d bp",
        len(table),
        len(uniq),
        jobs.count,
        length,
    )
    scores = _run_jobs(predictor, variant_set, names, jobs, progress=progress)
    ref_score = scores[ref_std][pos_of_variant]
    alt_score = scores[alt_std]
    out = table.copy()
    out["ref_score"] = ref_score
    out["alt_score"] = alt_score
    out["standard"] = _log2_ratio(alt_score, ref_score)
    if ref_rob is not None and alt_rob is not None:
        ref_mean = scores[ref_rob].mean(axis=1)[pos_of_variant]
        alt_mean = scores[alt_rob].mean(axis=1)
        out["robust"] = _log2_ratio(alt_mean, ref_mean)
    else:
        out["robust"] = np.nan
    return out
