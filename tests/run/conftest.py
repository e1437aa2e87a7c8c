"""Fixtures of the run tests: fake plugins (registered directly), a simulated smoke bundle, a finished run.

Helpers shared by the test modules: :func:`run_options` (a small smoke run of the fake models),
:func:`run_and_print` (run it, print the summary, return the summary and the console text) and
:func:`by_cell`; the ``finished_run`` fixture is such a run, done once per test.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path

import pytest
import torch
from rich.console import Console

from benchsuite.plugins import ModelSpec, Registry, TaskSpec, hookimpl, load_plugins
from benchsuite.run.runner import RunOptions, RunSummary, print_summary, run_benchmark
from benchsuite.run.summary import CellOutcome

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


def run_options(bundle: Path, out: Path, cache: Path, **kwargs) -> RunOptions:
    """A quick smoke run of the fake models: one epoch, no CAGI5/motifs/ceilings, W&B disabled."""
    base = dict(
        profile="smoke",
        bundle=bundle,
        out=out,
        seed=0,
        wandb="disabled",
        accelerator="cpu",
        cagi5=False,
        motifs=False,
        ceilings=False,
        cache_dir=cache,
        progress=False,
        max_epochs=1,
    )
    base.update(kwargs)
    return RunOptions(**base)


def run_and_print(options: RunOptions, registry: Registry) -> tuple[RunSummary, str]:
    """Run, print the summary to the same console; the summary and everything printed."""
    stream = io.StringIO()
    console = Console(file=stream, width=200, force_terminal=False)
    summary = run_benchmark(options, registry=registry, console=console)
    print_summary(summary, console)
    return summary, stream.getvalue()


def by_cell(summary: RunSummary) -> dict[tuple[str, str], CellOutcome]:
    """The model cells' outcomes by (model, task)."""
    return {(o.model, o.task): o for o in summary.outcomes if o.kind == "model"}


@pytest.fixture
def finished_run(tmp_path, smoke_bundle, smoke_cache_dir, registry) -> tuple[RunOptions, RunSummary, str]:
    """fake-conv (both tasks) + two broken models, run once: (options, summary, console text)."""
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-conv", "fake-broken", "fake-wrongshape"),
    )
    summary, text = run_and_print(options, registry)
    return options, summary, text
