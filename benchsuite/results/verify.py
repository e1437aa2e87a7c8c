"""``benchsuite verify``: re-run a record's cell from its pinned settings and compare.

Modes
-----
``retrain`` (default)
    Re-trains the cell (same model, task, seed, profile, epoch budget and dataset) into a scratch
    folder with the public run API (:func:`benchsuite.run.runner.run_benchmark`), then compares
    every metric entry of the new record with the record's and the hash of the new weights with
    the record's ``provenance.weights_sha256``. Refused ("could not verify", naming what differs)
    when the installed plugin's version or files hash, or the bundle's dataset fingerprint, is not
    the record's.
A record of a model the suite did not train (``provenance.trained_by_suite: false``) is
re-scored in both modes: the installed evaluate-only model is loaded, its weights hash checked
and it is evaluated again with the record's mapping (:mod:`.verify_pretrained`).

``reevaluate``
    Needs the cell's ``checkpoint.ckpt`` beside the record: checks its weights hash against the
    record, then re-runs only the evaluation
    (:func:`benchsuite.run.scoring.evaluate_checkpoint`). Cheap; proves the metrics follow from
    the weights.

The bundle is ``--bundle``, else the bundle stored in the record's provenance (or the
checkpoint) when it still exists, else, for a simulated dataset (``sim-<profile>-seed<seed>``),
the profile's simulated bundle made as ``benchsuite run`` makes it
(:func:`benchsuite.run.bundle.resolve_bundle`).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import BenchsuiteError, ConfigError, InputFileError, RecordError
from benchsuite.results.record import read_record
from benchsuite.results.verifications import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    MISMATCH,
    UNVERIFIABLE,
    VERIFIED,
    Verification,
    compare_metrics,
)
from benchsuite.results.verify_pretrained import is_pretrained

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.data.cache import DatasetCache
    from benchsuite.data.manifest import Manifest
    from benchsuite.plugins.manager import Registry
    from benchsuite.run.runner import RunOptions

__all__ = ["MODES", "verify_record", "verify_records"]

MODES = ("retrain", "reevaluate")


def _base(path: Path, mode: str, atol: float, rtol: float) -> Verification:
    return Verification(source=str(path), verdict=UNVERIFIABLE, mode=mode, atol=atol, rtol=rtol)


def verify_records(
    paths: list[Path],
    *,
    mode: str = "retrain",
    bundle: Path | None = None,
    out: Path | None = None,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    registry: Registry | None = None,
    cache_dir: Path | None = None,
) -> list[Verification]:
    """Verify each record (see :func:`verify_record`); one result per path, in order."""
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}", source="--mode", hint=f"use one of {', '.join(MODES)}")
    if atol < 0 or rtol < 0:
        raise ConfigError("tolerances must be >= 0", source="--atol/--rtol", hint="pass e.g. --atol 1e-6")
    for path in paths:
        if not Path(path).is_file():
            raise InputFileError(
                "record file not found", source=path, hint="pass record.json files of `benchsuite run`"
            )
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    return [
        verify_record(
            p, mode=mode, bundle=bundle, out=out, atol=atol, rtol=rtol, registry=registry, cache_dir=cache_dir
        )
        for p in paths
    ]


def verify_record(
    path: Path,
    *,
    mode: str = "retrain",
    bundle: Path | None = None,
    out: Path | None = None,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    registry: Registry,
    cache_dir: Path | None = None,
) -> Verification:
    """Verify one record; problems become a ``"could not verify"`` result with the reason.

    Parameters
    ----------
    path:
        The record file.
    mode:
        ``"retrain"`` or ``"reevaluate"`` (see the module docstring).
    bundle:
        The bundle to use (default: see the module docstring).
    out:
        Scratch folder of the re-run (default: a temporary folder, removed afterwards).
    atol, rtol:
        Values agree when ``|a - b| <= atol + rtol * |b|``.
    registry:
        The plugin registry.
    cache_dir:
        Dataset cache folder.
    """
    path = Path(path)
    result = _base(path, mode, atol, rtol)
    try:
        record = read_record(path)
        result.checksum = record["checksum"]
        result.model, result.task = record["model"]["name"], record["task"]
        result.seed, result.fingerprint = int(record["seed"]), record["dataset"]["fingerprint"]
        if record.get("kind") != "model":
            raise RecordError(
                "only model records can be verified (ceilings are recomputed by `benchsuite run`)"
            )
        provenance = record.get("provenance")
        if not isinstance(provenance, Mapping):
            raise RecordError("the record has no provenance (written before benchsuite recorded it)")
        _check_plugin(record, provenance, registry)
        with tempfile.TemporaryDirectory(prefix="benchsuite-verify-") as tmp:
            scratch = Path(out) if out is not None else Path(tmp)
            if is_pretrained(provenance):  # nothing to retrain: re-score the installed weights
                metrics, weights = _rescore(record, provenance, bundle, scratch, registry, cache_dir)
            elif mode == "reevaluate":
                metrics, weights = _reevaluate(path, record, provenance, bundle, registry, cache_dir)
            else:
                metrics, weights = _retrain(record, provenance, bundle, scratch, registry, cache_dir)
    except BenchsuiteError as exc:
        result.reason = exc.message
        return result
    _judge(result, record, provenance, metrics, weights)
    return result


def _judge(
    result: Verification,
    record: Mapping[str, Any],
    provenance: Mapping[str, Any],
    metrics: Mapping,
    weights: str,
) -> None:
    """Fill the verdict from the metric comparison and the weights hash."""
    expected_weights = provenance.get("weights_sha256")
    result.weights_match = expected_weights is not None and expected_weights == weights
    problems = []
    if not result.weights_match:
        problems.append(
            f"weights hash {weights[:19]}... differs from the record's {str(expected_weights)[:19]}..."
        )
    if metrics or result.weights_match:
        agree, worst, diff, problem = compare_metrics(
            record["metrics"], metrics, atol=result.atol, rtol=result.rtol
        )
        result.worst_metric, result.max_abs_diff = worst, diff
        if not agree and problem:
            problems.insert(0, problem)
    result.verdict = MISMATCH if problems else VERIFIED
    result.reason = "; ".join(problems) or None


def _check_plugin(record: Mapping[str, Any], provenance: Mapping[str, Any], registry: Registry) -> None:
    """The installed plugin is the record's (model registered, same version and files hash)."""
    from benchsuite.results.provenance import plugin_provenance

    name = record["model"]["name"]
    registered = registry.models.get(name)
    if registered is None:
        raise ConfigError(f"model {name!r} is not registered by any installed plugin")
    now = plugin_provenance(registered)
    then = provenance.get("plugin") or {}
    differs = [
        f"{key} {then.get(key)!r} in the record, {now.get(key)!r} installed"
        for key in ("distribution", "version", "files_sha256")
        if then.get(key) != now.get(key)
    ]
    if differs:
        raise ConfigError("the installed plugin differs from the record's: " + "; ".join(differs))


