"""Hyperparameter tuning of a registered model: the space file, the tuned spec, the loop."""

from __future__ import annotations

import json

import pytest
import torch

from benchsuite.errors import ConfigError, InputFileError
from benchsuite.plugins import ModelSpec, TaskSpec, hookimpl, load_plugins
from benchsuite.search.candidate import CandidateResult
from benchsuite.search.tune import TUNED_FORMAT, read_tune_space, tuned_spec
from benchsuite.search.tune_loop import run_tuning

from .conftest import options


class TinyNet(torch.nn.Module):
    """conv -> ReLU -> global max -> linear (binary only)."""

    def __init__(self, task: TaskSpec, channels: int = 4, width: int = 9):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(4, channels, width, padding=width // 2)
        self.act = torch.nn.ReLU()
        self.fc = torch.nn.Linear(channels, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.conv1(x)).amax(-1))


SPEC = ModelSpec(
    name="tiny-tune",
    build=TinyNet,
    tasks={"binary"},
    defaults={"lr": 1e-3},
    profiles={"smoke": {"channels": 4}},
    first_layer_activation="act",
)


class _Plugin:
    @hookimpl
    def benchsuite_register_models(self, register):
        register(SPEC)


@pytest.fixture
def registry():
    return load_plugins(allow=(), extra=[_Plugin()])


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(
        "build:\n  channels: {choices: [2, 4, 8]}\n  width: {choices: [5, 9]}\n"
        "training:\n  lr: {low: 1.0e-4, high: 1.0e-2, log: true, steps: 3}\n",
        encoding="utf-8",
    )
    return path


def _stub(spec, folder, logger) -> CandidateResult:
    """Known reward: more channels and lr 1e-3 are better."""
    channels = spec.hparams("smoke")["channels"]
    return CandidateResult(channels / 8 - abs(spec.defaults["lr"] - 1e-3), 1.0, 2, 0.0)


def test_space_file_gives_choices_and_log_grids(space_file):
    space = read_tune_space(space_file)
    assert space.decisions() == [("build.channels", 3), ("build.width", 2), ("training.lr", 3)]
    assert space.params[2].values == (0.0001, 0.001, 0.01)
    assert space.values([2, 0, 1]) == ({"channels": 8, "width": 5}, {"lr": 0.001})


def test_a_budget_setting_cannot_be_tuned(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("training:\n  max_epochs: {choices: [1, 2]}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="training.max_epochs cannot be tuned") as info:
        read_tune_space(path)
    assert info.value.source == str(path)


def test_a_bad_range_is_refused(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("build:\n  channels: {low: 8, high: 2}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="build.channels: bad range low=8.0, high=2.0"):
        read_tune_space(path)


def test_tuned_spec_applies_build_and_training_overrides():
    spec = tuned_spec(SPEC, {"channels": 8}, {"lr": 0.01}, "smoke")
    assert spec.name == "tiny-tune" and spec.hparams("smoke") == {"channels": 8}
    assert spec.defaults["lr"] == 0.01 and SPEC.defaults["lr"] == 1e-3


def test_tuning_writes_the_best_point_as_a_tuned_profile(
    search_bundle, search_cache, tmp_path, registry, space_file
):
    opts = options(search_bundle, search_cache, tmp_path / "tune", candidates=12)
    result = run_tuning(opts, "tiny-tune", read_tune_space(space_file), registry=registry, evaluator=_stub)
    tuned = json.loads((tmp_path / "tune" / "tuned.json").read_text())
    assert tuned["format"] == TUNED_FORMAT and tuned["model"] == "tiny-tune"
    best = max(result.trials, key=lambda e: e["score"])
    assert tuned["search"]["score"] == best["score"] and tuned["search"]["candidate"] == best["index"]
    assert tuned["build"] == best["build"] and tuned["training"] == best["training"]
    assert tuned["build"]["channels"] == 8  # 12 random draws of 18 points find the widest model


def test_killed_tuning_resumes_without_repeating(search_bundle, search_cache, tmp_path, registry, space_file):
    calls = []

    def killing(spec, folder, logger):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return _stub(spec, folder, logger)

    opts = options(search_bundle, search_cache, tmp_path, architect="controller", candidates=4)
    space = read_tune_space(space_file)
    with pytest.raises(KeyboardInterrupt):
        run_tuning(opts, "tiny-tune", space, registry=registry, evaluator=killing)
    result = run_tuning(opts, "tiny-tune", space, registry=registry, evaluator=_stub)
    assert result.resumed == [0, 1] and result.trained == [2, 3]


def test_unknown_model_is_refused(search_bundle, search_cache, tmp_path, registry, space_file):
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        run_tuning(
            options(search_bundle, search_cache, tmp_path),
            "nope",
            read_tune_space(space_file),
            registry=registry,
        )


def test_real_tuning_trains_the_model_on_train_and_valid(
    search_bundle, search_cache, tmp_path, registry, space_file
):
    opts = options(search_bundle, search_cache, tmp_path, candidates=1, steps=2)
    result = run_tuning(opts, "tiny-tune", read_tune_space(space_file), registry=registry)
    (entry,) = result.trials
    assert entry.get("error") is None and entry["steps"] == 2 and 0.0 <= entry["score"] <= 1.0
    assert (tmp_path / "tuned.json").is_file()
