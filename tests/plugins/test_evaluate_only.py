"""Evaluate-only specs (plugin API 1.1): ModelSpec(load=...), its validation and RegisteredModel.load."""

from __future__ import annotations

import pytest
import torch

from benchsuite.errors import ModelContractError, PluginError
from benchsuite.plugins import API_VERSION, ModelSpec, TaskSpec, hookimpl, load_plugins


class Lin(torch.nn.Module):
    def __init__(self, task: TaskSpec):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, task.num_targets, 1)
        self.bin = task.bin_size

    def forward(self, x):
        return torch.nn.functional.softplus(torch.nn.functional.avg_pool1d(self.conv(x), self.bin))


def _load(task: TaskSpec, **kw):
    return Lin(task)


def _spec(**fields):
    base = dict(name="pre", load=_load, tasks={"quantitative"}, input_length=256, bin_size=32)
    base["output_tracks"] = ("a", "b")
    base.update(fields)
    return ModelSpec(**base)


def _registered(spec):
    class Plugin:
        @hookimpl
        def benchsuite_register_models(self, register):
            register(spec)

    registry = load_plugins(allow=[], extra=[Plugin()])
    assert not registry.errors, registry.errors
    return registry.get(spec.name)


def test_api_version_is_1_1():
    assert API_VERSION == "1.1"


def test_load_only_spec_is_evaluate_only():
    spec = _spec()
    assert spec.evaluate_only and spec.build is None and spec.output_tracks == ("a", "b")
    assert spec.native_task("quantitative") == TaskSpec("quantitative", 256, 2, 32, ("a", "b"))


def test_spec_with_build_and_load_is_trained_by_the_suite():
    assert not _spec(build=lambda task: Lin(task)).evaluate_only


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"load": None}, "neither build nor load is given"),
        ({"load": "x"}, "load must be callable, got str"),
        ({"input_length": None}, "input_length must be a positive integer, got None"),
        ({"input_length": 250}, "input_length 250 is not a multiple of bin_size 32"),
        ({"output_tracks": ()}, "output_tracks must be a non-empty sequence of names"),
        ({"output_tracks": ("a", "a")}, "output track 'a' is named twice"),
        ({"target_map": "guess"}, "unknown target_map mode 'guess'"),
    ],
)
def test_invalid_evaluate_only_fields(fields, message):
    with pytest.raises(PluginError, match=message):
        _spec(**fields)


def test_load_fields_without_load_are_refused():
    with pytest.raises(PluginError, match="describe a load model, but load is not given"):
        ModelSpec(name="x", build=_load, tasks={"quantitative"}, input_length=256)


def test_registered_load_returns_the_module_and_its_native_task():
    model, task = _registered(_spec()).load("quantitative")
    assert isinstance(model, Lin) and not model.training
    assert (task.input_length, task.bin_size, task.target_names) == (256, 32, ("a", "b"))


def test_an_evaluate_only_model_cannot_be_built():
    registered = _registered(_spec())
    with pytest.raises(PluginError, match="is evaluate-only .* and cannot be trained"):
        registered.build(TaskSpec("quantitative", 256, 2, 32))


def test_load_that_raises_is_a_plugin_error():
    def broken(task, **kw):
        raise FileNotFoundError("weights.pt")

    with pytest.raises(PluginError, match=r"loading the trained model 'pre' .* FileNotFoundError: weights"):
        _registered(_spec(load=broken)).load("quantitative")


def test_loaded_model_breaking_the_contract_is_reported():
    def wrong(task, **kw):
        return torch.nn.Conv1d(4, 2, 1)  # no pooling: (N, 2, 256) instead of (N, 2, 8)

    with pytest.raises(ModelContractError, match=r"output has shape \(2, 2, 256\), expected \(2, 2, 8\)"):
        _registered(_spec(load=wrong)).load("quantitative")
