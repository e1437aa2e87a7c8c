"""Build the on-disk dataset cache of a bundle (paper Methods, "Training data").

:func:`prepare_dataset` reads the genome and every track chromosome by chromosome in
chunk-aligned blocks of a bounded size (a few Mb, fewer bases with many targets) and streams
the selected windows to raw array files, so its peak memory does not grow with the genome
or chromosome size. It builds three dataset kinds:

``quantitative`` (coverage-threshold)
    Every chromosome is cut into non-overlapping ``chunk_length`` chunks (the tail shorter
    than a chunk is left out); a chunk is kept when the max coverage of any target exceeds the
    coverage threshold.
``binary`` (peak-centred)
    The peaks of all label targets (targets with a peak file) are merged Basset-style: peak
    summits (narrowPeak column 10, else the midpoint) are sorted and grouped greedily, each
    group holding the summits within ``input_length / 2`` bp of its first one; a
    ``chunk_length`` window is centred on each group (shifted right where it would overlap the
    previous one, see :func:`merge_peak_windows`), so chunks never overlap and each holds a
    summit in its central ``input_length`` window. The label of target k is 1 when a peak of k
    overlaps that central window. Built when at least one target has a peak file; the labels cover exactly the
    targets with peaks (a target may be label-only, without a coverage track). With the
    manifest's ``binary_negatives``, peak-free chunks of the coverage-threshold grid are added
    as negatives (all labels 0; see :class:`~benchsuite.data.manifest.BinaryNegatives`).
``wholechrom``
    Contiguous ``input_length`` tiles covering the test chromosomes (whole-chromosome metrics).

Windows touching an excluded region (manifest ``excluded`` BED), an N base (code 4) or a
position without coverage (NaN in any coverage target, replicate 2 included for test splits)
are dropped and counted: NaN is missing data, never zero coverage. This holds for every kind,
so peak-centred chunks outside the tracks' data are dropped too (their coverage is used by
the evaluation's task conversion).

The cache is keyed by the dataset fingerprint (:mod:`benchsuite.data.fingerprint`) and built in
a temporary folder renamed into place at the end (:func:`benchsuite.io.atomic.atomic_directory`),
so an interrupted run leaves no cache behind; an existing cache with the same fingerprint is
reused.
"""

from __future__ import annotations

import logging
import math
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchsuite.data.cache import SPLITS, DatasetCache, SplitWriter, open_dataset_cache
from benchsuite.data.fingerprint import CACHE_FORMAT_VERSION, HashMemo, dataset_fingerprint
from benchsuite.data.manifest_load import load_manifest
from benchsuite.data.manifest_model import BinaryNegatives, Geometry, Manifest
from benchsuite.errors import ConfigError, DatasetError, InputFileError, ManifestError

__all__ = ["default_cache_dir", "prepare_dataset", "resolve_split", "merge_peak_windows"]

log = logging.getLogger(__name__)

#: coverage bytes (float32, all targets and replicates) read per block
_BLOCK_BYTES = 48 * 1024 * 1024
#: upper bound of a block in bases
_MAX_BLOCK_BP = 4_000_000
#: coverage bytes copied per write while streaming the selected windows of a block
_WRITE_BYTES = 8 * 1024 * 1024