def _run_options(record: Mapping[str, Any], **kwargs: Any) -> RunOptions:
    """RunOptions pinned to the record: profile, seed, epoch budget, CAGI5/motifs as recorded."""
    from benchsuite.run.runner import RunOptions

    training = (record.get("hyperparameters") or {}).get("training") or {}
    reasons = " ".join(str(v) for v in (record.get("not_applicable") or {}).values())
    return RunOptions(
        models=(record["model"]["name"],),
        task=record["task"],
        profile=str(record["dataset"]["profile"] or "default"),
        seed=int(record["seed"]),
        max_epochs=training.get("max_epochs"),
        cagi5="disabled by the cagi5 option" not in reasons,
        motifs="disabled by the motifs option" not in reasons,
        ceilings=False,
        wandb="disabled",
        accelerator="cpu",
        progress=False,
        **kwargs,
    )


def _bundle_for(
    record: Mapping[str, Any], provenance: Mapping[str, Any], bundle: Path | None, scratch: Path
) -> Path:
    """``--bundle``, the stored bundle when it exists, or the simulated bundle of the profile."""
    if bundle is not None:
        return Path(bundle)
    stored = provenance.get("bundle")
    if stored and Path(stored).exists():
        return Path(stored)
    profile, seed = record["dataset"]["profile"], int(record["seed"])
    if record["dataset"]["name"] == f"sim-{profile}-seed{seed}":
        from rich.console import Console

        from benchsuite.run.bundle import resolve_bundle

        options = _run_options(record, out=scratch)
        return Path(resolve_bundle(options, Console(file=io.StringIO())))
    raise ConfigError(
        "no bundle to verify on" + (f" (the stored bundle {stored} does not exist)" if stored else ""),
        source="--bundle",
        hint="pass the bundle the record was made on with --bundle DIR",
    )


