"""Score a trained checkpoint: a run's evaluation options, the fixed harness on it, its record.

Shared by the cells of ``benchsuite run`` (:mod:`benchsuite.run.cells`) and by
``benchsuite evaluate`` (:mod:`benchsuite.run.evaluate`):

- :data:`EVAL_PROFILES` / :func:`eval_options_for`: the harness options of a run (the profile's
  evaluation budget, ``--no-cagi5``, ``--no-motifs``); :func:`eval_device`: where it runs;
- :func:`evaluate_checkpoint`: reload a trained cell and run the harness on it;
- :func:`model_record`: the result record of a trained model.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchsuite.data.cache import DatasetCache
    from benchsuite.data.manifest import Manifest
    from benchsuite.evaluate import EvalOptions, EvalResult
    from benchsuite.evaluate.resume import EvalProgressStore
    from benchsuite.plugins.manager import RegisteredModel, Registry
    from benchsuite.plugins.spec import TaskSpec
    from benchsuite.run.runner import RunOptions

__all__ = [
    "EVAL_PROFILES",
    "EVAL_FIGURES",
    "eval_options_for",
    "eval_device",
    "evaluate_checkpoint",
    "model_record",
]

#: evaluation budget per profile (keyword arguments of ``EvalOptions`` that exist are used)
EVAL_PROFILES: dict[str, dict[str, Any]] = {
    # seconds per cell: small subsets for the slow families (robustness, CAGI5, motifs)
    "smoke": {
        "robustness_max_sequences": 16,
        "cagi5_shifts": 4,
        "cagi5_max_variants_per_element": 40,
        "motifs_max_sequences": 64,
        "interpret_sequences": 16,
        "interpret_ism_sequences": 2,
        "interpret_ism_span": 48,
        "interpret_gia_backgrounds": 4,
        "interpret_distance_step": 12,
        "interpret_max_distance": 48,
    },
    # CPU-sized: the paper's 20 robustness shifts on a capped subset; CAGI5 (the costliest
    # family: variants x alleles x shifts windows) with 5 shifts and <= 60 variants per element
    "default": {
        "robustness_max_sequences": 60,
        "cagi5_shifts": 5,
        "cagi5_max_variants_per_element": 60,
        "motifs_max_sequences": 300,
        "interpret_sequences": 48,
        "interpret_ism_sequences": 2,
        "interpret_ism_span": 64,
        "interpret_gia_backgrounds": 4,
        "interpret_distance_step": 8,
        "interpret_max_distance": 64,
    },
    # the harness defaults
    "paper": {},
}
EVAL_PROFILES["converge"] = dict(EVAL_PROFILES["default"])  # trained longer, scored like default
# the primer's sequence set: motif recovery on 200 of the 500 test sequences (the other
# families either score every test sequence or do not apply to a sequence set)
EVAL_PROFILES["primer"] = {"motifs_max_sequences": 200}

#: whether the harness draws figures (sequence logos) per profile; logos cost seconds per cell
EVAL_FIGURES: dict[str, bool] = {"smoke": False, "default": True, "paper": True, "primer": False}


def eval_options_for(options: RunOptions, *, device: str = "cpu") -> EvalOptions:
    """The harness ``EvalOptions`` of a run (profile budget, ``--no-cagi5``, ``--no-motifs``).

    Keys of :data:`EVAL_PROFILES` that the installed ``EvalOptions`` does not know are ignored,
    so the budget table stays valid across harness versions.
    """
    from benchsuite.evaluate import EvalOptions

    wanted: dict[str, Any] = dict(EVAL_PROFILES.get(options.profile, {}))
    wanted.update({"cagi5": options.cagi5, "motifs": options.motifs, "device": device})
    if dataclasses.is_dataclass(EvalOptions):
        known = {f.name for f in dataclasses.fields(EvalOptions)}
    else:
        known = set(inspect.signature(EvalOptions).parameters)
    return EvalOptions(**{k: v for k, v in wanted.items() if k in known})


def eval_device(options: RunOptions) -> str:
    """The torch device of the evaluation: ``--accelerator`` when it is available, else ``"cpu"``."""
    accelerator = (options.accelerator or "auto").lower()
    if accelerator == "cpu":
        return "cpu"
    import torch

    if accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available():
        return "cuda"
    if accelerator == "mps" and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def evaluate_checkpoint(
    checkpoint: Path,
    cache: DatasetCache,
    manifest: Manifest,
    *,
    options: EvalOptions | None,
    registry: Registry | None = None,
    device: str = "cpu",
    out_dir: Path | None = None,
    resumable: bool = True,
) -> tuple[EvalResult, TaskSpec, dict[str, Any], float]:
    """Reload a trained cell and run the fixed harness on it.

    With ``resumable`` the evaluation persists its progress next to the checkpoint after each
    family (:mod:`benchsuite.evaluate.resume`), so a killed evaluation resumes where it stopped.

    Returns
    -------
    (result, task, info, seconds)
        The harness ``EvalResult``, the model's ``TaskSpec``, the checkpoint info of
        :func:`benchsuite.train.module.load_trained_model` (plus ``evaluate_cpu_seconds``) and
        the evaluation wall time.
    """
    from benchsuite.evaluate import TorchPredictor, evaluate_predictor
    from benchsuite.train.module import load_trained_model

    started = time.perf_counter()
    cpu_started = time.process_time()
    model, task, info = load_trained_model(checkpoint, registry=registry)
    predictor = TorchPredictor(
        model, task, device=device, name=f"model {info['model']} (plugin {info['plugin']})"
    )
    spec = info["registered"].spec
    result = evaluate_predictor(
        predictor,
        cache,
        manifest,
        model=model,
        first_layer=spec.first_layer_activation,
        options=options,
        out_dir=out_dir,
        store=_progress_store(checkpoint, cache, options, device, out_dir) if resumable else None,
    )
    info["evaluate_cpu_seconds"] = time.process_time() - cpu_started
    return result, task, info, time.perf_counter() - started


def _progress_store(
    checkpoint: Path, cache: DatasetCache, options: EvalOptions | None, device: str, out_dir: Path | None
) -> EvalProgressStore:
    """The resume store of a checkpoint's evaluation, keyed by what the numbers depend on."""
    import hashlib

    from benchsuite.evaluate import HARNESS_VERSION, EvalOptions
    from benchsuite.evaluate.resume import EvalProgressStore, evaluation_key

    digest = hashlib.sha256()
    with open(checkpoint, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    key = evaluation_key(
        {
            "harness_version": HARNESS_VERSION,
            "checkpoint_sha256": digest.hexdigest(),
            "dataset": cache.fingerprint,
            "options": (options or EvalOptions()).to_dict(),
            "device": device,
            "figures": out_dir is not None,
        }
    )
    return EvalProgressStore(Path(checkpoint).parent, key)


def model_record(
    *,
    registered: RegisteredModel,
    task: str,
    manifest: Manifest,
    cache: DatasetCache,
    profile: str | None,
    seed: int,
    build_hparams: Mapping[str, Any],
    train_info: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    eval_seconds: float,
    wandb: dict | None,
    eval_cpu_seconds: float | None = None,
    checkpoint: Path | None = None,
) -> dict[str, Any]:
    """The result record of a trained model (``kind="model"``), built and checksummed.

    Parameters
    ----------
    registered:
        The ``RegisteredModel``.
    task:
        ``"binary"`` or ``"quantitative"``.
    manifest, cache:
        The bundle manifest and its ``DatasetCache`` (name and fingerprint go in the record).
    profile, seed:
        The run's profile and seed.
    build_hparams:
        Keyword arguments the model was built with.
    train_info:
        The cell's ``train.json`` (training settings, epochs, best validation loss, timing).
    evaluation:
        ``EvalResult.to_dict()``.
    eval_seconds:
        Wall time of the evaluation.
    eval_cpu_seconds:
        CPU time of the evaluation (all threads of the process).
    wandb:
        ``WandbRun.reference``.
    checkpoint:
        The cell's ``checkpoint.ckpt``: the record's ``provenance`` gets the hash of its weights
        (and always the plugin's distribution, version and files hash; see
        :mod:`benchsuite.results.provenance`).
    """
    from benchsuite.results.provenance import build_provenance
    from benchsuite.results.record import build_record

    extra = train_info.get("extra")
    bundle = extra.get("bundle") if isinstance(extra, Mapping) else None

    return build_record(
        kind="model",
        model=registered.spec.name,
        plugin=registered.plugin,
        distribution=registered.distribution,
        distribution_version=registered.version,
        task=task,
        dataset_name=manifest.name,
        dataset_fingerprint=cache.fingerprint,
        profile=profile,
        hyperparameters={
            "build": dict(build_hparams),
            "training": train_info.get("training"),
            "epochs_trained": train_info.get("epochs_trained"),
            "global_steps": train_info.get("global_steps"),
            "data_passes": train_info.get("data_passes"),
            "trainer": train_info.get("trainer"),
            "best_val_loss": train_info.get("best_val_loss"),
            "threads_per_cell": _intra_op_threads(),
            **({"tuned": dict(registered.tuned)} if registered.tuned else {}),
        },
        seed=seed,
        evaluation=dict(evaluation),
        timings={
            "train_s": float(train_info.get("train_seconds") or 0.0),
            "train_cpu_s": float(train_info.get("train_cpu_seconds") or 0.0),
            "evaluate_s": round(float(eval_seconds), 3),
            "evaluate_cpu_s": round(float(eval_cpu_seconds or 0.0), 3),
        },
        wandb=wandb,
        provenance=build_provenance(
            registered, checkpoint=checkpoint, bundle=str(bundle) if bundle else None
        ),
    )


def _intra_op_threads() -> int:
    """The intra-op thread count this process computes with (``benchsuite run --threads-per-cell``)."""
    import torch

    return int(torch.get_num_threads())
