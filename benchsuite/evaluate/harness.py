"""The fixed evaluation harness: every metric family for one source of predictions.

:func:`evaluate_predictor` is a short loop: one streaming pass per test split
(whole-chromosome tiles, coverage-threshold chunks, peak-centred chunks), each batch predicted
once and fed to every family of that split, then the families that make their own inputs
(robustness, CAGI5, motifs, interpretation). The families live in :mod:`benchsuite.evaluate.families`, the
statistics in :mod:`benchsuite.evaluate.stats` (one kernel per statistic), the metric names,
definitions and directions in :mod:`benchsuite.evaluate.registry` (rendered as
``docs/metrics.md``), and the protocol with the paper's definitions in ``docs/protocol.md``.

**Coverage targets and label targets.** Coverage metrics run over the dataset's coverage
targets (targets with a track), classification metrics over its label targets (targets with
peaks); a quantitative model predicts the former, a binary model the latter. When the two
lists differ, the task conversion pairs targets by name and otherwise uses cell-type-agnostic
means (:class:`~benchsuite.evaluate.conversion.TargetAlignment`); the rule applied is stored in
``tables["task_conversion"]`` and explained in ``not_applicable["task_conversion"]``.

A metric that does not apply is absent from ``metrics`` and its reason is in
``not_applicable`` (keyed by family, e.g. ``"robustness"``, or by metric name). Undefined
per-target values (e.g. a constant prediction) are None, and a metric's ``mean`` is the mean
over targets of the defined values (None if there is none).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import ConfigError, DatasetError
from benchsuite.evaluate.conversion import TargetAlignment
from benchsuite.evaluate.families import Context, Family, StreamingFamily, default_families
from benchsuite.evaluate.families.base import is_sequence_set
from benchsuite.evaluate.options import DEFAULT_THRESHOLDS, EvalOptions
from benchsuite.evaluate.predictors import Predictor, TorchPredictor
from benchsuite.evaluate.registry import threshold_metric_name
from benchsuite.evaluate.result import EvalResult, NotApplicable
from benchsuite.evaluate.resume import EvalProgressStore
from benchsuite.evaluate.sources import PredictorSource, Progress, Source
from benchsuite.evaluate.stats.bootstrap import BOOTSTRAP_SEED, block_size_bp
from benchsuite.evaluate.stream import stream_split
from benchsuite.evaluate.types import CacheLike, ManifestLike

__all__ = [
    "DEFAULT_THRESHOLDS",
    "EvalOptions",
    "EvalResult",
    "evaluate_model",
    "evaluate_predictor",
    "run_families",
    "threshold_metric_name",
]

logger = logging.getLogger(__name__)


def _alignment(kind: str, cache: CacheLike) -> TargetAlignment:
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


def _block_bp(cache: CacheLike, options: EvalOptions) -> int:
    """Bootstrap block length of a dataset: ``bootstrap_block_bp``, shortened so the test
    chromosomes (the span of the whole-chromosome tiles) hold ``bootstrap_min_blocks`` blocks."""
    try:
        split = cache.split("wholechrom", "test")
        coords, width = np.asarray(split.coords), int(split.seq.shape[1])
    except DatasetError:
        return int(options.bootstrap_block_bp)
    span = 0
    for chrom in np.unique(coords[:, 0]) if len(coords) else []:
        starts = coords[coords[:, 0] == chrom, 1]
        span += int(starts.max()) + width - int(starts.min())
    return block_size_bp(
        span, target_bp=options.bootstrap_block_bp, min_blocks=options.bootstrap_min_blocks, quantum=width
    )


def _run_standalone(ctx: Context, family: Family, result: EvalResult) -> None:
    t0 = time.perf_counter()
    logger.info("evaluate: %s ...", family.key)
    try:
        family.check(ctx)
        result.merge(family.run(ctx))
    except NotApplicable as exc:
        result.skip(exc.key or family.key, exc.reason)
        logger.info("evaluate: %s not applicable: %s", family.key, exc.reason)
    except DatasetError as exc:  # a split the cache does not hold (e.g. no peaks)
        result.skip(family.key, exc.message)
        logger.info("evaluate: %s not applicable: %s", family.key, exc.message)
    dt = time.perf_counter() - t0
    result.timings[family.key] = result.timings.get(family.key, 0.0) + dt
    logger.info("evaluate: %s done in %.1f s", family.key, dt)


def run_families(
    source: Source,
    cache: CacheLike,
    manifest: ManifestLike,
    options: EvalOptions,
    *,
    model: Any = None,
    first_layer: str | None = None,
    out_dir: Path | None = None,
    families: Sequence[Family | StreamingFamily] | None = None,
    store: EvalProgressStore | None = None,
) -> EvalResult:
    """Run ``families`` (default: :func:`~benchsuite.evaluate.families.default_families`) for a source.

    With a ``store`` (:class:`~benchsuite.evaluate.resume.EvalProgressStore`) the partial result
    is persisted after each split pass and each standalone family, and units an interrupted
    earlier evaluation with the same key finished are taken from it instead of recomputed.
    """
    t0 = time.perf_counter()
    resumed = store.load() if store is not None else None
    result = resumed if resumed is not None else EvalResult()
    align = _alignment(source.kind, cache)
    if not align.same:
        result.tables["task_conversion"] = align.to_dict()
        if align.notes():
            result.skip("task_conversion", "; ".join(align.notes()))
    result.tables["evaluation"] = {
        "predictor": source.name,
        "kind": source.kind,
        "bin_size": int(source.bin_size),
        "input_length": int(source.input_length),
        "common_bin": int(cache.geometry.common_bin),
        "thresholds": list(options.thresholds),
        "options": options.to_dict(),
    }
    if is_sequence_set(cache):  # genome bundles' records carry no such key (unchanged)
        result.tables["evaluation"]["bundle_kind"] = "sequences"
    elif not align.coverage_targets:  # a genome with peak files only: no coverage at all
        result.tables["evaluation"]["bundle_kind"] = "peaks"
    families = list(families if families is not None else default_families())
    block_bp = _block_bp(cache, options)
    if options.bootstrap:
        earlier = result.tables.get("bootstrap") or {}  # a resumed evaluation's replicates stay
        result.tables["bootstrap"] = {
            "method": "block bootstrap, 95% percentile intervals of the mean over targets",
            "n_boot": int(options.bootstrap),
            "seed": BOOTSTRAP_SEED,
            "block_bp": int(block_bp),
            "replicates": dict(earlier.get("replicates") or {}),
            "units": dict(earlier.get("units") or {}),
        }
    with Progress(options.progress) as progress:
        ctx = Context(
            source, cache, manifest, options, align, progress, model, first_layer, out_dir, block_bp
        )
        splits = list(dict.fromkeys(f.split for f in families if isinstance(f, StreamingFamily)))
        for kind in splits:
            if store is None or not store.finished(f"split:{kind}"):
                members = [f for f in families if isinstance(f, StreamingFamily) and f.split == kind]
                stream_split(ctx, kind, members, result)
                _save(store, f"split:{kind}", result, t0)
        for family in families:
            unit = f"family:{family.key}"
            if not isinstance(family, StreamingFamily) and (store is None or not store.finished(unit)):
                _run_standalone(ctx, family, result)
                _save(store, unit, result, t0)
    result.timings["total"] = result.timings.get("resumed_total", 0.0) + time.perf_counter() - t0
    result.timings.pop("resumed_total", None)
    if store is not None:
        store.clear()
    return result


def _save(store: EvalProgressStore | None, unit: str, result: EvalResult, t0: float) -> None:
    """Persist the result after ``unit`` (the seconds spent so far travel as ``resumed_total``)."""
    if store is None:
        return
    earlier = result.timings.get("resumed_total", 0.0)
    result.timings["resumed_total"] = earlier + time.perf_counter() - t0
    store.save(unit, result)
    result.timings["resumed_total"] = earlier


def evaluate_predictor(
    predictor: Predictor,
    cache: CacheLike,
    manifest: ManifestLike,
    *,
    model: Any = None,
    first_layer: str | None = None,
    options: EvalOptions | None = None,
    out_dir: str | Path | None = None,
    store: EvalProgressStore | None = None,
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
    store:
        Makes the evaluation resumable after a kill, family by family
        (:class:`~benchsuite.evaluate.resume.EvalProgressStore`); None: not persisted.

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
    source = PredictorSource(predictor, len(align.model_targets))
    _check_targets(tuple(predictor.target_names), align, source.name)
    if model is None:
        model = getattr(predictor, "model", None)
    return run_families(
        source,
        cache,
        manifest,
        options,
        model=model,
        first_layer=first_layer,
        out_dir=Path(out_dir) if out_dir is not None else None,
        store=store,
    )


def evaluate_model(
    model: Any,
    task: Any,
    cache: CacheLike,
    manifest: ManifestLike,
    *,
    first_layer: str | None = None,
    options: EvalOptions | None = None,
    out_dir: str | Path | None = None,
    name: str | None = None,
    store: EvalProgressStore | None = None,
) -> EvalResult:
    """Convenience: wrap a torch model in a :class:`TorchPredictor` and run :func:`evaluate_predictor`.

    ``options.device`` and ``options.batch_size`` configure the predictor; ``store`` makes the
    evaluation resumable (see :func:`evaluate_predictor`).
    """
    options = options or EvalOptions()
    predictor = TorchPredictor(model, task, device=options.device, batch_size=options.batch_size, name=name)
    return evaluate_predictor(
        predictor,
        cache,
        manifest,
        model=model,
        first_layer=first_layer,
        options=options,
        out_dir=out_dir,
        store=store,
    )
