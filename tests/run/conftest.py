"""Fixtures of the runner tests: fake plugins (registered directly) and a simulated smoke bundle."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import torch

from benchsuite.plugins import ModelSpec, Registry, TaskSpec, hookimpl, load_plugins

#: how often each fake model was built (training and evaluation both build)
BUILDS: Counter[str] = Counter()


class FakeConv(torch.nn.Module):
    """conv1 (the motif layer) -> ReLU -> head; quantitative: avg-pool to the bin + softplus;
    binary: global max pool -> linear logits."""

    def __init__(self, task: TaskSpec, channels: int = 8, width: int = 9):
        super().__init__()
        self.kind = task.kind
        self.bin = task.bin_size
        self.conv1 = torch.nn.Conv1d(4, channels, width, padding=width // 2)
        self.act = torch.nn.ReLU()
        self.mix = torch.nn.Conv1d(channels, channels, 9, padding=4)
        self.head = torch.nn.Conv1d(channels, task.num_targets, 1)
        self.fc = torch.nn.Linear(channels, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.mix(self.act(self.conv1(x))))
        if self.kind == "binary":
            return self.fc(h.amax(-1))
        out = self.head(h)
        if self.bin > 1:
            out = torch.nn.functional.avg_pool1d(out, self.bin)
        return torch.nn.functional.softplus(out)


def _counted(name: str, factory):
    def build(task: TaskSpec, **hparams):
        BUILDS[name] += 1
        log = os.environ.get("BENCHSUITE_TEST_BUILD_LOG")
        if log:  # subprocess tests count builds across processes
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{name} {task.kind}\n")
        return factory(task, **hparams)

    return build


def _raise(task: TaskSpec, **hparams):
    raise RuntimeError("this plugin is broken on purpose")


class _WrongShape(torch.nn.Module):
    def __init__(self, task: TaskSpec, **hparams):
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x.mean(-1))  # (N, 1) whatever the task


SPECS = [
    ModelSpec(
        name="fake-conv",
        build=_counted("fake-conv", FakeConv),
        tasks={"binary", "quantitative"},
        description="fake conv model",
        defaults={"lr": 0.01, "batch_size": 32},
        profiles={"smoke": {"channels": 8}},
        first_layer_activation="act",
    ),
    ModelSpec(
        name="fake-conv32",
        build=_counted("fake-conv32", FakeConv),
        tasks={"quantitative"},
        bin_size=32,
        description="fake conv model at 32 bp",
        defaults={"lr": 0.01, "batch_size": 32},
    ),
    ModelSpec(name="fake-broken", build=_raise, tasks={"quantitative"}, description="build raises"),
    ModelSpec(
        name="fake-wrongshape", build=_WrongShape, tasks={"quantitative"}, description="wrong output shape"
    ),
]


class FakeRunPlugin:
    """The fake plugin object (registered with ``load_plugins(extra=[...])``)."""

    @hookimpl
    def benchsuite_register_models(self, register):
        for spec in SPECS:
            register(spec)


def fake_registry() -> Registry:
    registry = load_plugins(allow=[], extra=[FakeRunPlugin()])
    assert not registry.errors, registry.errors
    return registry


@pytest.fixture
def registry() -> Registry:
    return fake_registry()


@pytest.fixture(scope="session")
def smoke_bundle(tmp_path_factory) -> Path:
    """A simulated smoke bundle (made once per session)."""
    from benchsuite.simulate.bundle import simulate_bundle

    root = tmp_path_factory.mktemp("smoke-bundle")
    return Path(simulate_bundle("smoke", root / "bundle", 0))


@pytest.fixture(scope="session")
def smoke_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("smoke-cache")
