"""Bootstrap intervals and ties on the board, from the records' bootstrap replicates.

A record's metric may carry ``ci95`` (the harness's 95% block-bootstrap percentile interval of
the mean over targets) and its ``tables["bootstrap"]["replicates"][metric]`` the ``n_boot``
replicate means. Replicate ``i`` of every record of one dataset uses the same resample, so:

- the interval of a row with several seeds is the percentile interval of the seed-mean of the
  replicates (replicate by replicate);
- two rows are compared by the paired difference ``rep_a[i] - rep_b[i]``: a row whose 95%
  interval of the difference to the leader contains 0 is *tied with the leader*.

Rows without replicates get no interval (one seed: the record's own ``ci95``) and no tie mark.
Intervals are :func:`benchsuite.evaluate.stats.bootstrap.percentile_interval`, the harness's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchsuite.evaluate.stats.bootstrap import percentile_interval

__all__ = [
    "Tie",
    "bootstrap_key",
    "paired_tie",
    "percentile_interval",  # re-exported from the harness
    "record_interval",
    "row_replicates",
]


@dataclass(frozen=True)
class Tie:
    """The paired bootstrap comparison of a row with the leader on the ranking metric."""

    lo: float  # 95% interval of (row - leader)
    hi: float
    n: int  # finite paired replicates

    @property
    def tied(self) -> bool:
        """The interval of the difference contains 0."""
        return self.lo <= 0.0 <= self.hi


def record_interval(entry: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """A record metric's ``ci95`` as two finite floats, or None."""
    ci = (entry or {}).get("ci95")
    if not isinstance(ci, Sequence) or len(ci) != 2:
        return None
    try:
        lo, hi = float(ci[0]), float(ci[1])
    except (TypeError, ValueError):
        return None
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None


def _bootstrap_id(record: Mapping[str, Any]) -> tuple[Any, ...]:
    boot = (record.get("tables") or {}).get("bootstrap") or {}
    return (boot.get("method"), boot.get("n_boot"), boot.get("seed"), boot.get("block_bp"))


def bootstrap_key(records: Sequence[Mapping[str, Any]]) -> tuple[Any, ...] | None:
    """(method, n_boot, seed, block size) of the records' bootstrap when they all share one, else
    None."""
    keys = {_bootstrap_id(r) for r in records}
    return next(iter(keys)) if len(keys) == 1 else None


def _replicates(record: Mapping[str, Any], metric: str) -> np.ndarray | None:
    boot = (record.get("tables") or {}).get("bootstrap") or {}
    reps = (boot.get("replicates") or {}).get(metric)
    if not isinstance(reps, Sequence) or not reps:
        return None
    try:
        return np.array([np.nan if v is None else float(v) for v in reps], dtype=np.float64)
    except (TypeError, ValueError):
        return None


def row_replicates(records: Sequence[Mapping[str, Any]], metric: str) -> np.ndarray | None:
    """The seed-mean of the records' replicate means of ``metric`` (None unless every record
    has them, from the same bootstrap: method, ``n_boot``, seed and block size)."""
    if not records or bootstrap_key(records) is None:
        return None
    arrays = [_replicates(r, metric) for r in records]
    if any(a is None for a in arrays) or len({a.size for a in arrays if a is not None}) != 1:
        return None
    return np.mean(np.stack([a for a in arrays if a is not None]), axis=0)


def paired_tie(row: np.ndarray | None, leader: np.ndarray | None) -> Tie | None:
    """The 95% interval of ``row - leader`` over paired replicates (None when not comparable)."""
    if row is None or leader is None or row.shape != leader.shape:
        return None
    diff = row - leader
    interval = percentile_interval(diff)
    if interval is None:
        return None
    return Tie(interval[0], interval[1], int(np.isfinite(diff).sum()))
