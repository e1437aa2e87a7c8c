"""ModelSpec / TaskSpec validation and helpers."""

from __future__ import annotations

import dataclasses

import pytest

from benchsuite.errors import PluginError
from benchsuite.plugins import ModelSpec, TaskSpec


def build(task, **hparams):  # pragma: no cover - never called here
    raise AssertionError


def test_taskspec_shapes():
    q = TaskSpec("quantitative", input_length=1024, num_targets=5, bin_size=32)
    assert q.num_bins == 32
    assert q.output_shape(7) == (7, 5, 32)
    b = TaskSpec("binary", input_length=1024, num_targets=5)
    assert b.output_shape(7) == (7, 5)
    base = TaskSpec("quantitative", 512, 3)
    assert base.output_shape(2) == (2, 3, 512)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "regression", "input_length": 64, "num_targets": 1}, "unknown task kind 'regression'"),
        ({"kind": "binary", "input_length": 0, "num_targets": 1}, "input_length must be a positive integer"),
        ({"kind": "binary", "input_length": 64, "num_targets": -1}, "num_targets must be a positive"),
        ({"kind": "binary", "input_length": 64.0, "num_targets": 1}, "input_length must be a positive"),
        ({"kind": "quantitative", "input_length": 100, "num_targets": 1, "bin_size": 32}, "not a multiple"),
        ({"kind": "binary", "input_length": 64, "num_targets": 2, "target_names": ("a",)}, "1 target names"),
    ],
)
def test_taskspec_validation(kwargs, match):
    with pytest.raises(PluginError, match=match):
        TaskSpec(**kwargs)


def test_taskspec_is_frozen_and_normalises_names():
    task = TaskSpec("binary", 64, 2, target_names=["x", "y"])
    assert task.target_names == ("x", "y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.num_targets = 3  # type: ignore[misc]


def test_modelspec_normalises_fields_and_freezes_mappings():
    spec = ModelSpec(
        "my-model_v1.2",
        build,
        ["quantitative"],
        bin_size=32,
        defaults={"lr": 1e-3, "loss": {"binary": "bce", "quantitative": "poisson"}},
        profiles={"smoke": {"width": 4}},
        first_layer_activation="trunk.conv1.act",
    )
    assert spec.tasks == frozenset({"quantitative"})
    with pytest.raises(TypeError):
        spec.defaults["lr"] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        spec.profiles["smoke"]["width"] = 8  # type: ignore[index]
    hp = spec.hparams("smoke")
    hp["width"] = 99  # a copy
    assert spec.hparams("smoke") == {"width": 4}
    assert spec.hparams("paper") == {}
    assert spec.defaults_for("quantitative") == {"lr": 1e-3, "loss": "poisson"}
    assert spec.defaults_for("binary") == {"lr": 1e-3, "loss": "bce"}
    assert hash(spec) == hash(spec)


def test_modelspec_task_spec_uses_model_bin_size():
    spec = ModelSpec("m", build, {"binary", "quantitative"}, bin_size=128)
    assert spec.task_spec("quantitative", input_length=1024, num_targets=3) == TaskSpec(
        "quantitative", 1024, 3, 128
    )
    assert spec.task_spec("binary", input_length=1024, num_targets=3).bin_size == 1
    only_q = ModelSpec("q", build, {"quantitative"})
    with pytest.raises(PluginError, match="does not support the 'binary' task"):
        only_q.task_spec("binary", input_length=64, num_targets=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "invalid model name"),
        ({"name": "Has Space"}, "invalid model name"),
        ({"name": "UPPER"}, "invalid model name"),
        ({"build": "not callable"}, "build must be callable"),
        ({"tasks": set()}, "tasks is empty"),
        ({"tasks": {"binary", "regression"}}, "unknown task kind"),
        ({"tasks": "binary"}, "tasks must be a set"),
        ({"bin_size": 0}, "bin_size must be a positive integer"),
        ({"bin_size": True}, "bin_size must be a positive integer"),
        ({"defaults": [("lr", 1)]}, "defaults must be a mapping"),
        ({"profiles": {"smoke": 3}}, r"profiles\['smoke'\] must be a mapping"),
        ({"first_layer_activation": "conv1..act"}, "dotted module path"),
        ({"description": None}, "description must be a string"),
    ],
)
def test_modelspec_validation_names_model_and_field(kwargs, match):
    fields = {"name": "model-x", "build": build, "tasks": {"binary"}, **kwargs}
    with pytest.raises(PluginError, match=match) as info:
        ModelSpec(**fields)
    assert info.value.hint
    if "name" not in kwargs:
        assert "model-x" in str(info.value)
