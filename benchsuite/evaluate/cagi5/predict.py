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
from benchsuite.evaluate.cagi5.variants import _BASES, EPSILON, Cagi5Set
from benchsuite.evaluate.cagi5.windows import (
    ElementContext,
    element_context,
    open_context_genome,
    scored_region,
    standard_window_starts,
)
from benchsuite.io.onehot import one_hot

__all__ = ["draw_shifts", "predict_variant_effects"]

logger = logging.getLogger(__name__)


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


def _run_jobs(predictor: Any, contexts: list[ElementContext], jobs: _Jobs, *, progress: bool) -> np.ndarray:
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
                codes[sel] = contexts[e].window_codes(start[j], offset[j], base[j], length)
            scores[idx] = _window_scores(predictor, one_hot(codes), region[idx], length)
            if bar_ctx is not None and task is not None:
                bar_ctx.advance(task, len(idx))
    finally:
        if bar_ctx is not None:
            bar_ctx.stop()
    return scores


def _contexts(
    variant_set: Cagi5Set, names: list[str], jobs: _Jobs, input_length: int, genome: Any
) -> tuple[list[ElementContext], np.ndarray]:
    """Each element's context (flanks as far as its windows reach) and every job's padded fraction."""
    element, start = jobs.arrays()[:2]
    padded = np.zeros(jobs.count, dtype=np.float64)
    contexts = []
    for e, name in enumerate(names):
        el = variant_set.elements[name]
        sel = np.flatnonzero(element == e)
        left = right = 0
        if sel.size:
            left = -int(start[sel].min())
            right = int(start[sel].max()) + input_length - len(el.codes)
        contexts.append(element_context(el, left, right, genome))
        padded[sel] = contexts[-1].padded_fraction(start[sel], input_length)
    return contexts, padded


