"""Evaluate-only models through ``benchsuite run`` and ``benchsuite evaluate --model``: records say so."""

from __future__ import annotations

import torch

from benchsuite.adapt.scoring import evaluate_model_to_record
from benchsuite.results.record import read_record
from tests.run.conftest import run_options

from .conftest import echo_spec, registry_of

torch.set_num_threads(1)

MAP = {"celltype_A": "A", "celltype_B": {"C": 0.5, "G": 0.5}, "celltype_C": 3}


def test_run_scores_an_evaluate_only_model_without_training(smoke, tmp_path):
    from benchsuite.run.runner import run_benchmark

    manifest, cache = smoke
    registry = registry_of(echo_spec("echo-long", input_length=1024, target_map=MAP, tasks={"quantitative"}))
    options = run_options(manifest.root, tmp_path / "runs", cache.root.parent, models=("echo-long",))
    summary = run_benchmark(options, registry=registry)
    (outcome,) = [o for o in summary.outcomes if o.kind == "model"]
    assert outcome.status == "evaluated", outcome.error
    record = read_record(outcome.record)
    assert not (outcome.record.parent / "checkpoint.ckpt").exists()  # nothing was trained
    prov = record["provenance"]
    assert prov["trained_by_suite"] is False and prov["weights_sha256"].startswith("sha256:")
    assert prov["adaptation"] == {"row_kind": "pretrained", "input": "context", "targets": "explicit"}
    adaptation = record["hyperparameters"]["adaptation"]
    assert adaptation["input"]["left"] == 256 and adaptation["input"]["right"] == 256
    assert adaptation["targets"]["weights"] == [[1, 0, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 1]]
    assert adaptation["context"]["genome"] is True and adaptation["context"]["located"] > 0
    assert record["timings"]["train_s"] == 0.0 and "wholechrom.pearson" in record["metrics"]
    # the second run finds the record valid and skips the cell
    again = run_benchmark(options, registry=registry)
    assert [o.status for o in again.outcomes if o.kind == "model"] == ["skipped"]


def test_evaluate_model_with_a_probe_is_a_probed_row(smoke, tmp_path):
    manifest, cache = smoke
    registry = registry_of(echo_spec("echo-short", input_length=256, tasks={"binary"}))
    record, path = evaluate_model_to_record(
        "echo-short",
        bundle=manifest.root,
        out=tmp_path / "out",
        cache_dir=cache.root.parent,
        profile="smoke",
        cagi5=False,
        motifs=False,
        target_map="probe",
        registry=registry,
        progress=False,
    )
    assert path == tmp_path / "out" / "record.json" and read_record(path) == record
    assert record["task"] == "binary"
    assert record["provenance"]["adaptation"] == {"row_kind": "probed", "input": "tile", "targets": "probe"}
    targets = record["hyperparameters"]["adaptation"]["targets"]
    assert targets["fitted_on"] == "binary/train" and targets["link"] == "logit"
    assert "peak.auroc" in record["metrics"]
