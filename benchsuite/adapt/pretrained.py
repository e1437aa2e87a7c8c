"""Score an already-trained (evaluate-only) model with the fixed harness, and its record.

:func:`evaluate_pretrained` loads the model through its plugin (``ModelSpec.load``), wraps it in
an :class:`~benchsuite.adapt.predictor.AdaptedPredictor` for the bundle (input length, bins,
genome context), resolves the target mapping (:mod:`benchsuite.adapt.targets`; a probe is fitted
on the training split, :mod:`benchsuite.adapt.probe`) and runs the harness.
:func:`pretrained_record` writes it as a ``kind: "model"`` record whose ``provenance`` says
``trained_by_suite: false`` and carries the hash of the loaded weights and the adaptation (row
kind ``"pretrained"`` or ``"probed"``), and whose ``hyperparameters.adaptation`` holds every
detail (input plan, bins, context counts, mapping matrix).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.adapt.context import GenomeLocator
from benchsuite.adapt.predictor import AdaptedModule, adapted_predictor
from benchsuite.adapt.probe import fit_probe
from benchsuite.adapt.targets import TargetMapping, default_mapping, explicit_mapping, names_mapping

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.evaluate import EvalOptions, EvalResult
    from benchsuite.plugins.manager import RegisteredModel

__all__ = ["benchmark_targets", "resolve_mapping", "evaluate_pretrained", "pretrained_record"]


def benchmark_targets(kind: str, cache: Any) -> tuple[str, ...]:
    """The targets a ``kind`` model predicts on ``cache``: label targets (binary) or coverage targets."""
    coverage = tuple(cache.target_names)
    if kind == "binary":
        return tuple(getattr(cache, "label_target_names", coverage) or coverage)
    return coverage


def resolve_mapping(
    module: AdaptedModule,
    registered: RegisteredModel,
    cache: Any,
    target_map: Mapping[str, Any] | str | None = None,
    *,
    source: str = "plugin",
) -> TargetMapping:
    """The mapping of ``target_map`` (default: the spec's), fitted when it is ``"probe"``."""
    spec = registered.spec
    chosen = target_map if target_map is not None else spec.target_map
    targets = benchmark_targets(module.kind, cache)
    tracks = module.tracks
    if chosen is None:
        return default_mapping(targets, tracks, plugin=registered.plugin, model=spec.name)
    if chosen == "names":
        return names_mapping(targets, tracks, plugin=registered.plugin, model=spec.name)
    if chosen == "probe":
        return fit_probe(module, cache, targets)
    assert isinstance(chosen, Mapping)
    return explicit_mapping(chosen, targets, tracks, plugin=registered.plugin, model=spec.name, source=source)


def _locator(manifest: Any, module: AdaptedModule) -> GenomeLocator | None:
    genome = getattr(manifest, "genome", None)
    if module.plan.mode != "context" or genome is None or not Path(genome).exists():
        return None
    from benchsuite.io.fasta import open_genome

    return GenomeLocator(open_genome(Path(genome)))


def evaluate_pretrained(
    registered: RegisteredModel,
    kind: str,
    cache: Any,
    manifest: Any,
    *,
    options: EvalOptions | None = None,
    device: str = "cpu",
    out_dir: Path | None = None,
    target_map: Mapping[str, Any] | str | None = None,
    map_source: str = "plugin",
    load_kwargs: Mapping[str, Any] | None = None,
) -> tuple[EvalResult, dict[str, Any]]:
    """Load an evaluate-only model and score it on ``cache`` (see the module docstring).

    Returns
    -------
    (result, info)
        The harness result (``tables["adaptation"]`` added; windows padded with N instead of
        genome context noted in ``not_applicable["adaptation.context"]``) and ``info``:
        ``weights_sha256``, ``adaptation``, ``row_kind``, ``seconds``, ``cpu_seconds``.

    Raises
    ------
    PluginError
        Loading failed, the model's bin does not fit the window, or the mapping names a track the
        model does not output.
    """
    from benchsuite.evaluate import EvalOptions, evaluate_predictor
    from benchsuite.results.provenance import weights_sha256

    started, cpu_started = time.perf_counter(), time.process_time()
    options = options or EvalOptions()
    model, native = registered.load(kind, **dict(load_kwargs or {}))
    spec = registered.spec
    name = f"model {registered.name} ({registered.tag})"
    module = AdaptedModule(
        model,
        native,
        window=int(cache.geometry.input_length),
        dataset_bins=tuple(cache.geometry.bin_sizes),
        name=spec.name,
    )
    module.locator = _locator(manifest, module)
    module.to(device)
    mapping = resolve_mapping(module, registered, cache, target_map, source=map_source)
    module.mapping = mapping
    predictor = adapted_predictor(
        module, device=device, batch_size=int(getattr(options, "batch_size", 128)), name=name
    )
    fla = spec.first_layer_activation
    result = evaluate_predictor(
        predictor,
        cache,
        manifest,
        model=module,
        first_layer=f"inner.{fla}" if fla and module.plan.mode == "same" else None,
        options=options,
        out_dir=out_dir,
    )
    adaptation = module.adaptation()
    result.tables["adaptation"] = adaptation
    note = module.context_note()
    if note:
        result.skip("adaptation.context", note)
    row_kind = "probed" if mapping.mode == "probe" else "pretrained"
    info = {
        "weights_sha256": weights_sha256(model.state_dict()),
        "adaptation": adaptation,
        "row_kind": row_kind,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
    }
    return result, info


def pretrained_record(
    *,
    registered: RegisteredModel,
    task: str,
    manifest: Any,
    cache: Any,
    profile: str | None,
    result: EvalResult,
    info: Mapping[str, Any],
    seed: int = 0,
    wandb: dict | None = None,
) -> dict[str, Any]:
    """The record of an evaluate-only model (``provenance.trained_by_suite: false``)."""
    from benchsuite.results.provenance import plugin_provenance
    from benchsuite.results.record import build_record

    adaptation = dict(info["adaptation"])
    spec = registered.spec
    targets = adaptation.get("targets") or {}
    return build_record(
        kind="model",
        model=spec.name,
        plugin=registered.plugin,
        distribution=registered.distribution,
        distribution_version=registered.version,
        task=task,
        dataset_name=manifest.name,
        dataset_fingerprint=cache.fingerprint,
        profile=profile,
        hyperparameters={
            "build": {},
            "training": None,
            "pretrained": {
                "input_length": spec.input_length,
                "bin_size": spec.bin_size,
                "output_tracks": list(spec.output_tracks),
            },
            "adaptation": adaptation,
        },
        seed=seed,
        evaluation=result.to_dict(),
        timings={
            "train_s": 0.0,
            "train_cpu_s": 0.0,
            "evaluate_s": round(float(info["seconds"]), 3),
            "evaluate_cpu_s": round(float(info["cpu_seconds"]), 3),
        },
        wandb=wandb,
        provenance={
            "plugin": plugin_provenance(registered),
            "weights_sha256": info["weights_sha256"],
            "bundle": None,
            "trained_by_suite": False,
            "adaptation": {
                "row_kind": str(info["row_kind"]),
                "input": str(adaptation["input"]["mode"]),
                "targets": str(targets.get("mode", "identity")),
            },
        },
    )
