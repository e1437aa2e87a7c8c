"""Hand-built evaluations and records for the results and leaderboard tests.

The structure follows ``EvalResult.to_dict()`` from ARCHITECTURE.md: ``metrics`` (name ->
``{"mean", "per_target"}``, plus ``"ci95"`` where the metric has a bootstrap interval),
``tables`` (``evaluation`` with the model's ``bin_size``, ``common_bin`` and ``input_length``;
``bootstrap`` with the replicate means when given; ``ceiling`` for ceilings), ``figures``,
``not_applicable``, ``timings`` and ``harness_version``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from benchsuite.results.record import build_record, current_harness_version, write_record

TARGETS = ("celltype_A", "celltype_B")
FINGERPRINT = "ab" * 32
OTHER_FINGERPRINT = "cd" * 32
INPUT_LENGTH = 512
COMMON_BIN = 128
N_BOOT = 200


def replicate_means(mean: float, *, spread: float = 0.01, seed: int = 0, n_boot: int = N_BOOT) -> list[float]:
    """``n_boot`` bootstrap replicate means around ``mean`` (normal, standard deviation ``spread``).

    The same ``seed`` gives the same noise: records built with one seed share their resamples
    (what the harness guarantees for records of one dataset), so paired differences cancel it.
    """
    noise = np.random.default_rng(seed).standard_normal(n_boot)
    return [float(mean + spread * z) for z in noise]


def percentile_ci(replicates: Sequence[float | None]) -> list[float]:
    """The 2.5 / 97.5 percentiles of the finite replicates (the harness's ``ci95``)."""
    values = np.array([v for v in replicates if v is not None], dtype=float)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [float(lo), float(hi)]


def evaluation(
    means: dict[str, float | None],
    *,
    targets: tuple[str, ...] = TARGETS,
    not_applicable: dict[str, str] | None = None,
    figures: dict[str, str] | None = None,
    harness_version: str | None = None,
    tables: Mapping[str, object] | None = None,
    bootstrap: Mapping[str, Sequence[float | None]] | None = None,
    ci95: Mapping[str, Sequence[float]] | None = None,
) -> dict:
    """An EvalResult.to_dict()-like evaluation whose per-target values average to ``means``.

    ``bootstrap`` (metric -> replicate means) fills ``tables["bootstrap"]`` and each metric's
    ``ci95`` (percentiles of its replicates); ``ci95`` sets intervals directly (e.g. without
    replicates); ``tables`` are added to the default tables.
    """
    metrics = {}
    for name, mean in means.items():
        if mean is None:
            metrics[name] = {"mean": None, "per_target": {}}
            continue
        offsets = [0.01 * (i - (len(targets) - 1) / 2) for i in range(len(targets))]
        metrics[name] = {
            "mean": mean,
            "per_target": {t: mean + o for t, o in zip(targets, offsets, strict=True)},
        }
    all_tables: dict = {"cagi5_elements": [{"element": "E1", "standard": 0.1, "robust": 0.2}]}
    all_tables.update(tables or {})
    if bootstrap:
        lengths = {len(v) for v in bootstrap.values()}
        all_tables["bootstrap"] = {
            "method": "block bootstrap, 95% percentile intervals of the mean over targets",
            "n_boot": max(lengths),
            "seed": 0,
            "block_bp": 100_000,
            "replicates": {k: list(v) for k, v in bootstrap.items()},
            "units": {k: "blocks" for k in bootstrap},
        }
        for name, reps in bootstrap.items():
            if name in metrics and metrics[name]["mean"] is not None:
                metrics[name]["ci95"] = percentile_ci(reps)
    for name, interval in (ci95 or {}).items():
        metrics[name]["ci95"] = [float(interval[0]), float(interval[1])]
    return {
        "metrics": metrics,
        "tables": all_tables,
        "figures": figures or {},
        "not_applicable": not_applicable or {},
        "timings": {"wholechrom_s": 1.5, "total_s": 3.0},
        "harness_version": harness_version or current_harness_version(),
    }


FULL_MEANS = {
    "wholechrom.pearson": 0.6,
    "wholechrom.spearman": 0.55,
    "wholechrom.mse": 1.2,
    "wholechrom.mse_scaled": 1.1,
    "wholechrom_common.pearson": 0.7,
    "perseq.pearson": 0.4,
    "thresholded.pearson@2": 0.45,
    "thresholded.pearson@10": 0.5,
    "peak.auroc": 0.8,
    "peak.aupr": 0.5,
    "peak.pearson": 0.3,
    "peak_genome.auroc": 0.75,
    "peak_genome.aupr": 0.3,
    "robustness.variation": 0.05,
    "cagi5.standard": 0.2,
    "cagi5.robust": 0.25,
    "motifs.hit_ratio": 0.5,
    "motifs.mean_best_q": 0.01,
    "motifs.recovery_rate": 0.75,
    "motifs.decoy_match_rate": 0.05,
}


def make_record(
    model: str = "cnn",
    task: str = "quantitative",
    *,
    seed: int = 0,
    kind: str = "model",
    means: dict[str, float | None] | None = None,
    overrides: dict[str, float | None] | None = None,
    not_applicable: dict[str, str] | None = None,
    figures: dict[str, str] | None = None,
    fingerprint: str = FINGERPRINT,
    dataset_name: str = "sim-smoke-seed0",
    wandb: dict | None = None,
    bin_size: int | None = None,
    input_length: int = INPUT_LENGTH,
    common_bin: int = COMMON_BIN,
    bootstrap: Mapping[str, Sequence[float | None]] | None = None,
    ci95: Mapping[str, Sequence[float]] | None = None,
    plugin: str | None = None,
    distribution: str = "benchsuite",
    hyperparameters: Mapping[str, object] | None = None,
) -> dict:
    """A valid, checksummed record built by build_record.

    ``tables["evaluation"]`` gets the output bin (``bin_size``; default 1 for quantitative
    models and ceilings, the input length for binary models), the common bin and the input
    length. A ceiling also gets ``hyperparameters={"bin_size": ...}`` and
    ``tables["ceiling"]`` like ``benchsuite run`` writes them. ``plugin`` defaults to
    ``benchsuite.baselines`` for models and ``benchsuite`` for ceilings; ``hyperparameters``
    are merged into a model's defaults.
    """
    m = dict(FULL_MEANS if means is None else means)
    m.update(overrides or {})
    if bin_size is None:
        bin_size = input_length if task == "binary" and kind == "model" else 1
    tables: dict = {
        "evaluation": {
            "kind": task if kind == "model" else "quantitative",
            "bin_size": bin_size,
            "common_bin": common_bin,
            "input_length": input_length,
        },
        # tiles behind each threshold (one per threshold of the factory's thresholded metrics)
        "thresholded": {"n_sequences": {"2": 303, "10": 48}},
    }
    hyper: dict = {"lr": 1e-3, "batch_size": 64, "loss": "poisson", **dict(hyperparameters or {})}
    if kind == "ceiling":
        tables["ceiling"] = {"kind": model, "bin_size": bin_size}
        hyper = {"bin_size": bin_size}
    default_plugin = "benchsuite.baselines" if kind == "model" else "benchsuite"
    return build_record(
        kind=kind,
        model=model,
        plugin=plugin if plugin is not None else default_plugin,
        distribution=distribution,
        distribution_version="0.1.0",
        task=task,
        dataset_name=dataset_name,
        dataset_fingerprint=fingerprint,
        profile="smoke",
        hyperparameters=hyper,
        seed=seed,
        evaluation=evaluation(
            m, not_applicable=not_applicable, figures=figures, tables=tables, bootstrap=bootstrap, ci95=ci95
        ),
        timings={"train_s": 10.0, "evaluate_s": 3.0},
        wandb=wandb,
    )


def write(folder: Path, record: dict, name: str = "record.json") -> Path:
    """Write ``record`` to ``folder/name`` with write_record."""
    return write_record(Path(folder) / name, record)


def independent_checksum(record: dict) -> str:
    """The checksum computed directly from its definition (not via benchsuite): every field
    except ``checksum`` and ``signature``."""
    body = {k: v for k, v in record.items() if k not in ("checksum", "signature")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def reseal(record: dict) -> dict:
    """Recompute the checksum after a deliberate change (a 'valid' record with other content)."""
    record = dict(record)
    record["checksum"] = independent_checksum(record)
    return record