def draw_shifts(seed: int, element: str, offset: int, n_shifts: int, input_length: int) -> np.ndarray:
    """The robust protocol's window shifts for the variants at one position.

    Integers uniform in ``[-input_length // 4, input_length // 4]`` from
    ``numpy.random.default_rng([seed, zlib.crc32(element), offset])``, so every allele at a
    position (and every run with the same seed) sees the same shifts. A window shifted by ``s``
    starts ``s`` bases after the variant's standard window (see
    :func:`~benchsuite.evaluate.cagi5.windows.standard_window_starts`).

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


def _check_predictor(predictor: Any) -> int:
    length = int(predictor.input_length)
    if length < 2:
        raise ModelContractError(f"input_length {length} is too short", source=type(predictor).__name__)
    if predictor.kind not in ("binary", "quantitative"):
        raise ModelContractError(
            f"unknown predictor kind {predictor.kind!r}",
            source=type(predictor).__name__,
            hint="kind must be 'binary' or 'quantitative'",
        )
    return length


def _select_rows(variant_set: Cagi5Set, seed: int, max_variants_per_element: int | None) -> pd.DataFrame:
    """The scored rows: mismatched rows dropped, then an optional seeded subset per element."""
    table = variant_set.table.loc[~variant_set.table["mismatched"]]
    if max_variants_per_element is not None:
        keep = []
        for name, idx in table.groupby("element", sort=False).indices.items():
            if len(idx) > max_variants_per_element:
                rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
                idx = np.sort(rng.choice(idx, size=max_variants_per_element, replace=False))
            keep.append(idx)
        table = table.iloc[np.sort(np.concatenate(keep))] if keep else table.iloc[:0]
    return table.reset_index(drop=True)


@dataclass
class _Layout:
    """The scored variants grouped by position, and the ids of their model windows."""

    pos_of_variant: np.ndarray  # (n_variants,) index of the variant's position
    std_start: np.ndarray  # (n_positions,) standard window start (element coordinates)
    moved: np.ndarray  # (n_positions,) the standard window was moved to hold the variant
    ref_std: np.ndarray  # (n_positions,) job ids
    alt_std: np.ndarray  # (n_variants,)
    ref_rob: np.ndarray | None = None  # (n_positions, n_shifts)
    alt_rob: np.ndarray | None = None  # (n_variants, n_shifts)


def _layout(
    variant_set: Cagi5Set,
    names: list[str],
    table: pd.DataFrame,
    jobs: _Jobs,
    length: int,
    n_shifts: int,
    seed: int,
) -> _Layout:
    """Queue the standard and robust windows of every variant; the ids land in a _Layout."""
    name_index = {n: i for i, n in enumerate(names)}
    el = table["element"].map(name_index).to_numpy(dtype=np.int64)
    off = table["window_offset"].to_numpy(dtype=np.int64)
    alt = np.array([_BASES.index(b) for b in table["alt"]], dtype=np.uint8)
    # one reference per (element, position)
    uniq, pos_of_variant = np.unique(el * (1 << 32) + off, return_inverse=True)
    pos_el, pos_off = uniq >> 32, uniq & ((1 << 32) - 1)
    pos_ref = np.array(
        [variant_set.elements[names[e]].codes[o] for e, o in zip(pos_el, pos_off, strict=True)],
        dtype=np.uint8,
    )
    widths = np.array([len(variant_set.elements[names[e]].codes) for e in pos_el], dtype=np.int64)
    std_start, moved = standard_window_starts(widths, pos_off, length)
    region = scored_region(length)[0]
    lay = _Layout(
        pos_of_variant=pos_of_variant,
        std_start=std_start,
        moved=moved,
        ref_std=jobs.add(pos_el, std_start, pos_off, pos_ref, region),
        alt_std=jobs.add(el, std_start[pos_of_variant], off, alt, region),
    )
    if n_shifts > 0:
        pairs = zip(pos_el, pos_off, strict=True)
        shifts = np.stack([draw_shifts(seed, names[e], int(o), n_shifts, length) for e, o in pairs])
        rs, vs = shifts.ravel(), shifts[pos_of_variant].ravel()

        def rep(a: np.ndarray) -> np.ndarray:
            return np.repeat(a, n_shifts)

        lay.ref_rob = jobs.add(
            rep(pos_el), rep(std_start) + rs, rep(pos_off), rep(pos_ref), region - rs
        ).reshape(len(uniq), n_shifts)
        lay.alt_rob = jobs.add(
            rep(el), rep(std_start[pos_of_variant]) + vs, rep(off), rep(alt), region - vs
        ).reshape(len(table), n_shifts)
    return lay


def predict_variant_effects(
    predictor: Any,
    variant_set: Cagi5Set,
    *,
    n_shifts: int = 20,
    seed: int = 0,
    max_variants_per_element: int | None = None,
    genome: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Predicted standard and robust effects of every scorable variant.

    Mismatched rows are skipped. With ``max_variants_per_element`` each element keeps a
    seeded random subset (same seed -> same rows). Reference windows are shared by every
    alternative allele at a position; the random shifts are drawn per (element, position)
    by :func:`draw_shifts`. Windows follow :mod:`benchsuite.evaluate.cagi5.windows`.

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
    genome:
        Optional genome FASTA (path or :class:`~benchsuite.io.fasta.Genome`) for the bases
        beyond the element windows; used for an element only when it holds that element at
        its header coordinates (:func:`~benchsuite.evaluate.cagi5.windows.genome_chrom`).
    progress:
        Show a rich progress bar.

    Returns
    -------
    pandas.DataFrame
        The scored table rows plus ``ref_score``, ``alt_score``, ``standard`` and ``robust``
        (predicted log2 effects), ``window_start`` (standard window start, element
        coordinates), ``moved`` (that window was moved off the element centre),
        ``padded_standard`` / ``padded_robust`` (fraction of N-padded bases of the variant's
        standard window / mean over its shifted windows) and ``genome_flanks``.
    """
    length = _check_predictor(predictor)
    table = _select_rows(variant_set, seed, max_variants_per_element)
    names = list(variant_set.elements)
    if table.empty:
        columns = ["ref_score", "alt_score", "standard", "robust", "window_start", "moved"]
        columns += ["padded_standard", "padded_robust", "genome_flanks"]
        return table.assign(**{c: np.zeros(0) for c in columns})
    jobs = _Jobs()
    lay = _layout(variant_set, names, table, jobs, length, n_shifts, seed)
    contexts, padded = _contexts(variant_set, names, jobs, length, open_context_genome(genome))
    logger.info(
        "CAGI5: %d variants at %d positions, %d model windows of %d bp",
        len(table),
        len(lay.std_start),
        jobs.count,
        length,
    )
    scores = _run_jobs(predictor, contexts, jobs, progress=progress)
    ref_score = scores[lay.ref_std][lay.pos_of_variant]
    alt_score = scores[lay.alt_std]
    out = table.copy()
    out["ref_score"] = ref_score
    out["alt_score"] = alt_score
    out["standard"] = _log2_ratio(alt_score, ref_score)
    out["robust"] = np.nan
    out["padded_standard"] = padded[lay.alt_std]
    out["padded_robust"] = np.nan
    if lay.ref_rob is not None and lay.alt_rob is not None:
        ref_mean = scores[lay.ref_rob].mean(axis=1)[lay.pos_of_variant]
        out["robust"] = _log2_ratio(scores[lay.alt_rob].mean(axis=1), ref_mean)
        out["padded_robust"] = padded[lay.alt_rob].mean(axis=1)
    out["window_start"] = lay.std_start[lay.pos_of_variant]
    out["moved"] = lay.moved[lay.pos_of_variant]
    flanks = {name: c.genome_flanks for name, c in zip(names, contexts, strict=True)}
    out["genome_flanks"] = out["element"].map(flanks).astype(bool)
    return out
