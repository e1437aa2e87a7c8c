"""Per (kind, split) bookkeeping of a cache build: :class:`WindowSet`.

Each set owns the :class:`~benchsuite.data.cache.SplitWriter` of its kind and split and the
counters that end up in ``meta.json`` (candidates, windows dropped and why, binary negatives,
peak summits left outside every window, the highest clean chunk max coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchsuite.data.cache import SPLITS, SplitWriter
from benchsuite.data.manifest_model import Geometry

__all__ = ["WindowSet", "window_sets"]


@dataclass
class WindowSet:
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

    def summary(self, label_names: tuple[str, ...]) -> dict[str, Any]:
        """Close the writer; returns this set's entry of ``meta.json``'s ``kinds``."""
        info = self.writer.close()
        info["candidates"] = self.candidates
        info["dropped"] = dict(self.dropped)
        if self.labels:
            info["positives"] = {n: int(p) for n, p in zip(label_names, self.writer.positives, strict=True)}
            info["no_positive_label"] = int(self.writer.negatives)
        if self.negatives is not None:
            # peak-free negatives added to the peak-centred chunks (manifest binary_negatives)
            info["negatives"] = {**self.negatives, "kept": int(self.writer.negatives)}
        if self.summits is not None:
            # peak summits (all targets) left outside every central window by the merge
            info["peak_summits"] = dict(self.summits)
        if self.writer.clipped:
            info["clipped_to_float16_max"] = self.writer.clipped
        if self.threshold is not None:
            info["max_coverage"] = None if self.max_clean == -math.inf else self.max_clean
        return info


def window_sets(
    out: Path,
    geometry: Geometry,
    *,
    num_tracks: int,
    num_labels: int | None,
    with_rep2: bool,
    with_negatives: bool,
) -> dict[tuple[str, str], WindowSet]:
    """One window set per (kind, split): quantitative and binary per split, wholechrom for test.

    Parameters
    ----------
    out:
        The cache folder being built (writers write to ``out/<kind>/<split>``).
    geometry:
        The geometry, with the effective coverage threshold.
    num_tracks:
        Coverage targets (the ``T`` axis).
    num_labels:
        Label targets; None when no target has peaks (then no binary sets and no labels).
    with_rep2:
        Whether test sets store replicate-2 coverage.
    with_negatives:
        Whether the binary sets get peak-free negatives (their counters are kept).
    """
    t = num_tracks
    k = num_labels if num_labels is not None else 0
    has_peaks = num_labels is not None
    chunk = geometry.chunk_length
    sets: dict[tuple[str, str], WindowSet] = {}
    for split in SPLITS:
        test = split == "test"
        dtype = "float32" if test else "float16"
        has_rep2 = test and with_rep2
        q_labels = test and has_peaks
        if t > 0:  # a bundle of peak files only (no coverage) has no coverage-threshold sets
            sets["quantitative", split] = WindowSet(
                "quantitative",
                split,
                chunk,
                SplitWriter(
                    out / "quantitative" / split,
                    t,
                    chunk,
                    dtype,
                    rep2=has_rep2,
                    labels=q_labels,
                    num_labels=k,
                ),
                threshold=geometry.coverage_threshold,
                labels=q_labels,
            )
        if has_peaks:
            sets["binary", split] = WindowSet(
                "binary",
                split,
                chunk,
                SplitWriter(
                    out / "binary" / split, t, chunk, dtype, rep2=has_rep2, labels=True, num_labels=k
                ),
                labels=True,
            )
    width = geometry.input_length
    # whole-chromosome tiles carry peak labels too (genome-wide peak detection, peak_genome.*)
    sets["wholechrom", "test"] = WindowSet(
        "wholechrom",
        "test",
        width,
        SplitWriter(
            out / "wholechrom" / "test", t, width, "float32", rep2=with_rep2, labels=has_peaks, num_labels=k
        ),
        labels=has_peaks,
    )
    for ws in sets.values():
        ws.dropped = {"excluded": 0, "n_bases": 0, "nan": 0}
        if ws.kind == "quantitative":
            ws.dropped["below_threshold"] = 0
        if ws.kind == "binary":
            ws.summits = {"total": 0, "outside_overlap": 0, "outside_edge": 0}
            if with_negatives:
                ws.negatives = {"peak_free": 0, "candidates": 0, "below_threshold": 0}
    return sets