def _dataset(record: Mapping[str, Any], path: Path, cache_dir: Path | None) -> tuple[Manifest, DatasetCache]:
    """The bundle's manifest and cache, refused when its fingerprint is not the record's."""
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset

    manifest = load_manifest(path)
    cache = prepare_dataset(manifest, cache_dir=cache_dir, progress=False)
    expected = record["dataset"]["fingerprint"]
    if cache.fingerprint != expected:
        raise ConfigError(
            f"bundle {path} is dataset {cache.fingerprint[:12]}, the record's is {expected[:12]}",
            source="--bundle",
            hint="pass the bundle the record was made on",
        )
    return manifest, cache


def _retrain(
    record: Mapping[str, Any],
    provenance: Mapping[str, Any],
    bundle: Path | None,
    scratch: Path,
    registry: Registry,
    cache_dir: Path | None,
) -> tuple[Mapping[str, Any], str]:
    """Re-run the cell into ``scratch``; the new record's metrics and weights hash."""
    from rich.console import Console

    from benchsuite.results.provenance import weights_sha256
    from benchsuite.run.runner import cell_dir, run_benchmark
    from benchsuite.run.tuned import read_tuned, rewrite_tuned

    path = _bundle_for(record, provenance, bundle, scratch)
    _, cache = _dataset(record, path, cache_dir)
    options = _run_options(record, out=scratch, bundle=path, cache_dir=cache_dir)
    name = record["model"]["name"]
    tuned = rewrite_tuned(record, scratch / "tuned")
    if tuned is not None:  # a cell of `run --tuned`: the same overrides, from the record
        options = replace(options, models=(), task=None, tuned=(tuned,))
        name = f"{name}+{read_tuned(tuned).variant}"
    summary = run_benchmark(options, registry=registry, console=Console(file=io.StringIO()))
    if summary.failed:
        raise RecordError(f"the re-run failed: {summary.failed[0].error}")
    folder = cell_dir(scratch / cache.fingerprint[:12], name, record["task"], options.seed)
    rerun = read_record(folder / "record.json")
    return rerun["metrics"], weights_sha256(folder / "checkpoint.ckpt")


def _rescore(
    record: Mapping[str, Any],
    provenance: Mapping[str, Any],
    bundle: Path | None,
    scratch: Path,
    registry: Registry,
    cache_dir: Path | None,
) -> tuple[Mapping[str, Any], str]:
    """An evaluate-only model's record: load it and score it again (:mod:`.verify_pretrained`)."""
    from benchsuite.results.verify_pretrained import rescore_pretrained
    from benchsuite.run.scoring import eval_options_for

    path = _bundle_for(record, provenance, bundle, scratch)
    manifest, cache = _dataset(record, path, cache_dir)
    options = eval_options_for(_run_options(record))
    return rescore_pretrained(record, registry, manifest, cache, options)


def _reevaluate(
    record_path: Path,
    record: Mapping[str, Any],
    provenance: Mapping[str, Any],
    bundle: Path | None,
    registry: Registry,
    cache_dir: Path | None,
) -> tuple[Mapping[str, Any], str]:
    """Check the weights beside the record and re-run only its evaluation."""
    from benchsuite.results.provenance import weights_sha256
    from benchsuite.run.scoring import eval_options_for, evaluate_checkpoint

    checkpoint = record_path.parent / "checkpoint.ckpt"
    if not checkpoint.is_file():
        raise ConfigError(
            f"no checkpoint.ckpt beside the record ({checkpoint})",
            source="--mode reevaluate",
            hint="reevaluate needs the cell folder; use --mode retrain for a record alone",
        )
    weights = weights_sha256(checkpoint)
    if weights != provenance.get("weights_sha256"):
        return {}, weights  # judged a weights mismatch (and every metric missing)
    with tempfile.TemporaryDirectory(prefix="benchsuite-verify-") as tmp:
        path = _bundle_for(record, provenance, bundle, Path(tmp))
        manifest, cache = _dataset(record, path, cache_dir)
        options = _run_options(record)
        result, _task, _info, _seconds = evaluate_checkpoint(
            checkpoint, cache, manifest, options=eval_options_for(options), registry=registry
        )
    return result.to_dict()["metrics"], weights