def default_cache_dir() -> Path:
    """The dataset cache folder: ``$BENCHSUITE_CACHE`` if set, else ``~/.cache/benchsuite/datasets``."""
    env = os.environ.get("BENCHSUITE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "benchsuite" / "datasets"


# --------------------------------------------------------------------------------------------
# split and interval helpers


def resolve_split(manifest: Manifest, genome_sizes: dict[str, int]) -> dict[str, list[str]]:
    """Genome chromosome names of each split, in genome order.

    Parameters
    ----------
    manifest:
        The manifest (its ``split`` and ``map_chrom_names``).
    genome_sizes:
        Genome chromosome -> length, in file order.

    Returns
    -------
    dict[str, list[str]]
        ``{"train": [...], "valid": [...], "test": [...]}``.

    Raises
    ------
    ChromosomeNameError
        If split names are spelled differently from the genome (``chr8`` vs ``8``) and
        ``map_chrom_names`` is false.
    ManifestError
        If a test, validation or explicit training chromosome is not in the genome.
    """
    from benchsuite.io.chroms import reconcile_chrom_names

    split = manifest.split
    requested = [*split.test, *split.valid, *(split.train or ())]
    mapping = reconcile_chrom_names(
        requested,
        genome_sizes,
        reference_source=f"{manifest.path} (split)",
        other_source=manifest.genome,
        map_names=manifest.map_chrom_names,
        allow_missing=True,
    )
    # excluded chromosomes absent from the genome are fine, under any spelling (default: chrY)
    exclude = reconcile_chrom_names(
        split.exclude,
        genome_sizes,
        reference_source=f"{manifest.path} (split.exclude)",
        other_source=manifest.genome,
        map_names=True,
        allow_missing=True,
    )
    resolved: dict[str, list[str]] = {}
    groups = {"test": split.test, "valid": split.valid, "train": split.train}
    for group, names in groups.items():
        if names is None:
            continue
        missing = [n for n in names if n not in mapping]
        if missing:
            shown = ", ".join(list(genome_sizes)[:6])
            raise ManifestError(
                f"field 'split.{group}': chromosome(s) {', '.join(missing[:5])} not in the genome "
                f"{manifest.genome.name}",
                source=manifest.path,
                hint=f"use chromosomes of the genome ({shown}{', ...' if len(genome_sizes) > 6 else ''})",
            )
        resolved[group] = [mapping[n] for n in names]
    if split.train is None:
        taken = {*resolved["test"], *resolved["valid"], *exclude.values()}
        resolved["train"] = [c for c in genome_sizes if c not in taken]
    order = {c: i for i, c in enumerate(genome_sizes)}
    return {g: sorted(resolved[g], key=order.__getitem__) for g in SPLITS}


@dataclass
class _Intervals:
    """Sorted intervals of one chromosome with summits."""

    start: np.ndarray
    end: np.ndarray
    summit: np.ndarray

    @classmethod
    def empty(cls) -> _Intervals:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), z.copy())


