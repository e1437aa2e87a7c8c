"""Hand-built evaluations and records for the results and leaderboard tests.

The structure follows ``EvalResult.to_dict()`` from ARCHITECTURE.md: ``metrics`` (name ->
``{"mean", "per_target"}``), ``tables``, ``figures``, ``not_applicable``, ``timings`` and
``harness_version``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from benchsuite.results.record import build_record, current_harness_version, write_record

TARGETS = ("celltype_A", "celltype_B")
FINGERPRINT = "ab" * 32
OTHER_FINGERPRINT = "cd" * 32


def evaluation(
    means: dict[str, float | None],
    *,
    targets: tuple[str, ...] = TARGETS,
    not_applicable: dict[str, str] | None = None,
    figures: dict[str, str] | None = None,
    harness_version: str | None = None,
) -> dict:
    """An EvalResult.to_dict()-like evaluation whose per-target values average to ``means``."""
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
    return {
        "metrics": metrics,
        "tables": {"cagi5_elements": [{"element": "E1", "standard": 0.1, "robust": 0.2}]},
        "figures": figures or {},
        "not_applicable": not_applicable or {},
        "timings": {"wholechrom_s": 1.5, "total_s": 3.0},
        "harness_version": harness_version or current_harness_version(),
    }


FULL_MEANS = {
    "wholechrom.pearson": 0.6,
    "wholechrom.spearman": 0.55,
    "wholechrom.mse": 1.2,
    "wholechrom.pearson_scaled": 0.61,
    "wholechrom_common.pearson": 0.7,
    "perseq.pearson": 0.4,
    "thresholded.pearson@2": 0.45,
    "thresholded.pearson@10": 0.5,
    "peak.auroc": 0.8,
    "peak.aupr": 0.5,
    "peak.pearson": 0.3,
    "robustness.variation": 0.05,
    "cagi5.standard": 0.2,
    "cagi5.robust": 0.25,
    "motifs.hit_ratio": 0.5,
    "motifs.mean_best_q": 0.01,
    "motifs.recovery_rate": 0.75,
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
) -> dict:
    """A valid, checksummed record built by build_record."""
    m = dict(FULL_MEANS if means is None else means)
    m.update(overrides or {})
    return build_record(
        kind=kind,
        model=model,
        plugin="benchsuite.baselines" if kind == "model" else "benchsuite",
        distribution="benchsuite",
        distribution_version="0.1.0",
        task=task,
        dataset_name=dataset_name,
        dataset_fingerprint=fingerprint,
        profile="smoke",
        hyperparameters={"lr": 1e-3, "batch_size": 64, "loss": "poisson"},
        seed=seed,
        evaluation=evaluation(m, not_applicable=not_applicable, figures=figures),
        timings={"train_s": 10.0, "evaluate_s": 3.0},
        wandb=wandb,
    )


def write(folder: Path, record: dict, name: str = "record.json") -> Path:
    """Write ``record`` to ``folder/name`` with write_record."""
    return write_record(Path(folder) / name, record)


def independent_checksum(record: dict) -> str:
    """The checksum computed directly from its definition (not via benchsuite)."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def reseal(record: dict) -> dict:
    """Recompute the checksum after a deliberate change (a 'valid' record with other content)."""
    record = dict(record)
    record["checksum"] = independent_checksum(record)
    return record
