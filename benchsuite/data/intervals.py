"""Sorted genomic intervals of one chromosome: reading BED/narrowPeak files, merging, overlap queries.

Used for the manifest's excluded regions and the label targets' peaks; chromosome names are
those of the genome (file names are matched with :func:`benchsuite.io.chroms.reconcile_chrom_names`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchsuite.errors import InputFileError

__all__ = ["Intervals", "read_intervals", "merge_intervals", "overlaps"]


@dataclass
class Intervals:
    """Sorted intervals of one chromosome with summits."""

    start: np.ndarray
    end: np.ndarray
    summit: np.ndarray

    @classmethod
    def empty(cls) -> Intervals:
        """No interval."""
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), z.copy())


def read_intervals(
    path: Path,
    genome_sizes: dict[str, int],
    *,
    map_names: bool,
    genome_path: Path,
    genome_chroms: dict[str, int] | None = None,
    what: str | None = None,
) -> dict[str, Intervals]:
    """Read a BED/narrowPeak file into per-chromosome interval arrays (genome names).

    Summits are narrowPeak column 10 (offset from the start) where given, else the midpoint.
    Only the chromosomes of ``genome_sizes`` are kept; an interval past a chromosome end is an
    :class:`~benchsuite.errors.InputFileError`.

    With ``genome_chroms`` (every chromosome of the genome) the file is strict: a line on a
    chromosome the genome lacks is an error naming the file and the line (chromosomes of the
    genome outside ``genome_sizes``, e.g. excluded from the split, are simply left out), and
    with ``what`` (e.g. ``"peaks"``) a file without any interval is an error too.
    """
    from benchsuite.io.bed import read_bed
    from benchsuite.io.chroms import reconcile_chrom_names

    if genome_chroms is not None:
        intervals = read_bed(path, chrom_sizes=genome_chroms, map_names=map_names, genome_source=genome_path)
    else:
        intervals = read_bed(path)
    if what is not None and len(intervals) == 0:
        raise InputFileError(
            f"the {what} file has no intervals (empty, or only comment/track lines)",
            source=path,
            hint=f"give this target a non-empty {what} file, or remove its `{what}:` entry from the manifest",
        )
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
    out: dict[str, Intervals] = {}
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
        out[genome_chrom] = Intervals(s[order], e[order], m[order])
    return out


def merge_intervals(iv: Intervals) -> tuple[np.ndarray, np.ndarray]:
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


def overlaps(starts: np.ndarray, ends_prefix_max: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """For sorted interval starts and the running max of their ends: does [q0, q1) overlap any?"""
    if starts.size == 0:
        return np.zeros(q0.shape, dtype=bool)
    k = np.searchsorted(starts, q1, side="left")  # intervals [0, k) start before q1
    hit = np.zeros(q0.shape, dtype=bool)
    ok = k > 0
    hit[ok] = ends_prefix_max[k[ok] - 1] > q0[ok]
    return hit