def _read_intervals(
    path: Path, genome_sizes: dict[str, int], *, map_names: bool, genome_path: Path
) -> dict[str, _Intervals]:
    """Read a BED/narrowPeak file into per-chromosome interval arrays (genome names)."""
    from benchsuite.io.bed import read_bed
    from benchsuite.io.chroms import reconcile_chrom_names

    intervals = read_bed(path)
    chrom = np.asarray(intervals.chrom).astype(str)
    start = np.asarray(intervals.start, dtype=np.int64)
    end = np.asarray(intervals.end, dtype=np.int64)
    peak = getattr(intervals, "peak", None)
    offset = (
        np.asarray(peak, dtype=np.int64) if peak is not None else np.full(start.shape, -1, dtype=np.int64)
    )
    summit = np.where(offset >= 0, start + offset, (start + end) // 2)
    summit = np.clip(summit, start, end - 1)
    names = list(dict.fromkeys(chrom.tolist()))
    mapping = reconcile_chrom_names(
        genome_sizes,
        names,
        reference_source=genome_path,
        other_source=path,
        map_names=map_names,
        allow_missing=True,
    )
    out: dict[str, _Intervals] = {}
    for genome_chrom, file_chrom in mapping.items():
        sel = chrom == file_chrom
        s, e, m = start[sel], end[sel], summit[sel]
        size = genome_sizes[genome_chrom]
        past = e > size
        if past.any():
            i = int(np.flatnonzero(past)[0])
            raise InputFileError(
                f"interval {file_chrom}:{s[i]}-{e[i]} ends past the chromosome end "
                f"({size:,} in {genome_path.name})",
                source=path,
                hint="use intervals of the same genome assembly as the FASTA",
            )
        order = np.lexsort((e, s))
        out[genome_chrom] = _Intervals(s[order], e[order], m[order])
    return out


def _merge(iv: _Intervals) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping/adjacent sorted intervals; returns (starts, ends), both sorted."""
    if iv.start.size == 0:
        return iv.start, iv.end
    running_end = np.maximum.accumulate(iv.end)
    new = np.ones(iv.start.size, dtype=bool)
    new[1:] = iv.start[1:] > running_end[:-1]
    idx = np.flatnonzero(new)
    starts = iv.start[idx]
    ends = running_end[np.r_[idx[1:] - 1, iv.start.size - 1]]
    return starts, ends


def _overlaps(starts: np.ndarray, ends_prefix_max: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """For sorted interval starts and the running max of their ends: does [q0, q1) overlap any?"""
    if starts.size == 0:
        return np.zeros(q0.shape, dtype=bool)
    k = np.searchsorted(starts, q1, side="left")  # intervals [0, k) start before q1
    hit = np.zeros(q0.shape, dtype=bool)
    ok = k > 0
    hit[ok] = ends_prefix_max[k[ok] - 1] > q0[ok]
    return hit


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
    bad = _overlaps(positive_starts, positive_starts + chunk_length, grid, ends)
    running_end = np.maximum.accumulate(peak_ends) if peak_ends.size else peak_ends
    bad |= _overlaps(peak_starts, running_end, grid, ends)
    free = grid[~bad]
    if fraction >= 1.0:
        return free, int(free.size)
    return free[position_uniform(chrom, free) < fraction], int(free.size)


# --------------------------------------------------------------------------------------------
# block reading


@dataclass
class _Block:
    """One block of a chromosome: bases [r0, r1) read; windows starting in [b0, b1) belong to it."""

    r0: int
    seq: np.ndarray  # (R,) uint8
    cov: np.ndarray  # (T, R) float32
    rep2: np.ndarray | None  # (T, R) float32
    cum_n: np.ndarray  # (R + 1,) prefix counts of N bases
    cum_nan: np.ndarray  # (R + 1,) prefix counts of positions with NaN in any target
    max_over_targets: np.ndarray  # (R,) float32 max coverage over targets (NaN where missing)


def _windows(arr: np.ndarray, rel: np.ndarray, width: int) -> np.ndarray:
    """Copy the windows ``arr[..., r:r + width]`` for ``r`` in ``rel``: shape ``(n, ..., width)``."""
    view = sliding_window_view(arr, width, axis=-1)  # (..., R - width + 1, width), no copy
    if arr.ndim > 1:
        view = np.moveaxis(view, -2, 0)
    return view[rel]


def _window_max(values: np.ndarray, rel: np.ndarray, width: int) -> np.ndarray:
    """Max of ``values[r:r + width]`` for sorted, non-overlapping window starts ``rel``."""
    padded = np.append(values, np.float32(-np.inf))  # reduceat needs every index < len
    bounds = np.stack([rel, rel + width], axis=1).ravel()
    return np.maximum.reduceat(padded, bounds)[0::2]


@dataclass
class _WindowSet:
    """Bookkeeping for one dataset kind and split."""

    kind: str
    split: str
    width: int
    writer: SplitWriter
    threshold: float | None = None
    labels: bool = False
    dropped: dict[str, int] = field(default_factory=dict)
    negatives: dict[str, int] | None = None
    candidates: int = 0
    max_clean: float = -math.inf
    summits: dict[str, int] | None = None


@dataclass
class _ChromContext:
    name: str
    track_names: list[str]
    rep2_names: list[str] | None
    excluded: tuple[np.ndarray, np.ndarray]  # merged sorted (starts, ends); ends increase too
    peaks: list[tuple[np.ndarray, np.ndarray]] | None  # per label target (sorted starts, running max end)
    all_peaks: tuple[np.ndarray, np.ndarray] | None = None  # merged peaks of every label target


class _Builder:
    """Streams one bundle into a cache folder."""

    def __init__(
        self,
        manifest: Manifest,
        genome: Any,
        tracks: list[Any],
        rep2: list[Any] | None,
        geometry: Geometry,
        split_chroms: dict[str, list[str]],
        track_maps: list[dict[str, str]],
        rep2_maps: list[dict[str, str]] | None,
        excluded: dict[str, _Intervals],
        peaks: list[dict[str, _Intervals]] | None,
        out: Path,
        block_size: int,
        negatives: BinaryNegatives | None = None,
    ):
        self.manifest = manifest
        self.genome = genome
        self.tracks = tracks
        self.rep2 = rep2
        self.geometry = geometry
        self.split_chroms = split_chroms
        self.track_maps = track_maps
        self.rep2_maps = rep2_maps
        self.excluded = excluded
        self.peaks = peaks
        self.out = out
        self.block_size = block_size
        self.negatives = negatives if peaks is not None else None
        self.label_names = manifest.label_target_names
        self.chroms = [c for c in genome.chrom_sizes if any(c in v for v in split_chroms.values())]
        self.chrom_index = {c: i for i, c in enumerate(self.chroms)}
        t = len(tracks)
        k = len(peaks) if peaks is not None else 0
        g = geometry
        self.sets: dict[tuple[str, str], _WindowSet] = {}
        for split in SPLITS:
            test = split == "test"
            dtype = "float32" if test else "float16"
            has_rep2 = test and rep2 is not None
            self.sets["quantitative", split] = _WindowSet(
                "quantitative",
                split,
                g.chunk_length,
                SplitWriter(
                    out / "quantitative" / split,
                    t,
                    g.chunk_length,
                    dtype,
                    rep2=has_rep2,
                    labels=test and peaks is not None,
                    num_labels=k,
                ),
                threshold=g.coverage_threshold,
                labels=test and peaks is not None,
            )
            if peaks is not None:
                self.sets["binary", split] = _WindowSet(
                    "binary",
                    split,
                    g.chunk_length,
                    SplitWriter(
                        out / "binary" / split,
                        t,
                        g.chunk_length,
                        dtype,
                        rep2=has_rep2,
                        labels=True,
                        num_labels=k,
                    ),
                    labels=True,
                )
        self.sets["wholechrom", "test"] = _WindowSet(
            "wholechrom",
            "test",
            g.input_length,
            SplitWriter(
                out / "wholechrom" / "test", t, g.input_length, "float32", rep2=rep2 is not None, labels=False
            ),
        )
        for ws in self.sets.values():
            ws.dropped = {"excluded": 0, "n_bases": 0, "nan": 0}
            if ws.kind == "quantitative":
                ws.dropped["below_threshold"] = 0
            if ws.kind == "binary":
                ws.summits = {"total": 0, "outside_overlap": 0, "outside_edge": 0}
                if self.negatives is not None:
                    ws.negatives = {"peak_free": 0, "candidates": 0, "below_threshold": 0}

    # ---------------------------------------------------------------- per chromosome

    def _context(self, chrom: str) -> _ChromContext:
        ex = self.excluded.get(chrom, _Intervals.empty())
        ex_s, ex_e = _merge(ex)
        peaks = None
        all_peaks = None
        if self.peaks is not None:
            peaks = []
            for per_target in self.peaks:
                iv = per_target.get(chrom, _Intervals.empty())
                running = np.maximum.accumulate(iv.end) if iv.end.size else iv.end
                peaks.append((iv.start, running))
            if self.negatives is not None:
                parts = [p[chrom] for p in self.peaks if chrom in p]
                if parts:
                    s = np.concatenate([iv.start for iv in parts])
                    e = np.concatenate([iv.end for iv in parts])
                    order = np.lexsort((e, s))
                    all_peaks = _merge(_Intervals(s[order], e[order], s[order]))
                else:
                    all_peaks = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        return _ChromContext(
            name=chrom,
            track_names=[m[chrom] for m in self.track_maps],
            rep2_names=[m[chrom] for m in self.rep2_maps] if self.rep2_maps is not None else None,
            excluded=(ex_s, ex_e),
            peaks=peaks,
            all_peaks=all_peaks,
        )

    def _blocks(self, ctx: _ChromContext, split: str) -> Iterator[tuple[int, int, _Block]]:
        """Blocks of a chromosome; windows starting in [b0, b1) fit in the bases read (b1 + chunk)."""
        size = self.genome.chrom_sizes[ctx.name]
        with_rep2 = split == "test" and self.rep2 is not None
        for b0 in range(0, size, self.block_size):
            b1 = min(b0 + self.block_size, size)
            # no local reference to the block survives the yield: one block in memory at a time
            yield b0, b1, self._read_block(ctx, b0, min(b1 + self.geometry.chunk_length, size), with_rep2)

    def _read_block(self, ctx: _ChromContext, r0: int, r1: int, with_rep2: bool) -> _Block:
        seq = self.genome.fetch_codes(ctx.name, r0, r1)
        cov = np.empty((len(self.tracks), r1 - r0), dtype=np.float32)
        for i, (bw, tname) in enumerate(zip(self.tracks, ctx.track_names, strict=True)):
            cov[i] = bw.values(tname, r0, r1)
        missing = np.isnan(cov).any(axis=0)
        rep2 = None
        if with_rep2:
            assert self.rep2 is not None and ctx.rep2_names is not None
            rep2 = np.empty_like(cov)
            for i, (bw, tname) in enumerate(zip(self.rep2, ctx.rep2_names, strict=True)):
                rep2[i] = bw.values(tname, r0, r1)
            missing |= np.isnan(rep2).any(axis=0)
        cum_n = np.zeros(seq.size + 1, dtype=np.int32)
        np.cumsum(seq == 4, out=cum_n[1:])
        cum_nan = np.zeros(seq.size + 1, dtype=np.int32)
        np.cumsum(missing, out=cum_nan[1:])
        return _Block(r0, seq, cov, rep2, cum_n, cum_nan, cov.max(axis=0))

    def _labels(self, ctx: _ChromContext, starts: np.ndarray, width: int) -> np.ndarray:
        """(n, T) uint8: a peak of target t overlaps the central input_length window."""
        assert ctx.peaks is not None
        q0 = starts + (width - self.geometry.input_length) // 2
        q1 = q0 + self.geometry.input_length
        labels = np.zeros((starts.size, len(ctx.peaks)), dtype=np.uint8)
        for t, (p_start, p_maxend) in enumerate(ctx.peaks):
            labels[:, t] = _overlaps(p_start, p_maxend, q0, q1)
        return labels

    def _emit(
        self,
        ws: _WindowSet,
        ctx: _ChromContext,
        block: _Block,
        starts: np.ndarray,
        threshold_rows: np.ndarray | None = None,
    ) -> None:
        """Filter the sorted windows ``starts`` (absolute, in the block's read range); write the kept ones.

        ``threshold_rows`` (binary negatives) marks windows that must also pass the coverage
        threshold in a set without one.
        """
        if starts.size == 0:
            return
        width = ws.width
        ws.candidates += int(starts.size)
        rel = starts - block.r0
        ex_s, ex_e = ctx.excluded
        excluded = _overlaps(ex_s, ex_e, starts, starts + width)
        has_n = (block.cum_n[rel + width] - block.cum_n[rel]) > 0
        has_nan = (block.cum_nan[rel + width] - block.cum_nan[rel]) > 0
        drop_ex = excluded
        drop_n = has_n & ~drop_ex
        drop_nan = has_nan & ~drop_ex & ~drop_n
        ws.dropped["excluded"] += int(drop_ex.sum())
        ws.dropped["n_bases"] += int(drop_n.sum())
        ws.dropped["nan"] += int(drop_nan.sum())
        keep = ~(excluded | has_n | has_nan)
        if not keep.any():
            return
        starts, rel = starts[keep], rel[keep]
        if threshold_rows is not None and ws.threshold is None:
            need = threshold_rows[keep]
            if need.any():
                passed = np.ones(starts.size, dtype=bool)
                chunk_max = _window_max(block.max_over_targets, rel[need], width)
                passed[need] = chunk_max > self.geometry.coverage_threshold
                if ws.negatives is not None:
                    ws.negatives["below_threshold"] += int((~passed).sum())
                if not passed.any():
                    return
                starts, rel = starts[passed], rel[passed]
        if ws.threshold is not None:
            # threshold before copying any window: max over targets, then over each window
            chunk_max = _window_max(block.max_over_targets, rel, width)
            ws.max_clean = max(ws.max_clean, float(chunk_max.max()))
            passed = chunk_max > ws.threshold
            ws.dropped["below_threshold"] += int((~passed).sum())
            if not passed.any():
                return
            starts, rel = starts[passed], rel[passed]
        labels = self._labels(ctx, starts, width) if ws.labels else None
        coords = np.stack([np.full(starts.size, self.chrom_index[ctx.name], dtype=np.int64), starts], axis=1)
        # copy and write the windows a few MiB at a time (the block itself is the only large array)
        per_window = width * block.cov.shape[0] * 4 * (2 if ws.writer.rep2 else 1)
        step = max(1, _WRITE_BYTES // per_window)
        for i in range(0, starts.size, step):
            part = rel[i : i + step]
            ws.writer.append(
                _windows(block.seq, part, width),  # (n, W)
                _windows(block.cov, part, width),  # (n, T, W)
                coords[i : i + step],
                cov_rep2=_windows(block.rep2, part, width) if ws.writer.rep2 else None,
                labels=labels[i : i + step] if labels is not None else None,
            )

    def run(self, progress: Any = None, task: Any = None) -> None:
        g = self.geometry
        for split in SPLITS:
            for chrom in self.split_chroms[split]:
                ctx = self._context(chrom)
                size = self.genome.chrom_sizes[chrom]
                binary_starts = None
                negatives = None
                if ("binary", split) in self.sets:
                    assert self.peaks is not None
                    summits = [p[chrom].summit for p in self.peaks if chrom in p]
                    all_summits = np.concatenate(summits) if summits else np.zeros(0, dtype=np.int64)
                    binary_starts, dropped = merge_peak_windows(
                        all_summits, size, g.chunk_length, g.input_length
                    )
                    binary_set = self.sets["binary", split]
                    tally = binary_set.summits
                    assert tally is not None
                    tally["total"] += int(all_summits.size)
                    tally["outside_overlap"] += dropped["overlap"]
                    tally["outside_edge"] += dropped["edge"]
                    if self.negatives is not None:
                        assert ctx.all_peaks is not None and binary_set.negatives is not None
                        negatives, peak_free = negative_starts(
                            chrom,
                            size,
                            g.chunk_length,
                            binary_starts,
                            *ctx.all_peaks,
                            self.negatives.fraction,
                        )
                        binary_set.negatives["peak_free"] += peak_free
                        binary_set.negatives["candidates"] += int(negatives.size)
                for b0, b1, block in self._blocks(ctx, split):
                    # coverage-threshold chunks: multiples of chunk_length that fit the chromosome
                    first = -(-b0 // g.chunk_length) * g.chunk_length
                    q = np.arange(first, b1, g.chunk_length, dtype=np.int64)
                    self._emit(self.sets["quantitative", split], ctx, block, q[q + g.chunk_length <= size])
                    if split == "test":
                        first = -(-b0 // g.input_length) * g.input_length
                        w = np.arange(first, b1, g.input_length, dtype=np.int64)
                        self._emit(self.sets["wholechrom", "test"], ctx, block, w[w + g.input_length <= size])
                    if binary_starts is not None:
                        lo, hi = np.searchsorted(binary_starts, [b0, b1], side="left")
                        starts = binary_starts[lo:hi]
                        rows = None
                        if negatives is not None:
                            nlo, nhi = np.searchsorted(negatives, [b0, b1], side="left")
                            starts = np.concatenate([starts, negatives[nlo:nhi]])
                            order = np.argsort(starts, kind="stable")
                            starts = starts[order]
                            assert self.negatives is not None
                            needs = self.negatives.source == "coverage-threshold"
                            rows = np.r_[np.zeros(hi - lo, dtype=bool), np.full(nhi - nlo, needs)][order]
                        self._emit(self.sets["binary", split], ctx, block, starts, rows)
                    if progress is not None:
                        progress.advance(task, b1 - b0)
                    del block  # free this block before the next one is read

    def close(self) -> dict[str, Any]:
        """Close every writer; returns the ``kinds`` entry of meta.json."""
        kinds: dict[str, Any] = {}
        names = self.label_names
        for (kind, split), ws in self.sets.items():
            info = ws.writer.close()
            info["candidates"] = ws.candidates
            info["dropped"] = dict(ws.dropped)
            if ws.labels:
                info["positives"] = {n: int(p) for n, p in zip(names, ws.writer.positives, strict=True)}
                info["no_positive_label"] = int(ws.writer.negatives)
            if ws.negatives is not None:
                # peak-free negatives added to the peak-centred chunks (manifest binary_negatives)
                info["negatives"] = {**ws.negatives, "kept": int(ws.writer.negatives)}
            if ws.summits is not None:
                # peak summits (all targets) left outside every central window by the merge
                info["peak_summits"] = dict(ws.summits)
            if ws.writer.clipped:
                info["clipped_to_float16_max"] = ws.writer.clipped
            if ws.threshold is not None:
                info["max_coverage"] = None if ws.max_clean == -math.inf else ws.max_clean
            kinds.setdefault(kind, {})[split] = info
        return kinds


# --------------------------------------------------------------------------------------------
# the public entry point


def _block_size(geometry: Geometry, num_tracks: int, block_size: int | None) -> int:
    chunk = geometry.chunk_length
    if block_size is not None:
        if block_size < 1:
            raise ConfigError(f"block_size must be positive, got {block_size}", source="block_size")
        return max(chunk, -(-block_size // chunk) * chunk)
    bases = min(_MAX_BLOCK_BP, _BLOCK_BYTES // (4 * max(1, num_tracks)))
    return max(chunk, bases // chunk * chunk)


def _effective_threshold(manifest: Manifest, coverage_threshold: float | None) -> float:
    if coverage_threshold is None:
        return manifest.geometry.coverage_threshold
    if isinstance(coverage_threshold, bool) or not isinstance(coverage_threshold, (int, float)):
        raise ConfigError(
            f"coverage threshold must be a number, got {coverage_threshold!r}",
            source="--threshold",
            hint="e.g. --threshold 2",
        )
    if not math.isfinite(coverage_threshold):
        raise ConfigError(
            f"coverage threshold must be finite, got {coverage_threshold}", source="--threshold"
        )
    return float(coverage_threshold)


def _open_inputs(manifest: Manifest, used: dict[str, int]) -> tuple[Any, ...]:
    """Open every track and check its chromosomes against the genome chromosomes in use."""
    from benchsuite.io.bigwig import check_track_chroms, open_bigwig

    tracks, maps = [], []
    coverage_targets = manifest.coverage_targets
    for target in coverage_targets:
        assert target.track is not None
        bw = open_bigwig(target.track)
        maps.append(
            check_track_chroms(bw, used, map_names=manifest.map_chrom_names, genome_source=manifest.genome)
        )
        tracks.append(bw)
    rep2 = rep2_maps = None
    with_rep2 = [t.replicate2 is not None for t in coverage_targets]
    if all(with_rep2):
        rep2, rep2_maps = [], []
        for target in coverage_targets:
            assert target.replicate2 is not None
            bw = open_bigwig(target.replicate2)
            rep2_maps.append(
                check_track_chroms(
                    bw, used, map_names=manifest.map_chrom_names, genome_source=manifest.genome
                )
            )
            rep2.append(bw)
    elif any(with_rep2):
        log.warning(
            "%s: only some targets have replicate2 tracks; replicate-2 ceilings are skipped", manifest.path
        )
    return tracks, maps, rep2, rep2_maps


def _parameters(manifest: Manifest, geometry: Geometry, split_chroms: dict[str, list[str]]) -> dict[str, Any]:
    """Parameters of the fingerprint.

    Keys beyond the original four are added only when they differ from the default (label
    targets = coverage targets = every target, no negatives, default motif exclusion), so a
    bundle whose targets all have tracks and peaks keeps the fingerprint it always had.
    """
    names = list(manifest.target_names)
    params: dict[str, Any] = {
        "geometry": geometry.to_dict(),
        "targets": names,
        "split": split_chroms,
        "map_chrom_names": manifest.map_chrom_names,
    }
    if list(manifest.coverage_target_names) != names:
        params["coverage_targets"] = list(manifest.coverage_target_names)
    if list(manifest.label_target_names) != names:
        params["label_targets"] = list(manifest.label_target_names)
    if manifest.binary_negatives is not None:
        params["binary_negatives"] = manifest.binary_negatives.to_dict()
    if manifest.motif_exclude is not None:
        params["motif_exclude"] = list(manifest.motif_exclude)
    return params


def _empty_selection_error(
    manifest: Manifest, split: str, info: dict[str, Any], threshold: float
) -> DatasetError:
    dropped = info["dropped"]
    detail = (
        f"{info['candidates']} candidate chunks: {dropped['excluded']} touch excluded regions, "
        f"{dropped['n_bases']} hold N bases, {dropped['nan']} have missing (NaN) coverage, "
        f"{dropped['below_threshold']} have max coverage <= {threshold:g}"
    )
    best = info.get("max_coverage")
    hint = "lower the coverage threshold with --threshold (or geometry.coverage_threshold in the manifest)"
    if best is not None:
        hint += f"; the highest chunk max coverage in this split is {best:.4g}"
    elif dropped["nan"] and dropped["nan"] == info["candidates"] - dropped["excluded"] - dropped["n_bases"]:
        hint = "every chunk has missing coverage: check that the tracks hold data on these chromosomes"
    return DatasetError(
        f"no {split} chunks pass the coverage threshold {threshold:g} ({detail})",
        source=manifest.path,
        hint=hint,
    )


def prepare_dataset(
    manifest: Manifest | str | Path,
    *,
    cache_dir: str | Path | None = None,
    coverage_threshold: float | None = None,
    force: bool = False,
    progress: bool = True,
    block_size: int | None = None,
) -> DatasetCache:
    """Build (or reuse) the dataset cache of a bundle.

    Parameters
    ----------
    manifest:
        A loaded :class:`~benchsuite.data.manifest.Manifest`, a manifest file or a bundle folder.
    cache_dir:
        Folder holding caches (default: :func:`default_cache_dir`).
    coverage_threshold:
        Overrides ``geometry.coverage_threshold`` (part of the fingerprint).
    force:
        Rebuild even when a cache with the same fingerprint exists.
    progress:
        Show a rich progress bar.
    block_size:
        Bases read per block (rounded up to a multiple of ``chunk_length``); default: a few Mb,
        fewer with many targets. Does not change the result, only memory and speed.

    Returns
    -------
    DatasetCache
        The cache; ``cache.reused`` tells whether it existed already.

    Raises
    ------
    ManifestError
        Bad manifest or split.
    InputFileError
        Unreadable inputs, a track lacking a genome chromosome used by the split (or with a
        different length), intervals past chromosome ends, chromosome-name mismatches
        (:class:`~benchsuite.errors.ChromosomeNameError`) unless ``map_chrom_names``.
    DatasetError
        When a coverage-threshold split is empty after thresholding.
    """
    from benchsuite.io.atomic import atomic_directory, atomic_write
    from benchsuite.io.fasta import open_genome

    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    threshold = _effective_threshold(manifest, coverage_threshold)
    geometry = replace(manifest.geometry, coverage_threshold=threshold)
    cache_root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()

    genome = open_genome(manifest.genome)
    try:
        split_chroms = resolve_split(manifest, genome.chrom_sizes)
        empty = [s for s in SPLITS if not split_chroms[s]]
        if empty:
            raise ManifestError(
                f"field 'split': no {empty[0]} chromosome left in the genome",
                source=manifest.path,
                hint="list the split's chromosomes explicitly",
            )
        memo = HashMemo(cache_root / "file-hashes.json")
        fingerprint, inputs = dataset_fingerprint(
            manifest.input_files(), _parameters(manifest, geometry, split_chroms), memo=memo
        )
        memo.save()
        target = cache_root / fingerprint
        if not force and (target / "meta.json").is_file():
            try:
                cache = open_dataset_cache(target)
            except DatasetError as exc:
                log.warning("rebuilding unreadable dataset cache %s: %s", target, exc)
            else:
                cache.reused = True
                log.info("reusing dataset cache %s (fingerprint %s)", target, fingerprint[:12])
                return cache

        used = {c: genome.chrom_sizes[c] for s in SPLITS for c in split_chroms[s]}
        used = {c: genome.chrom_sizes[c] for c in genome.chrom_sizes if c in used}
        tracks, track_maps, rep2, rep2_maps = _open_inputs(manifest, used)
        excluded: dict[str, _Intervals] = {}
        if manifest.excluded is not None:
            excluded = _read_intervals(
                manifest.excluded, used, map_names=manifest.map_chrom_names, genome_path=manifest.genome
            )
        peaks = None
        unavailable: dict[str, str] = {}
        if manifest.label_targets:
            peaks = [
                _read_intervals(
                    t.peaks, used, map_names=manifest.map_chrom_names, genome_path=manifest.genome
                )
                for t in manifest.label_targets
                if t.peaks is not None
            ]
            lacking = [t.name for t in manifest.targets if t.peaks is None]
            if lacking:
                log.info(
                    "binary labels for the %d target(s) with peaks; %s have no peaks file",
                    len(peaks),
                    ", ".join(lacking),
                )
        else:
            unavailable["binary"] = (
                f"no target has a peaks file in {manifest.path} (binary labels need `peaks:`)"
            )
            log.info("binary dataset not built: %s", unavailable["binary"])

        log.info("preparing dataset %s -> %s", manifest.name, target)
        started = time.perf_counter()
        with atomic_directory(target) as tmp:
            builder = _Builder(
                manifest,
                genome,
                tracks,
                rep2,
                geometry,
                split_chroms,
                track_maps,
                rep2_maps,
                excluded,
                peaks,
                tmp,
                _block_size(geometry, len(tracks) * (2 if rep2 else 1), block_size),
                negatives=manifest.binary_negatives,
            )
            total = sum(used.values())
            try:
                if progress:
                    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                    with Progress(
                        TextColumn("[bold]prepare[/] {task.description}"),
                        BarColumn(),
                        TextColumn("{task.percentage:>5.1f}%"),
                        TimeRemainingColumn(),
                        transient=True,
                    ) as bar:
                        task = bar.add_task(manifest.name, total=total)
                        builder.run(bar, task)
                else:
                    builder.run()
            finally:
                kinds = builder.close()
            for split in SPLITS:
                info = kinds["quantitative"][split]
                if info["n"] == 0:
                    raise _empty_selection_error(manifest, split, info, threshold)
            if peaks is None:
                kinds["binary"] = None
            meta = {
                "format_version": CACHE_FORMAT_VERSION,
                "fingerprint": fingerprint,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "seconds": round(time.perf_counter() - started, 3),
                "manifest": {"path": str(manifest.path), "name": manifest.name},
                "targets": list(manifest.coverage_target_names),
                "label_targets": list(manifest.label_target_names) if peaks is not None else [],
                "target_descriptions": {t.name: t.description for t in manifest.targets},
                "binary_negatives": (
                    manifest.binary_negatives.to_dict() if manifest.binary_negatives is not None else None
                ),
                "geometry": geometry.to_dict(),
                "split": split_chroms,
                "chroms": builder.chroms,
                "chrom_sizes": {c: genome.chrom_sizes[c] for c in builder.chroms},
                "map_chrom_names": manifest.map_chrom_names,
                "inputs": inputs,
                "kinds": kinds,
                "unavailable": unavailable,
            }
            from benchsuite import __version__

            meta["benchsuite_version"] = __version__
            import json

            with atomic_write(tmp / "meta.json", "w") as handle:
                json.dump(meta, handle, indent=1)
        for bw in [*tracks, *(rep2 or [])]:
            bw.close()
        cache = open_dataset_cache(target)
        log.info(
            "built dataset cache %s in %.1f s: %s",
            target,
            meta["seconds"],
            ", ".join(
                f"{k} {s} {cache.count(k, s)}"
                for k in ("quantitative", "binary")
                for s in SPLITS
                if cache.has(k, s)
            ),
        )
        return cache
    finally:
        genome.close()
