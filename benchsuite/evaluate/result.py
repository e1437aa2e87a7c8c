"""What the harness returns: :class:`EvalResult`, a family's :class:`FamilyResult`, and
:class:`NotApplicable`, the one way to say that a metric or family does not apply."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.evaluate import HARNESS_VERSION
from benchsuite.evaluate.stats import nanmean_or_none

__all__ = ["EvalResult", "FamilyResult", "NotApplicable"]


class NotApplicable(Exception):  # noqa: N818 - the harness's name for "does not apply"
    """A metric family (or one metric) does not apply to this source or dataset.

    Raised by a family (or the engine it calls); the harness stores ``reason`` in
    ``EvalResult.not_applicable`` under ``key`` (default: the family's key).
    """

    def __init__(self, reason: str, *, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


def _clean_float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _jsonable(obj: Any) -> Any:
    """Recursively convert to JSON-safe values (NaN/inf -> None, numpy -> python, Path -> str)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _clean_float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


class _Metrics:
    """Shared storage of per-target and scalar metrics."""

    metrics: dict[str, dict[str, Any]]
    tables: dict[str, Any]
    not_applicable: dict[str, str]

    def put(self, name: str, values: np.ndarray | Sequence[float], target_names: Sequence[str]) -> None:
        """Store a per-target metric (undefined values become None; the mean skips them)."""
        per_target = {str(t): _clean_float(v) for t, v in zip(target_names, values, strict=True)}
        self.metrics[name] = {"mean": nanmean_or_none(per_target), "per_target": per_target}

    def put_scalar(self, name: str, value: float | None) -> None:
        """Store a metric that is not per target (e.g. CAGI5, motifs)."""
        self.metrics[name] = {"mean": _clean_float(value), "per_target": {}}

    def skip(self, key: str, reason: str) -> None:
        """Record that a metric (or a family, by its key) does not apply, and why."""
        self.not_applicable[key] = reason

    def put_interval(self, name: str, replicates: np.ndarray, *, units: str) -> None:
        """Attach the 95% bootstrap interval of a stored metric's mean over targets.

        ``replicates`` is ``(B, T)`` (per target; each replicate's mean over its defined
        targets is taken, like the metric's own mean) or ``(B,)``. The interval goes to
        ``metrics[name]["ci95"]``; the replicate means (6 significant digits) and the resampled
        ``units`` go to ``tables["bootstrap"]`` for paired comparisons between records.
        """
        from benchsuite.evaluate.stats.bootstrap import percentile_interval

        reps = np.asarray(replicates, dtype=np.float64)
        if reps.ndim == 2:
            finite = np.isfinite(reps)
            with np.errstate(invalid="ignore", divide="ignore"):
                reps = np.where(finite, reps, 0.0).sum(axis=1) / finite.sum(axis=1)
        interval = percentile_interval(reps)
        if name not in self.metrics or interval is None:
            return
        self.metrics[name]["ci95"] = [interval[0], interval[1]]
        boot = self.tables.setdefault("bootstrap", {"replicates": {}, "units": {}})
        boot["replicates"][name] = [float(f"{v:.6g}") if np.isfinite(v) else None for v in reps]
        boot["units"][name] = units


@dataclass
class FamilyResult(_Metrics):
    """What one family returns; merged into the :class:`EvalResult` by the harness."""

    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)


@dataclass
class EvalResult(_Metrics):
    """Outcome of the harness.

    Attributes
    ----------
    metrics:
        ``name -> {"mean": float | None, "per_target": {target: float | None}}``.
    tables:
        Supporting tables (scale factors, counts, CAGI5 rows, motif matches, ...).
    figures:
        ``name -> figure data file`` (``<stem>.json``; drawn by
        :func:`benchsuite.evaluate.figures_render.render_figure`).
    not_applicable:
        ``family or metric name -> reason``.
    timings:
        Seconds per family and ``"total"``.
    harness_version:
        :data:`benchsuite.evaluate.HARNESS_VERSION` of the code that produced it.
    """

    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    harness_version: str = HARNESS_VERSION

    def merge(self, part: FamilyResult) -> None:
        """Add a family's metrics, tables, figures and reasons (bootstrap replicates are pooled)."""
        self.metrics.update(part.metrics)
        tables = dict(part.tables)
        boot = tables.pop("bootstrap", None)
        if boot:
            mine = self.tables.setdefault("bootstrap", {"replicates": {}, "units": {}})
            mine["replicates"].update(boot.get("replicates", {}))
            mine["units"].update(boot.get("units", {}))
        self.tables.update(tables)
        self.figures.update(part.figures)
        self.not_applicable.update(part.not_applicable)

    def mean(self, name: str) -> float | None:
        """The mean of a metric (None when absent or undefined)."""
        entry = self.metrics.get(name)
        return None if entry is None else entry["mean"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the ``evaluation`` field of a result record)."""
        return _jsonable(
            {
                "harness_version": self.harness_version,
                "metrics": self.metrics,
                "tables": self.tables,
                "figures": self.figures,
                "not_applicable": self.not_applicable,
                "timings": self.timings,
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalResult:
        """Inverse of :meth:`to_dict`."""
        metrics = {
            str(name): {
                "mean": _clean_float(entry.get("mean")),
                "per_target": {str(t): _clean_float(v) for t, v in (entry.get("per_target") or {}).items()},
                **({"ci95": [float(v) for v in entry["ci95"]]} if entry.get("ci95") else {}),
            }
            for name, entry in (data.get("metrics") or {}).items()
        }
        return cls(
            metrics=metrics,
            tables=dict(data.get("tables") or {}),
            figures={str(k): str(v) for k, v in (data.get("figures") or {}).items()},
            not_applicable={str(k): str(v) for k, v in (data.get("not_applicable") or {}).items()},
            timings={str(k): float(v) for k, v in (data.get("timings") or {}).items()},
            harness_version=str(data.get("harness_version", HARNESS_VERSION)),
        )
