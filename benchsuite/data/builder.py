"""The chunk builder: streams the windows of a bundle into the split writers of a cache folder.

:class:`ChunkBuilder` walks the split chromosomes in chunk-aligned blocks of a bounded size
(one block in memory at a time). For each block it takes the candidate windows of every
dataset kind (:mod:`benchsuite.data.windows`: the coverage-threshold grid, the test
chromosomes' whole-chromosome tiles, the peak-centred windows and their negatives), checks
the coverage it reads (finite and >= 0, NaN = missing, negative values clipped to 0 for a
``clip_negative`` target; :func:`~benchsuite.io.trackcheck.check_coverage_values`), drops and
counts the windows touching an excluded region, an N base or missing (NaN) coverage, applies
the coverage threshold where one holds, labels the binary ones and appends the rest to the
:class:`~benchsuite.data.cache.SplitWriter` of their kind and split (bookkeeping in
:mod:`benchsuite.data.window_sets`). :meth:`ChunkBuilder.close` returns the per-kind summary
that goes into ``meta.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.data.cache import SPLITS
from benchsuite.data.inputs import BuildInputs
from benchsuite.data.intervals import Intervals, merge_intervals, overlaps
from benchsuite.data.manifest_model import Geometry, Manifest
from benchsuite.data.splits import Spans, held_out_spans, split_regions
from benchsuite.data.window_sets import WindowSet, window_sets
from benchsuite.data.windows import (
    block_binary_starts,
    copy_windows,
    grid_starts,
    merge_peak_windows,
    negative_starts,
    peak_labels,
    window_max,
)
from benchsuite.errors import DatasetError
from benchsuite.io.trackcheck import check_coverage_values

__all__ = ["ChunkBuilder"]

#: coverage bytes copied per write while streaming the selected windows of a block
_WRITE_BYTES = 8 * 1024 * 1024


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


@dataclass
class _ChromContext:
    name: str
    track_names: list[str]
    rep2_names: list[str] | None
    excluded: tuple[np.ndarray, np.ndarray]  # merged sorted (starts, ends); ends increase too
    peaks: list[tuple[np.ndarray, np.ndarray]] | None  # per label target (sorted starts, running max end)
    all_peaks: tuple[np.ndarray, np.ndarray] | None = None  # merged peaks of every label target
    # region split: spans this split's windows must not touch (None: a chromosome split)
    other_split: tuple[np.ndarray, np.ndarray] | None = None
    # the leakage check: held-out spans (test, or test + valid) a window of this split must miss
    held_out: tuple[np.ndarray, np.ndarray] | None = None


class ChunkBuilder:
    """Streams one bundle into a cache folder.

    Parameters
    ----------
    manifest:
        The bundle's manifest (label target names, ``binary_negatives``).
    genome:
        The open :class:`~benchsuite.io.fasta.Genome`.
    inputs:
        The open tracks and the read intervals (:func:`benchsuite.data.inputs.open_inputs`).
    geometry:
        The geometry, with the effective coverage threshold.
    split_chroms:
        Genome chromosomes of each split (:func:`benchsuite.data.splits.resolve_split`).
    out:
        The folder the split writers write into.
    block_size:
        Bases per block, a multiple of ``chunk_length``.
    """

    def __init__(
        self,
        manifest: Manifest,
        genome: Any,
        inputs: BuildInputs,
        geometry: Geometry,
        split_chroms: dict[str, list[str]],
        out: Path,
        block_size: int,
    ) -> None:
        self.manifest = manifest
        self.genome = genome
        self.tracks = inputs.tracks
        self.rep2 = inputs.rep2
        self.geometry = geometry
        self.split_chroms = split_chroms
        self.track_maps = inputs.track_maps
        self.rep2_maps = inputs.rep2_maps
        self.excluded = inputs.excluded
        self.peaks = inputs.peaks
        self.out = out
        self.block_size = block_size
        self.negatives = manifest.binary_negatives if self.peaks is not None else None
        self.label_names = manifest.label_target_names
        self.clip = [t.clip_negative for t in manifest.coverage_targets]
        self.chroms = [c for c in genome.chrom_sizes if any(c in v for v in split_chroms.values())]
        self.chrom_index = {c: i for i, c in enumerate(self.chroms)}
        found = split_regions(manifest, genome.chrom_sizes)
        self.other_split: dict[tuple[str, str], Spans] = found[0] if found is not None else {}
        self.regions: dict[str, dict[str, Spans]] | None = found[1] if found is not None else None
        #: the leakage check per (kind, split): windows checked, windows touching a held-out span
        self.leakage: dict[tuple[str, str], list[int]] = {}
        self.sets = window_sets(
            out,
            geometry,
            num_tracks=len(self.tracks),
            num_labels=len(self.peaks) if self.peaks is not None else None,
            with_rep2=self.rep2 is not None,
            with_negatives=self.negatives is not None,
        )

    # ---------------------------------------------------------------- per chromosome

    def _context(self, chrom: str, split: str = "train") -> _ChromContext:
        ex = self.excluded.get(chrom, Intervals.empty())
        ex_s, ex_e = merge_intervals(ex)
        peaks = None
        all_peaks = None
        if self.peaks is not None:
            peaks = []
            for per_target in self.peaks:
                iv = per_target.get(chrom, Intervals.empty())
                running = np.maximum.accumulate(iv.end) if iv.end.size else iv.end
                peaks.append((iv.start, running))
            if self.negatives is not None:
                parts = [p[chrom] for p in self.peaks if chrom in p]
                if parts:
                    s = np.concatenate([iv.start for iv in parts])
                    e = np.concatenate([iv.end for iv in parts])
                    order = np.lexsort((e, s))
                    all_peaks = merge_intervals(Intervals(s[order], e[order], s[order]))
                else:
                    all_peaks = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        return _ChromContext(
            name=chrom,
            track_names=[m[chrom] for m in self.track_maps],
            rep2_names=[m[chrom] for m in self.rep2_maps] if self.rep2_maps is not None else None,
            excluded=(ex_s, ex_e),
            peaks=peaks,
            all_peaks=all_peaks,
            other_split=self.other_split.get((split, chrom)),
            held_out=held_out_spans(
                split, chrom, self.genome.chrom_sizes[chrom], self.split_chroms, self.regions
            ),
        )

    def _binary_candidates(
        self, split: str, ctx: _ChromContext, size: int
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Peak-centred window starts and negative starts of a chromosome (None where not built)."""
        if ("binary", split) not in self.sets:
            return None, None
        assert self.peaks is not None
        g = self.geometry
        chrom = ctx.name
        summits = [p[chrom].summit for p in self.peaks if chrom in p]
        all_summits = np.concatenate(summits) if summits else np.zeros(0, dtype=np.int64)
        binary_starts, dropped = merge_peak_windows(all_summits, size, g.chunk_length, g.input_length)
        binary_set = self.sets["binary", split]
        tally = binary_set.summits
        assert tally is not None
        tally["total"] += int(all_summits.size)
        tally["outside_overlap"] += dropped["overlap"]
        tally["outside_edge"] += dropped["edge"]
        if self.negatives is None:
            return binary_starts, None
        assert ctx.all_peaks is not None and binary_set.negatives is not None
        negatives, peak_free = negative_starts(
            chrom, size, g.chunk_length, binary_starts, *ctx.all_peaks, self.negatives.fraction
        )
        binary_set.negatives["peak_free"] += peak_free
        binary_set.negatives["candidates"] += int(negatives.size)
        return binary_starts, negatives

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
        cov = self._read_tracks(self.tracks, ctx.track_names, r0, r1)
        missing = np.isnan(cov).any(axis=0)
        rep2 = None
        if with_rep2:
            assert self.rep2 is not None and ctx.rep2_names is not None
            rep2 = self._read_tracks(self.rep2, ctx.rep2_names, r0, r1)
            missing |= np.isnan(rep2).any(axis=0)
        cum_n = np.zeros(seq.size + 1, dtype=np.int32)
        np.cumsum(seq == 4, out=cum_n[1:])
        cum_nan = np.zeros(seq.size + 1, dtype=np.int32)
        np.cumsum(missing, out=cum_nan[1:])
        peak = cov.max(axis=0) if cov.shape[0] else np.zeros(seq.size, dtype=np.float32)
        return _Block(r0, seq, cov, rep2, cum_n, cum_nan, peak)

    def _read_tracks(self, tracks: list[Any], names: list[str], r0: int, r1: int) -> np.ndarray:
        """(T, r1 - r0) coverage of one replicate, checked: finite and >= 0 (or clipped), NaN missing."""
        cov = np.empty((len(tracks), r1 - r0), dtype=np.float32)
        for i, (bw, tname) in enumerate(zip(tracks, names, strict=True)):
            cov[i] = bw.values(tname, r0, r1)
            check_coverage_values(cov[i], path=bw.path, chrom=tname, start=r0, clip_negative=self.clip[i])
        return cov

    # ---------------------------------------------------------------- per block

    def _emit(
        self,
        ws: WindowSet,
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
        ws.candidates += int(starts.size)
        rel = starts - block.r0
        keep = self._clean(ws, ctx, block, starts, rel)
        if not keep.any():
            return
        starts, rel = starts[keep], rel[keep]
        if threshold_rows is not None and ws.threshold is None:
            passed = self._negatives_above_threshold(ws, block, rel, threshold_rows[keep])
            if passed is not None:
                if not passed.any():
                    return
                starts, rel = starts[passed], rel[passed]
        if ws.threshold is not None:
            # threshold before copying any window: max over targets, then over each window
            chunk_max = window_max(block.max_over_targets, rel, ws.width)
            ws.max_clean = max(ws.max_clean, float(chunk_max.max()))
            passed = chunk_max > ws.threshold
            ws.dropped["below_threshold"] += int((~passed).sum())
            if not passed.any():
                return
            starts, rel = starts[passed], rel[passed]
        self._write(ws, ctx, block, starts, rel)

    def _clean(
        self, ws: WindowSet, ctx: _ChromContext, block: _Block, starts: np.ndarray, rel: np.ndarray
    ) -> np.ndarray:
        """Windows free of excluded regions, N bases and missing coverage; counts the dropped ones.

        A window is counted once, under the first reason that applies (excluded, another
        split's region in a region split, N, NaN).
        """
        width = ws.width
        ex_s, ex_e = ctx.excluded
        excluded = overlaps(ex_s, ex_e, starts, starts + width)
        ws.dropped["excluded"] += int(excluded.sum())
        if ctx.other_split is not None:
            other = overlaps(*ctx.other_split, starts, starts + width) & ~excluded
            ws.dropped["other_split"] = ws.dropped.get("other_split", 0) + int(other.sum())
            excluded = excluded | other
        has_n = (block.cum_n[rel + width] - block.cum_n[rel]) > 0
        has_nan = (block.cum_nan[rel + width] - block.cum_nan[rel]) > 0
        drop_n = has_n & ~excluded
        drop_nan = has_nan & ~excluded & ~drop_n
        ws.dropped["n_bases"] += int(drop_n.sum())
        ws.dropped["nan"] += int(drop_nan.sum())
        return ~(excluded | has_n | has_nan)

    def _negatives_above_threshold(
        self, ws: WindowSet, block: _Block, rel: np.ndarray, need: np.ndarray
    ) -> np.ndarray | None:
        """Which windows pass: those in ``need`` must exceed the coverage threshold (None: none need to)."""
        if not need.any():
            return None
        passed = np.ones(rel.size, dtype=bool)
        chunk_max = window_max(block.max_over_targets, rel[need], ws.width)
        passed[need] = chunk_max > self.geometry.coverage_threshold
        if ws.negatives is not None:
            ws.negatives["below_threshold"] += int((~passed).sum())
        return passed

    def _write(
        self, ws: WindowSet, ctx: _ChromContext, block: _Block, starts: np.ndarray, rel: np.ndarray
    ) -> None:
        """Label and append the kept windows, a few MiB at a time (after the leakage check)."""
        width = ws.width
        tally = self.leakage.setdefault((ws.kind, ws.split), [0, 0])
        tally[0] += int(starts.size)
        if ctx.held_out is not None:
            tally[1] += int(overlaps(*ctx.held_out, starts, starts + width).sum())
        labels = None
        if ws.labels:
            assert ctx.peaks is not None
            labels = peak_labels(ctx.peaks, starts, width, self.geometry.input_length)
        coords = np.stack([np.full(starts.size, self.chrom_index[ctx.name], dtype=np.int64), starts], axis=1)
        # copy and write the windows a few MiB at a time (the block itself is the only large array)
        per_window = width * max(1, block.cov.shape[0]) * 4 * (2 if ws.writer.rep2 else 1)
        step = max(1, _WRITE_BYTES // per_window)
        rep2 = block.rep2 if ws.writer.rep2 else None
        assert rep2 is not None or not ws.writer.rep2  # test blocks read replicate 2 when it exists
        for i in range(0, starts.size, step):
            part = rel[i : i + step]
            ws.writer.append(
                copy_windows(block.seq, part, width),  # (n, W)
                copy_windows(block.cov, part, width),  # (n, T, W)
                coords[i : i + step],
                cov_rep2=copy_windows(rep2, part, width) if rep2 is not None else None,
                labels=labels[i : i + step] if labels is not None else None,
            )

    def _emit_block(
        self,
        split: str,
        ctx: _ChromContext,
        block: _Block,
        bounds: tuple[int, int, int],
        binary: tuple[np.ndarray | None, np.ndarray | None],
    ) -> None:
        """Emit the windows of every kind starting in the block's [b0, b1) (``bounds``: b0, b1, size)."""
        g = self.geometry
        b0, b1, size = bounds
        quantitative = self.sets.get(("quantitative", split))
        if quantitative is not None:  # not built for a bundle of peak files only
            self._emit(quantitative, ctx, block, grid_starts(b0, b1, g.chunk_length, size))
        if split == "test":
            self._emit(self.sets["wholechrom", "test"], ctx, block, grid_starts(b0, b1, g.input_length, size))
        binary_starts, negatives = binary
        if binary_starts is not None:
            needs = self.negatives is not None and self.negatives.source == "coverage-threshold"
            starts, rows = block_binary_starts(binary_starts, negatives, b0, b1, needs)
            self._emit(self.sets["binary", split], ctx, block, starts, rows)

    # ---------------------------------------------------------------- driving

    def run(self, progress: Any = None, task: Any = None) -> None:
        """Stream every split chromosome; ``progress.advance(task, bases)`` after each block when given."""
        for split in SPLITS:
            for chrom in self.split_chroms[split]:
                ctx = self._context(chrom, split)
                size = self.genome.chrom_sizes[chrom]
                binary = self._binary_candidates(split, ctx, size)
                for b0, b1, block in self._blocks(ctx, split):
                    self._emit_block(split, ctx, block, (b0, b1, size), binary)
                    if progress is not None:
                        progress.advance(task, b1 - b0)
                    del block  # free this block before the next one is read

    def close(self) -> dict[str, Any]:
        """Close every writer; returns the ``kinds`` entry of meta.json."""
        kinds: dict[str, Any] = {}
        for (kind, split), ws in self.sets.items():
            kinds.setdefault(kind, {})[split] = ws.summary(self.label_names)
            if split != "test":
                checked, touching = self.leakage.get((kind, split), [0, 0])
                kinds[kind][split]["leakage"] = {"checked": checked, "touching_held_out": touching}
                if touching:
                    raise DatasetError(
                        f"leakage check failed: {touching} {kind} {split} chunk(s) overlap a held-out "
                        "(test or validation) region",
                        source=self.manifest.path,
                        hint="this is a bug in benchsuite's split handling: please report it",
                    )
        return kinds
