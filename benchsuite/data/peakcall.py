"""Binary labels from coverage: a simple, documented peak caller (``peaks: {call: threshold}``).

A target without a peak file can get binary labels called on its own coverage track::

    targets:
      - name: HepG2
        track: tracks/HepG2.bw
        peaks: {call: threshold, fold: 4.0, smooth: 128, merge_gap: 128, min_width: 100}

The caller (``threshold``, :data:`PEAKCALL_VERSION`), per chromosome of the split:

1. **smooth**: the base-resolution track is averaged over a centred window of ``smooth`` bp
   (positions without data, NaN, are left out of the mean; a position without data stays NaN
   and is never inside a peak);
2. **threshold**: positions whose smoothed coverage exceeds ``fold`` x the median of the
   smoothed coverage over the chromosome's positions with data are "high" (a sparse track whose
   median is 0 uses the median of its positive values; a chromosome without positive values has
   no peak);
3. **merge** runs of high positions separated by at most ``merge_gap`` bp;
4. **min width**: runs shorter than ``min_width`` bp are dropped;
5. the **summit** of a peak is its first position of maximal smoothed coverage.

Every parameter (and the caller's version) is part of the dataset fingerprint, so changing one
builds another dataset. The called peaks are labels like any peak file's (peak-centred chunks,
``binary_negatives``); they are only as good as the threshold, so prefer real peak calls (MACS2,
IDR) when you have them. A chromosome is read and smoothed whole (about 50 bytes per base
while it is called), so the caller suits small genomes and test data, not chr1 of hg38.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchsuite.data.intervals import Intervals

if TYPE_CHECKING:
    from benchsuite.data.manifest_fields import Checker

__all__ = [
    "PEAKCALL_VERSION",
    "PeakCall",
    "parse_peak_call",
    "target_peaks",
    "call_chrom_peaks",
    "call_peaks",
]

#: version of the caller's algorithm (in the fingerprint: a change makes new datasets)
PEAKCALL_VERSION = 1
_METHODS = ("threshold",)
_KEYS = {"call", "fold", "smooth", "merge_gap", "min_width"}


@dataclass(frozen=True)
class PeakCall:
    """Parameters of the threshold peak caller (see the module docstring)."""

    method: str = "threshold"
    fold: float = 4.0
    smooth: int = 128
    merge_gap: int = 128
    min_width: int = 100

    def to_dict(self) -> dict[str, Any]:
        """The parameters and the caller's version (fingerprint and meta.json)."""
        return {**asdict(self), "version": PEAKCALL_VERSION}


def parse_peak_call(check: Checker, value: Any, field_name: str) -> PeakCall:
    """``targets[i].peaks`` given as ``{call: threshold, ...}``."""
    data = check.mapping(value, field_name, _KEYS)
    method = data.get("call")
    if method not in _METHODS:
        raise check.fail(
            f"{field_name}.call",
            f"unknown peak caller {method!r}",
            hint=f"use call: {' or '.join(_METHODS)} (or give a BED/narrowPeak file as peaks:)",
        )
    defaults = PeakCall()
    fold = data.get("fold", defaults.fold)
    if isinstance(fold, bool) or not isinstance(fold, (int, float)) or not float(fold) > 0:
        raise check.fail(f"{field_name}.fold", f"expected a number > 0, got {fold!r}")
    return PeakCall(
        method=str(method),
        fold=float(fold),
        smooth=check.integer(data.get("smooth", defaults.smooth), f"{field_name}.smooth"),
        merge_gap=check.integer(data.get("merge_gap", defaults.merge_gap), f"{field_name}.merge_gap", 0),
        min_width=check.integer(data.get("min_width", defaults.min_width), f"{field_name}.min_width"),
    )


def target_peaks(check: Checker, item: dict[str, Any], field_name: str) -> dict[str, Any]:
    """``peaks`` and ``peak_call`` of a target: a file path, or ``{call: ...}`` on its own track."""
    value = item.get("peaks")
    if not isinstance(value, dict):
        return {"peaks": check.optional_file(item, "peaks", field_name), "peak_call": None}
    if item.get("track") is None:
        raise check.fail(
            f"{field_name}.call",
            "peak calling needs the target's coverage track",
            hint="add `track:` to the target or give a BED/narrowPeak file as `peaks:`",
        )
    return {"peaks": None, "peak_call": parse_peak_call(check, value, field_name)}


def _smoothed(values: np.ndarray, window: int) -> np.ndarray:
    finite = np.isfinite(values)
    total = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0), dtype=np.float64)])
    count = np.concatenate([[0], np.cumsum(finite, dtype=np.int64)])
    n = values.size
    idx = np.arange(n)
    lo = np.clip(idx - window // 2, 0, n)
    hi = np.clip(idx - window // 2 + window, 0, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (total[hi] - total[lo]) / (count[hi] - count[lo])
    return np.where(finite, mean, np.nan)


def call_chrom_peaks(values: np.ndarray, params: PeakCall) -> Intervals:
    """Peaks of one chromosome's base-resolution coverage (NaN = no data)."""
    empty = Intervals.empty()
    smooth = _smoothed(np.asarray(values, dtype=np.float64), params.smooth)
    data = smooth[np.isfinite(smooth)]
    if data.size == 0:
        return empty
    median = float(np.median(data))
    if median <= 0:
        positive = data[data > 0]
        if positive.size == 0:
            return empty
        median = float(np.median(positive))
    high = np.nan_to_num(smooth, nan=-np.inf) > params.fold * median
    edges = np.flatnonzero(np.diff(np.concatenate([[0], high.astype(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]
    if starts.size == 0:
        return empty
    keep = np.ones(starts.size, dtype=bool)
    keep[1:] = starts[1:] - ends[:-1] > params.merge_gap  # a new peak after a long enough gap
    merged_starts = starts[keep]
    merged_ends = np.maximum.reduceat(ends, np.flatnonzero(keep))
    wide = merged_ends - merged_starts >= params.min_width
    merged_starts, merged_ends = merged_starts[wide], merged_ends[wide]
    summits = np.array(
        [s + int(np.argmax(smooth[s:e])) for s, e in zip(merged_starts, merged_ends, strict=True)],
        dtype=np.int64,
    )
    return Intervals(merged_starts.astype(np.int64), merged_ends.astype(np.int64), summits)


def call_peaks(
    track: Any, track_chroms: dict[str, str], chrom_sizes: dict[str, int], params: PeakCall
) -> dict[str, Intervals]:
    """Peaks of an open bigWig on every chromosome of ``chrom_sizes`` (genome names).

    ``track_chroms`` maps genome names to the track's (as :func:`check_track_chroms` returns).
    """
    return {
        chrom: call_chrom_peaks(track.values(track_chroms[chrom], 0, size), params)
        for chrom, size in chrom_sizes.items()
    }
