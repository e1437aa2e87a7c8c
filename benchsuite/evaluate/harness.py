"""The fixed evaluation harness: every metric family of SPEC §5 for one predictor.

:func:`evaluate_predictor` streams over the test splits of a dataset cache and returns an
:class:`EvalResult` whose metric names are the contract of ``docs/ARCHITECTURE.md``:

===============================  ============================================================
family / metric                  definition (test splits of the cache)
===============================  ============================================================
``wholechrom.pearson``           whole test chromosome(s): the ``wholechrom`` tiles
``.spearman`` ``.mse``           concatenated, true coverage averaged into the model's bin,
                                 raw predictions, per target
``wholechrom.pearson_scaled``    after the factor ``mean(true) / mean(pred)`` per target over
``wholechrom.mse_scaled``        the test chromosome(s) (paper "Scaling predictions"; Pearson
                                 is invariant to a positive factor, so it equals the raw value)
``wholechrom_common.pearson``    the same at ``geometry.common_bin``: predictions averaged
``.mse_scaled``                  into common bins (paper Fig. 2c)
``perseq.pearson``               per-sequence Pearson at the model's bin over the central
                                 ``input_length`` windows of the coverage-threshold test chunks,
                                 averaged over chunks (undefined chunks skipped)
``thresholded.pearson@{t}``      per-sequence Pearson over the whole-chromosome tiles whose
                                 max true coverage (any target, base resolution) is ``> t``
                                 (paper Fig. 2e; GOPHER's test-threshold experiment)
``peak.auroc`` ``peak.aupr``     peak-centered test chunks (central window): sequence score
                                 (logit / mean predicted coverage) vs peak labels
``peak.pearson``                 across peak-centered chunks: sequence score vs mean true coverage
``peak.pearson_perseq``          per-sequence Pearson on peak-centered chunks (quantitative)
``robustness.variation``         :mod:`benchsuite.evaluate.robustness`
``cagi5.standard`` ``.robust``   :mod:`benchsuite.evaluate.cagi5`
``motifs.*``                     :mod:`benchsuite.evaluate.motifs`
===============================  ============================================================

Binary models follow :mod:`benchsuite.evaluate.conversion`.

**Coverage targets and label targets.** A dataset's coverage metrics run over its coverage
targets (targets with a track, ``cache.target_names``) and its classification metrics over
its label targets (targets with peaks, ``cache.label_target_names``); a quantitative model
predicts the coverage targets, a binary model the label targets. When the two lists are equal
(simulated bundles, the paper's setting) every metric is per target as above. When they differ
(e.g. a label-only cell type with peak calls but no coverage track), the conversion pairs
targets by name and otherwise uses cell-type-agnostic means
(:class:`~benchsuite.evaluate.conversion.TargetAlignment`): a quantitative model's
``peak.auroc``/``peak.aupr`` for a label-only target use its mean predicted coverage over all
coverage targets; a binary model whose label targets lack tracks is scored by its mean logit
over the label targets against the mean coverage over the coverage targets (per-target key
``cell-type-agnostic``). The rule applied is stored in ``tables["task_conversion"]`` and, when
it departs from per-target pairing, explained in ``not_applicable["task_conversion"]``.

**Motif database exclusions.** Motif recovery leaves out the manifest's ``motif_exclude``
motifs; without that field, a JASPAR database (matrix IDs ``MA0000.0``) loses the paper's
exclusions and every matrix of mean information content below 0.7 bits per position (long
low-information matrices that random filters match; :func:`motif_exclusions`) and other
databases lose nothing. The list used is in ``tables["motifs"]["excluded"]``.

A metric that does not apply
(e.g. MSE of a binary model, common-bin metrics of a model whose bin is coarser than the
common bin, CAGI5 without a variant set) is absent from ``metrics`` and its reason is in
``not_applicable`` (keyed by family, e.g. ``"robustness"``, or by metric name).
Per-target values that are undefined (e.g. a constant prediction) are stored as None, and a
metric's ``mean`` is the mean over targets of the defined values (None if there is none).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import ConfigError, DatasetError
from benchsuite.evaluate import HARNESS_VERSION
from benchsuite.evaluate.conversion import (
    TargetAlignment,
    binary_as_coverage,
    classification_metrics,
    sequence_pearson,
    sequence_scores,
)
from benchsuite.evaluate.metrics import (
    bin_average,
    nanmean_or_none,
    per_sequence_pearson_matrix,
    single_class_reasons,
)
from benchsuite.evaluate.predictors import Predictor, TorchPredictor, check_predictions, expected_shape
from benchsuite.evaluate.robustness import robustness_evaluate
from benchsuite.evaluate.streaming import (
    StreamingMSE,
    StreamingPearson,
    StreamingSpearman,
    masked_rows,
    scaled_mse_from_moments,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "EvalOptions",
    "EvalResult",
    "evaluate_model",
    "evaluate_predictor",
    "mean_information_content",
    "motif_exclusions",
    "threshold_metric_name",
]

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.0, 2.0, 4.0, 8.0, 16.0)
"""Test-set coverage thresholds: 0 keeps every tile (whole-chromosome per-sequence Pearson), 2
is the paper's training threshold, 4/8/16 move progressively towards peak-like regions."""

