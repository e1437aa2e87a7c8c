"""``benchsuite verify`` of an evaluate-only model's record: re-scored from the installed weights."""

from __future__ import annotations

import torch

from benchsuite.plugins import ModelSpec, TaskSpec
from benchsuite.results.verifications import MISMATCH, VERIFIED
from benchsuite.results.verify import verify_record
from benchsuite.results.verify_pretrained import recorded_mapping
from tests.run.conftest import run_options

from .conftest import BASE_TRACKS, EchoModel, registry_of

torch.set_num_threads(1)

MAP = {"celltype_A": "A", "celltype_B": {"C": 0.5, "G": 0.5}, "celltype_C": 3}


def _record(smoke, tmp_path, registry):
    from benchsuite.run.runner import run_benchmark

    manifest, cache = smoke
    options = run_options(manifest.root, tmp_path / "runs", cache.root.parent, models=("echo-long",))
    (outcome,) = [o for o in run_benchmark(options, registry=registry).outcomes if o.kind == "model"]
    assert outcome.status == "evaluated", outcome.error
    return outcome.record


#: the "weights file" of :func:`_spec`'s model: changing it between the record and the verify
#: is a weights change under the same plugin code
SCALE = {"value": 1.0}


def _load(task: TaskSpec, **kw) -> torch.nn.Module:
    model = EchoModel(task)
    with torch.no_grad():
        model.conv1.weight.mul_(SCALE["value"])
    return model


def _spec() -> ModelSpec:
    return ModelSpec(
        name="echo-long",
        load=_load,
        input_length=1024,
        output_tracks=BASE_TRACKS,
        target_map=MAP,
        tasks={"quantitative"},
    )


def test_verify_rescores_the_installed_weights(smoke, tmp_path):
    manifest, cache = smoke
    registry = registry_of(_spec())
    SCALE["value"] = 1.0
    path = _record(smoke, tmp_path, registry)
    for mode in ("reevaluate", "retrain"):  # nothing to retrain: both re-score
        result = verify_record(
            path, mode=mode, bundle=manifest.root, registry=registry, cache_dir=cache.root.parent
        )
        assert result.verdict == VERIFIED, result.reason
        assert result.weights_match is True and result.max_abs_diff == 0.0
    SCALE["value"] = 2.0  # other weights: another hash, other predictions
    try:
        result = verify_record(
            path, mode="reevaluate", bundle=manifest.root, registry=registry, cache_dir=cache.root.parent
        )
    finally:
        SCALE["value"] = 1.0
    assert result.verdict == MISMATCH and result.weights_match is False, result.reason
    assert "weights hash" in (result.reason or "")


def test_verify_refuses_a_suite_trained_model_of_the_same_name(smoke, tmp_path):
    """The record says evaluate-only; an installed model of that name without load cannot re-score it."""
    manifest, cache = smoke
    path = _record(smoke, tmp_path, registry_of(_spec()))
    trained = ModelSpec(name="echo-long", build=lambda task, **kw: EchoModel(task), tasks={"quantitative"})
    result = verify_record(
        path,
        mode="reevaluate",
        bundle=manifest.root,
        registry=registry_of(trained),
        cache_dir=cache.root.parent,
    )
    assert result.verdict == "could not verify"
    assert "not trained by the suite, but the installed" in (result.reason or ""), result.reason


def test_recorded_mapping_rebuilds_each_mode():
    explicit = {
        "mode": "explicit",
        "targets": ["a", "b"],
        "tracks": ["A", "C", "G"],
        "weights": [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]],
    }
    record = {"hyperparameters": {"adaptation": {"targets": explicit}}}
    assert recorded_mapping(record) == {"a": {"A": 1.0}, "b": {"C": 0.5, "G": 0.5}}
    for mode in ("probe", "names"):
        assert recorded_mapping({"hyperparameters": {"adaptation": {"targets": {"mode": mode}}}}) == mode
    assert recorded_mapping({"hyperparameters": {"adaptation": {"targets": {"mode": "identity"}}}}) is None
    assert recorded_mapping({"hyperparameters": {}}) is None