_SPEARMAN_CHOICES = ("auto", "exact", "histogram", "off")


def threshold_metric_name(threshold: float) -> str:
    """Metric name of a thresholded Pearson, e.g. ``thresholded.pearson@2``."""
    return f"thresholded.pearson@{float(threshold):g}"


# ----------------------------------------------------------------------------- options/result


@dataclass
class EvalOptions:
    """Options of the harness (the metric definitions themselves are fixed).

    Attributes
    ----------
    batch_size:
        Sequences read from the cache and predicted per step (also the TorchPredictor batch
        size in :func:`evaluate_model`).
    device:
        Torch device used by :func:`evaluate_model`.
    seed:
        Seed of every random choice (robustness chunk subset, CAGI5 shifts, motif subset).
    thresholds:
        Coverage thresholds of ``thresholded.pearson@{t}`` (default :data:`DEFAULT_THRESHOLDS`).
    robustness_shifts:
        Windows per chunk in the robustness test (paper: 20).
    robustness_max_sequences:
        Cap on the peak chunks of the robustness test (seeded choice); None for all.
    cagi5:
        Run the CAGI5 variant-effect family when the manifest has a variant set.
    cagi5_shifts:
        Random shifts of the robust CAGI5 prediction (paper: 20).
    cagi5_max_variants_per_element:
        Cap on variants per element (seeded), None for all.
    motifs:
        Run the motif-recovery family when a model and a motif database are available.
    motifs_max_sequences:
        Test sequences used to align first-layer filters (seeded subset).
    spearman:
        Whole-chromosome Spearman method: ``"auto"`` (exact up to 2**24 positions per target,
        histogram beyond), ``"exact"``, ``"histogram"`` or ``"off"``
        (see :class:`~benchsuite.evaluate.streaming.StreamingSpearman`).
    tmp_dir:
        Folder of the Spearman spool (default: the system temporary folder).
    progress:
        Show rich progress bars.
    """

    batch_size: int = 64
    device: str = "cpu"
    seed: int = 0
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    robustness_shifts: int = 20
    robustness_max_sequences: int | None = 1000
    cagi5: bool = True
    cagi5_shifts: int = 20
    cagi5_max_variants_per_element: int | None = None
    motifs: bool = True
    motifs_max_sequences: int | None = 2000
    spearman: str = "auto"
    tmp_dir: str | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}", source="batch_size")
        if self.robustness_shifts < 2:
            raise ConfigError(
                f"robustness_shifts must be >= 2, got {self.robustness_shifts}", source="robustness_shifts"
            )
        if self.spearman not in _SPEARMAN_CHOICES:
            raise ConfigError(
                f"unknown spearman method {self.spearman!r}",
                source="spearman",
                hint=f"use one of {', '.join(_SPEARMAN_CHOICES)}",
            )
        for name in ("robustness_max_sequences", "cagi5_max_variants_per_element", "motifs_max_sequences"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be >= 1 or None, got {value}", source=name)
        self.thresholds = tuple(float(t) for t in self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        d = dataclasses.asdict(self)
        d["thresholds"] = list(self.thresholds)
        return d


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


@dataclass
class EvalResult:
    """Outcome of the harness.

    Attributes
    ----------
    metrics:
        ``name -> {"mean": float | None, "per_target": {target: float | None}}``.
    tables:
        Supporting tables (scale factors, counts, CAGI5 rows, motif matches, ...).
    figures:
        ``name -> PNG path``.
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

    def put(self, name: str, values: np.ndarray | Sequence[float], target_names: Sequence[str]) -> None:
        """Store a per-target metric (undefined values become None; the mean skips them)."""
        per_target = {str(t): _clean_float(v) for t, v in zip(target_names, values, strict=True)}
        self.metrics[name] = {"mean": nanmean_or_none(per_target), "per_target": per_target}

    def put_scalar(self, name: str, value: float | None) -> None:
        """Store a metric that is not per target (e.g. CAGI5, motifs)."""
        self.metrics[name] = {"mean": _clean_float(value), "per_target": {}}

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


# ----------------------------------------------------------------------------- sources


class _Source:
    """What produces the 'predictions' of a split: a predictor or replicate 2."""

    kind: str
    bin_size: int
    input_length: int
    name: str
    can_predict_codes = False

    def window_predictions(
        self, split: Any, rows: slice | np.ndarray, offset: int, codes: np.ndarray
    ) -> np.ndarray:
        raise NotImplementedError

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _one_hot(codes: np.ndarray) -> np.ndarray:
    from benchsuite.io.onehot import one_hot

    return one_hot(np.ascontiguousarray(codes, dtype=np.uint8))


class _PredictorSource(_Source):
    can_predict_codes = True

    def __init__(self, predictor: Predictor, num_targets: int) -> None:
        self.predictor = predictor
        self.kind = str(predictor.kind)
        self.input_length = int(predictor.input_length)
        self.bin_size = self.input_length if self.kind == "binary" else int(predictor.bin_size)
        self.num_targets = num_targets
        self.name = str(getattr(predictor, "name", type(predictor).__name__))
        if self.kind not in ("binary", "quantitative"):
            raise ConfigError(f"unknown predictor kind {self.kind!r}", source=self.name)
        if self.bin_size < 1 or self.input_length % self.bin_size:
            raise ConfigError(
                f"bin size {self.bin_size} does not divide the input length {self.input_length}",
                source=self.name,
                hint="the model's output bin must divide its input length",
            )

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        pred = self.predictor.predict(_one_hot(codes))
        shape = expected_shape(self.kind, codes.shape[0], self.num_targets, self.input_length, self.bin_size)
        return check_predictions(pred, shape, self.kind, name=self.name)

    def window_predictions(
        self, split: Any, rows: slice | np.ndarray, offset: int, codes: np.ndarray
    ) -> np.ndarray:
        return self.predict_codes(codes)


class _Replicate2Source(_Source):
    kind = "quantitative"
    name = "replicate2"

    def __init__(self, bin_size: int, input_length: int) -> None:
        self.bin_size = int(bin_size)
        self.input_length = int(input_length)

    def window_predictions(
        self, split: Any, rows: slice | np.ndarray, offset: int, codes: np.ndarray
    ) -> np.ndarray:
        if split.cov_rep2 is None:
            raise DatasetError(
                f"the {split.kind}/{split.split} split has no replicate-2 coverage",
                hint="give replicate2 tracks in the manifest and rebuild the dataset",
            )
        rep2 = np.asarray(split.cov_rep2[rows, :, offset : offset + self.input_length], dtype=np.float32)
        return bin_average(rep2, self.bin_size)


# ----------------------------------------------------------------------------- progress


class _Progress:
    """Rich progress bars when enabled, no-ops otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def task(self, description: str, total: int) -> Callable[[int], None]:
        if self._progress is None:
            return lambda n: None
        task_id = self._progress.add_task(description, total=total)
        return lambda n: self._progress.advance(task_id, n)


# ----------------------------------------------------------------------------- helpers


def _get_split(cache: Any, kind: str) -> Any:
    """The test split of ``kind``, or raise DatasetError (caught as 'not applicable')."""
    split = cache.split(kind, "test")
    if len(split) == 0:
        raise DatasetError(f"the {kind}/test split is empty", source=getattr(cache, "root", None))
    return split


def _central_offset(width: int, input_length: int) -> int:
    return (width - input_length) // 2


def _ranges(n: int, step: int) -> Iterator[slice]:
    for s in range(0, n, step):
        yield slice(s, min(n, s + step))


class _FamilyTimer:
    def __init__(self, result: EvalResult, family: str) -> None:
        self.result, self.family = result, family

    def __enter__(self) -> _FamilyTimer:
        self.t0 = time.perf_counter()
        logger.info("evaluate: %s ...", self.family)
        return self

    def __exit__(self, *exc: object) -> None:
        dt = time.perf_counter() - self.t0
        self.result.timings[self.family] = self.result.timings.get(self.family, 0.0) + dt
        logger.info("evaluate: %s done in %.1f s", self.family, dt)


# ----------------------------------------------------------------------------- families


def _wholechrom(
    source: _Source,
    cache: Any,
    options: EvalOptions,
    result: EvalResult,
    progress: _Progress,
    align: TargetAlignment,
) -> None:
    names = align.coverage_names
    t_cov = len(cache.target_names)
    geometry = cache.geometry
    binary = source.kind == "binary"
    length, b, c = source.input_length, source.bin_size, int(geometry.common_bin)
    thresholds = tuple(options.thresholds)
    split = _get_split(cache, "wholechrom")
    width = split.seq.shape[1]
    if length > width or width % length:
        reason = (
            f"the whole-chromosome tiles are {width} bp; an input length of {length} bp does not tile them"
        )
        for family in ("wholechrom", "wholechrom_common", "thresholded"):
            result.not_applicable[family] = reason
        return
    per_tile = width // length

    # common-bin applicability
    common_reason = None
    if binary:
        if length % c:
            common_reason = f"input length {length} is not a multiple of the common bin {c}"
    elif b > c:
        common_reason = f"model bin {b} bp is coarser than the common bin {c} bp"
    elif c % b or length % c:
        common_reason = (
            f"common bin {c} bp is not a multiple of the model bin {b} bp within {length}-bp inputs"
        )
    if common_reason:
        result.not_applicable["wholechrom_common"] = common_reason

    t_count = len(names)
    p_own, m_own = StreamingPearson(), StreamingMSE()
    spearman = None
    if options.spearman != "off":
        spearman = StreamingSpearman(options.spearman, tmp_dir=options.tmp_dir)
    p_common = StreamingPearson() if common_reason is None else None
    thr_sum = np.zeros((len(thresholds), t_count))
    thr_count = np.zeros((len(thresholds), t_count), dtype=np.int64)
    thr_seqs = np.zeros(len(thresholds), dtype=np.int64)
    n_windows = 0
    advance = progress.task(f"whole chromosome ({source.name})", len(split))
    try:
        for rows in _ranges(len(split), options.batch_size):
            codes = np.asarray(split.seq[rows]).reshape(-1, length)
            cov = np.asarray(split.cov[rows], dtype=np.float32)
            if per_tile > 1:  # (n, T, k * L) -> (n * k, T, L)
                n = cov.shape[0]
                cov = cov.reshape(n, t_cov, per_tile, length).transpose(0, 2, 1, 3).reshape(-1, t_cov, length)
            if per_tile == 1:
                pred = source.window_predictions(split, rows, 0, codes)
            else:  # the model's input is a divisor of the tile: predict the sub-tiles
                pred = source.predict_codes(codes)
            pred, cov = align.coverage_pred(pred), align.coverage_true(cov)
            n_windows += cov.shape[0]
            pred_own = pred[:, :, None] if binary else pred
            true_own = bin_average(cov, b)
            x, y, mask = masked_rows(pred_own, true_own)
            if spearman is not None:
                spearman.update_rows(x, y, mask)
            m_own.update_rows(x, y, mask)
            p_own.update_rows(x, y, mask)
            if not binary and thresholds:
                r = per_sequence_pearson_matrix(pred_own, true_own)
                with np.errstate(invalid="ignore"):
                    peak = np.nanmax(cov.reshape(cov.shape[0], -1), axis=1)
                for i, th in enumerate(thresholds):
                    sel = peak > th
                    thr_seqs[i] += int(sel.sum())
                    ok = sel[:, None] & np.isfinite(r)
                    thr_sum[i] += np.where(ok, r, 0.0).sum(axis=0)
                    thr_count[i] += ok.sum(axis=0)
            if p_common is not None:
                true_c = bin_average(cov, c)
                pred_c = binary_as_coverage(pred, length // c) if binary else bin_average(pred, c // b)
                p_common.update(pred_c, true_c)
            advance(rows.stop - rows.start)
        r_own = p_own.compute()
        result.put("wholechrom.pearson", r_own, names)
        if spearman is not None:
            result.put("wholechrom.spearman", spearman.compute(), names)
            result.tables["wholechrom_spearman"] = {
                "method": dict(zip(names, spearman.methods, strict=True)),
                "error_bound": dict(zip(names, spearman.error_bound.tolist(), strict=True)),
            }
        else:
            result.not_applicable["wholechrom.spearman"] = "disabled by the spearman option"
    finally:
        if spearman is not None:
            spearman.close()

    result.tables["wholechrom"] = {
        "n_windows": int(n_windows),
        "n_positions": dict(zip(names, p_own.n.astype(int).tolist(), strict=True)),
        "bin_size": int(b),
    }
    if binary:
        reason = (
            "a binary model's logits have no coverage scale (task conversion uses them for correlations only)"
        )
        for name in ("wholechrom.mse", "wholechrom.pearson_scaled", "wholechrom.mse_scaled"):
            result.not_applicable[name] = reason
        if common_reason is None:
            result.not_applicable["wholechrom_common.mse_scaled"] = reason
        result.not_applicable["thresholded"] = (
            "a binary model predicts one value per sequence: within-sequence Pearson is undefined"
        )
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = p_own.mean_y / p_own.mean_x
        factor = np.where(np.isfinite(factor), factor, np.nan)
        result.tables["scale_factors"] = dict(zip(names, factor.tolist(), strict=True))
        result.put("wholechrom.mse", m_own.compute(), names)
        result.put("wholechrom.pearson_scaled", r_own * np.sign(factor), names)
        result.put(
            "wholechrom.mse_scaled",
            scaled_mse_from_moments(
                p_own.n, p_own.mean_x, p_own.mean_y, p_own.m2x, p_own.m2y, p_own.cxy, factor
            ),
            names,
        )
        for i, th in enumerate(thresholds):
            with np.errstate(invalid="ignore", divide="ignore"):
                vals = np.where(thr_count[i] > 0, thr_sum[i] / np.maximum(thr_count[i], 1), np.nan)
            result.put(threshold_metric_name(th), vals, names)
        result.tables["thresholded"] = {
            "selection": "whole-chromosome tiles whose max true coverage over targets and positions > t",
            "n_sequences": {f"{th:g}": int(n) for th, n in zip(thresholds, thr_seqs, strict=True)},
            "n_defined": {
                f"{th:g}": dict(zip(names, thr_count[i].tolist(), strict=True))
                for i, th in enumerate(thresholds)
            },
        }
    if p_common is not None:
        result.put("wholechrom_common.pearson", p_common.compute(), names)
        result.tables["wholechrom_common"] = {"common_bin": c}
        if not binary:
            with np.errstate(invalid="ignore", divide="ignore"):
                factor_c = p_common.mean_y / p_common.mean_x
            mse_c = scaled_mse_from_moments(
                p_common.n,
                p_common.mean_x,
                p_common.mean_y,
                p_common.m2x,
                p_common.m2y,
                p_common.cxy,
                factor_c,
            )
            result.put("wholechrom_common.mse_scaled", mse_c, names)


def _perseq(
    source: _Source,
    cache: Any,
    options: EvalOptions,
    result: EvalResult,
    progress: _Progress,
    align: TargetAlignment,
) -> None:
    names = align.coverage_names
    if source.kind == "binary":
        result.not_applicable["perseq"] = (
            "a binary model predicts one value per sequence: within-sequence Pearson is undefined"
        )
        return
    split = _get_split(cache, "quantitative")
    length, b = source.input_length, source.bin_size
    width = split.seq.shape[1]
    if length > width:
        result.not_applicable["perseq"] = f"input length {length} exceeds the {width}-bp test chunks"
        return
    off = _central_offset(width, length)
    total = np.zeros(len(names))
    count = np.zeros(len(names), dtype=np.int64)
    advance = progress.task(f"per-sequence ({source.name})", len(split))
    for rows in _ranges(len(split), options.batch_size):
        codes = np.asarray(split.seq[rows, off : off + length])
        pred = source.window_predictions(split, rows, off, codes)
        true = bin_average(np.asarray(split.cov[rows, :, off : off + length], dtype=np.float32), b)
        r = per_sequence_pearson_matrix(pred, true)
        ok = np.isfinite(r)
        total += np.where(ok, r, 0.0).sum(axis=0)
        count += ok.sum(axis=0)
        advance(rows.stop - rows.start)
    with np.errstate(invalid="ignore", divide="ignore"):
        result.put("perseq.pearson", np.where(count > 0, total / np.maximum(count, 1), np.nan), names)
    result.tables["perseq"] = {
        "n_sequences": len(split),
        "n_defined": dict(zip(names, count.tolist(), strict=True)),
    }


def _peak(
    source: _Source,
    cache: Any,
    options: EvalOptions,
    result: EvalResult,
    progress: _Progress,
    align: TargetAlignment,
) -> None:
    names = align.coverage_names
    label_names = align.label_targets
    split = _get_split(cache, "binary")
    if split.labels is None:
        result.not_applicable["peak"] = "the peak-centered test split has no labels (no peak files)"
        return
    binary = source.kind == "binary"
    length, b = source.input_length, source.bin_size
    width = split.seq.shape[1]
    if length > width:
        result.not_applicable["peak"] = f"input length {length} exceeds the {width}-bp test chunks"
        return
    off = _central_offset(width, length)
    scores, mean_cov = [], []
    total = np.zeros(len(names))
    count = np.zeros(len(names), dtype=np.int64)
    advance = progress.task(f"peak-centered ({source.name})", len(split))
    label_scores = []
    for rows in _ranges(len(split), options.batch_size):
        codes = np.asarray(split.seq[rows, off : off + length])
        raw = source.window_predictions(split, rows, off, codes)
        label_scores.append(align.label_scores(sequence_scores(raw, source.kind)))
        pred = align.coverage_pred(raw)
        cov = align.coverage_true(np.asarray(split.cov[rows, :, off : off + length], dtype=np.float32))
        scores.append(sequence_scores(pred, source.kind))
        mean_cov.append(cov.mean(axis=2, dtype=np.float64))
        if not binary:
            r = per_sequence_pearson_matrix(pred, bin_average(cov, b))
            ok = np.isfinite(r)
            total += np.where(ok, r, 0.0).sum(axis=0)
            count += ok.sum(axis=0)
        advance(rows.stop - rows.start)
    score_arr = np.concatenate(scores)
    labels = np.asarray(split.labels)
    auroc, aupr = classification_metrics(np.concatenate(label_scores), labels)
    result.put("peak.auroc", auroc, label_names)
    result.put("peak.aupr", aupr, label_names)
    result.put("peak.pearson", sequence_pearson(score_arr, np.concatenate(mean_cov)), names)
    if binary:
        result.not_applicable["peak.pearson_perseq"] = (
            "a binary model predicts one value per sequence: within-sequence Pearson is undefined"
        )
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            result.put(
                "peak.pearson_perseq", np.where(count > 0, total / np.maximum(count, 1), np.nan), names
            )
    undefined = single_class_reasons(labels, label_names)
    result.tables["peak"] = {
        "n_sequences": int(labels.shape[0]),
        "n_positive": dict(zip(label_names, (labels > 0).sum(axis=0).tolist(), strict=True)),
        "score": "logit" if binary else "mean predicted coverage over the input window",
        "undefined": undefined,
    }


def _robustness(
    source: _Source,
    cache: Any,
    options: EvalOptions,
    result: EvalResult,
    progress: _Progress,
    align: TargetAlignment,
) -> None:
    names = align.coverage_names
    if source.kind == "binary":
        result.not_applicable["robustness"] = (
            "a binary model predicts one value per window: the variation score needs a coverage profile"
        )
        return
    if not source.can_predict_codes:
        result.not_applicable["robustness"] = f"{source.name} cannot predict shifted windows"
        return
    split = _get_split(cache, "binary")
    if split.labels is None:
        result.not_applicable["robustness"] = "the peak-centered test split has no labels (no peak files)"
        return
    labels = align.coverage_labels(np.asarray(split.labels))
    n_any = int((labels > 0).any(axis=1).sum())
    cap = options.robustness_max_sequences
    advance = progress.task(f"robustness ({source.name})", min(n_any, cap) if cap else n_any)
    try:
        res = robustness_evaluate(
            source.predict_codes,
            split.seq,
            labels,
            input_length=source.input_length,
            bin_size=source.bin_size,
            n_shifts=options.robustness_shifts,
            max_sequences=cap,
            seed=options.seed,
            batch_windows=max(options.batch_size, options.robustness_shifts),
            progress=advance,
        )
    except ConfigError as exc:
        result.not_applicable["robustness"] = exc.message
        return
    result.put("robustness.variation", res.per_target, names)
    result.tables["robustness"] = {
        "bin_size": res.bin_size,
        "offsets": res.offsets,
        "centre_bins": res.centre_bins,
        "n_selected": res.n_selected,
        "n_chunks": dict(zip(names, res.n_chunks.tolist(), strict=True)),
    }


def _load_cagi5() -> Callable[..., Any] | None:
    """The CAGI5 entry point, or None when its module is not installed."""
    try:
        from benchsuite.evaluate.cagi5 import cagi5_evaluate
    except ModuleNotFoundError as exc:
        if exc.name in ("benchsuite.evaluate.cagi5",):
            return None
        raise
    return cagi5_evaluate


def _load_motifs() -> tuple[Callable[..., Any], type[Exception]] | None:
    """The motif-recovery entry point and its NotApplicable exception, or None."""
    try:
        from benchsuite.evaluate.motifs import NotApplicable, motif_recovery
    except ModuleNotFoundError as exc:
        if exc.name in ("benchsuite.evaluate.motifs",):
            return None
        raise
    return motif_recovery, NotApplicable


def _cagi5(source: _Source, manifest: Any, options: EvalOptions, result: EvalResult) -> None:
    if not options.cagi5:
        result.not_applicable["cagi5"] = "disabled by the cagi5 option"
        return
    if not isinstance(source, _PredictorSource):
        result.not_applicable["cagi5"] = f"{source.name} has no predictions for variant sequences"
        return
    variants = getattr(manifest, "variants", None)
    if variants is None:
        result.not_applicable["cagi5"] = "the bundle has no variant set (manifest field 'variants')"
        return
    fn = _load_cagi5()
    if fn is None:
        result.not_applicable["cagi5"] = "the CAGI5 module (benchsuite.evaluate.cagi5) is not available"
        return
    res = fn(
        source.predictor,
        variants.sequences,
        variants.table,
        n_shifts=options.cagi5_shifts,
        seed=options.seed,
        max_variants_per_element=options.cagi5_max_variants_per_element,
        progress=options.progress,
    )
    result.put_scalar("cagi5.standard", res.standard)
    result.put_scalar("cagi5.robust", res.robust)
    result.tables["cagi5"] = {
        "per_element": list(res.per_element),
        "n_scored": int(res.n_scored),
        "n_mismatched": int(res.n_mismatched),
        "convention": getattr(res, "convention", None),
    }


def motif_exclusions(manifest: Any) -> tuple[str, ...]:
    """Database motifs left out of motif recovery for a bundle.

    The manifest's ``motif_exclude`` when given (an empty list excludes nothing). Otherwise,
    for a JASPAR-like database (a motif named with a JASPAR matrix ID such as ``MA0139.2``):
    :data:`~benchsuite.data.manifest.JASPAR_DEFAULT_EXCLUDE` (the paper's MA1929.1 and MA0615.1,
    every version) plus each motif whose mean information content is below
    :data:`~benchsuite.data.manifest.JASPAR_LOW_INFORMATION_BITS` bits per position. Other
    databases (e.g. a simulated bundle's planted motifs) lose nothing by default.
    """
    explicit = getattr(manifest, "motif_exclude", None)
    if explicit is not None:
        return tuple(explicit)
    database = getattr(manifest, "motifs", None)
    if database is None or getattr(manifest, "simulator", None) is not None or not Path(database).is_file():
        return ()
    import re

    from benchsuite.data.manifest import JASPAR_DEFAULT_EXCLUDE, JASPAR_LOW_INFORMATION_BITS
    from benchsuite.io.meme import read_meme

    motifs = read_meme(database)
    jaspar_id = re.compile(r"^MA\d{4}\.\d+$")
    if not any(jaspar_id.match(m.name) for m in motifs):
        return ()
    low = [m.name for m in motifs if mean_information_content(m.ppm) < JASPAR_LOW_INFORMATION_BITS]
    return tuple(dict.fromkeys([*JASPAR_DEFAULT_EXCLUDE, *low]))


def mean_information_content(ppm: np.ndarray) -> float:
    """Mean information content (bits per position, uniform background) of a ``(w, 4)`` PPM."""
    p = np.clip(np.asarray(ppm, dtype=np.float64), 1e-12, 1.0)
    return float((2.0 + (p * np.log2(p)).sum(axis=1)).mean())


@contextlib.contextmanager
def _torch_threads_kept() -> Iterator[None]:
    """Restore torch's intra-op thread count after code that may change it.

    memelite's Tomtom runs numba-parallel code; numba's OpenMP threading layer sets the OpenMP
    thread count to ``NUMBA_NUM_THREADS`` (all cores), which torch shares. Without this, every
    model trained later in the same process (the next cells of ``benchsuite run``) would use a
    different number of threads than the first one, hence different floating-point reductions
    and, through Adam, visibly different trained models: a cell's result would depend on the
    cells run before it (and a sharded run would not reproduce an unsharded one).
    """
    try:
        import torch
    except ModuleNotFoundError:  # pragma: no cover - torch is a dependency
        yield
        return
    threads = torch.get_num_threads()
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def _ground_truth_motifs(manifest: Any) -> list[str] | None:
    """All motifs of the planted MEME file of a simulated bundle (None for real data)."""
    if getattr(manifest, "simulator", None) is None or getattr(manifest, "motifs", None) is None:
        return None
    from benchsuite.io.meme import read_meme

    return [m.name for m in read_meme(manifest.motifs)]


def _motifs(
    source: _Source,
    cache: Any,
    manifest: Any,
    model: Any,
    first_layer: str | None,
    options: EvalOptions,
    result: EvalResult,
    out_dir: Path | None,
) -> None:
    if not options.motifs:
        result.not_applicable["motifs"] = "disabled by the motifs option"
        return
    if model is None:
        result.not_applicable["motifs"] = "no torch model was given (first-layer filters are needed)"
        return
    database = getattr(manifest, "motifs", None)
    if database is None:
        result.not_applicable["motifs"] = "the bundle has no motif database (manifest field 'motifs')"
        return
    loaded = _load_motifs()
    if loaded is None:
        result.not_applicable["motifs"] = "the motif module (benchsuite.evaluate.motifs) is not available"
        return
    motif_recovery, not_applicable = loaded
    split = _get_split(cache, "quantitative")
    width = split.seq.shape[1]
    length = min(source.input_length, width)
    off = _central_offset(width, length)
    codes = split.seq[:, off : off + length]
    kwargs: dict[str, Any] = {"ground_truth": _ground_truth_motifs(manifest)}
    excluded = motif_exclusions(manifest)
    if excluded:
        kwargs["exclude_motifs"] = excluded
    if out_dir is not None:
        kwargs["out_dir"] = Path(out_dir) / "motifs"
    if options.motifs_max_sequences is not None:
        kwargs["max_sequences"] = options.motifs_max_sequences
    try:
        with _torch_threads_kept():
            res = motif_recovery(model, first_layer, codes, database, **kwargs)
    except not_applicable as exc:
        result.not_applicable["motifs"] = str(getattr(exc, "reason", exc))
        return
    result.put_scalar("motifs.hit_ratio", res.hit_ratio)
    result.put_scalar("motifs.mean_best_q", res.mean_best_q)
    if res.recovery_rate is None:
        result.not_applicable["motifs.recovery_rate"] = (
            "no ground truth: recovery needs the planted motifs of a simulated bundle"
        )
    else:
        result.put_scalar("motifs.recovery_rate", res.recovery_rate)
    result.tables["motifs"] = {
        "matches": list(res.matches),
        "recovered": list(getattr(res, "recovered", []) or []),
        "n_filters": getattr(res, "n_filters", None),
        "excluded": list(excluded),
    }
    if getattr(res, "figure", None):
        result.figures["motifs.logos"] = str(res.figure)


# ----------------------------------------------------------------------------- entry points


def _alignment(kind: str, cache: Any) -> TargetAlignment:
    """Coverage vs label targets of a cache (caches without the distinction: the same list)."""
    coverage = tuple(cache.target_names)
    labels = tuple(getattr(cache, "label_target_names", coverage) or coverage)
    return TargetAlignment(kind, coverage, labels)


def _check_targets(source_names: Sequence[str], align: TargetAlignment, name: str) -> None:
    cache_names = align.model_targets
    if len(source_names) != len(cache_names):
        binary_labels = align.kind == "binary" and not align.same
        what = "label targets (targets with peaks)" if binary_labels else "targets"
        raise ConfigError(
            f"{name} predicts {len(source_names)} targets but the dataset has {len(cache_names)} {what}",
            source=name,
            hint="evaluate a model trained on this dataset",
        )
    generic = all(n == f"target{i}" for i, n in enumerate(source_names))
    if not generic and tuple(source_names) != cache_names:
        logger.warning(
            "%s target names %s differ from the dataset's %s; results use the dataset's names",
            name,
            list(source_names),
            list(cache_names),
        )


def _run_families(
    source: _Source,
    cache: Any,
    manifest: Any,
    options: EvalOptions,
    *,
    model: Any = None,
    first_layer: str | None = None,
    out_dir: Path | None = None,
    families: Sequence[str] = ("wholechrom", "perseq", "peak", "robustness", "cagi5", "motifs"),
) -> EvalResult:
    result = EvalResult()
    t0 = time.perf_counter()
    geometry = cache.geometry
    align = _alignment(source.kind, cache)
    if not align.same:
        result.tables["task_conversion"] = align.to_dict()
        if align.notes():
            result.not_applicable["task_conversion"] = "; ".join(align.notes())
    result.tables["evaluation"] = {
        "predictor": source.name,
        "kind": source.kind,
        "bin_size": int(source.bin_size),
        "input_length": int(source.input_length),
        "common_bin": int(geometry.common_bin),
        "thresholds": list(options.thresholds),
        "options": options.to_dict(),
    }
    with _Progress(options.progress) as progress:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("wholechrom", lambda: _wholechrom(source, cache, options, result, progress, align)),
            ("perseq", lambda: _perseq(source, cache, options, result, progress, align)),
            ("peak", lambda: _peak(source, cache, options, result, progress, align)),
            ("robustness", lambda: _robustness(source, cache, options, result, progress, align)),
            ("cagi5", lambda: _cagi5(source, manifest, options, result)),
            (
                "motifs",
                lambda: _motifs(source, cache, manifest, model, first_layer, options, result, out_dir),
            ),
        ]
        for family, step in steps:
            if family not in families:
                continue
            with _FamilyTimer(result, family):
                try:
                    step()
                except DatasetError as exc:  # a split the cache does not hold (e.g. no peaks)
                    result.not_applicable[family] = exc.message
                    logger.info("evaluate: %s not applicable: %s", family, exc.message)
    result.timings["total"] = time.perf_counter() - t0
    return result


def evaluate_predictor(
    predictor: Predictor,
    cache: Any,
    manifest: Any,
    *,
    model: Any = None,
    first_layer: str | None = None,
    options: EvalOptions | None = None,
    out_dir: str | Path | None = None,
) -> EvalResult:
    """Compute every metric family of the fixed harness for one predictor.

    Parameters
    ----------
    predictor:
        A :class:`~benchsuite.evaluate.predictors.Predictor` (TorchPredictor, OraclePredictor...).
    cache:
        The :class:`~benchsuite.data.cache.DatasetCache` of the dataset (test splits are used).
    manifest:
        The bundle's :class:`~benchsuite.data.manifest.Manifest` (variant set, motif database,
        simulator block).
    model:
        The torch model, for the motif family (default: ``predictor.model`` when present).
    first_layer:
        Dotted module path of the first-layer activation (``ModelSpec.first_layer_activation``).
    options:
        :class:`EvalOptions` (defaults when None).
    out_dir:
        Folder for figures (motif logos); nothing is written when None.

    Returns
    -------
    EvalResult

    Raises
    ------
    ConfigError
        The predictor does not fit the dataset (number of targets).
    ModelContractError
        The predictor returned NaN, wrong shapes or negative coverage.
    """
    options = options or EvalOptions()
    kind = str(predictor.kind)
    if kind not in ("binary", "quantitative"):
        name = str(getattr(predictor, "name", type(predictor).__name__))
        raise ConfigError(f"unknown predictor kind {kind!r}", source=name)
    align = _alignment(kind, cache)
    source = _PredictorSource(predictor, len(align.model_targets))
    _check_targets(tuple(predictor.target_names), align, source.name)
    if model is None:
        model = getattr(predictor, "model", None)
    return _run_families(
        source,
        cache,
        manifest,
        options,
        model=model,
        first_layer=first_layer,
        out_dir=Path(out_dir) if out_dir is not None else None,
    )


def evaluate_model(
    model: Any,
    task: Any,
    cache: Any,
    manifest: Any,
    *,
    first_layer: str | None = None,
    options: EvalOptions | None = None,
    out_dir: str | Path | None = None,
    name: str | None = None,
) -> EvalResult:
    """Convenience: wrap a torch model in a :class:`TorchPredictor` and run :func:`evaluate_predictor`.

    ``options.device`` and ``options.batch_size`` configure the predictor.
    """
    options = options or EvalOptions()
    predictor = TorchPredictor(model, task, device=options.device, batch_size=options.batch_size, name=name)
    return evaluate_predictor(
        predictor, cache, manifest, model=model, first_layer=first_layer, options=options, out_dir=out_dir
    )
