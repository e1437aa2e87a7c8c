"""A corpus of faulty plugins: each misbehaves in one way the suite must detect and survive.

Entry points (``*_ep()``) go through ``install_entry_points``; plugin objects (classes below)
through ``load_plugins(extra=[...])``. The models are the fake run models of ``tests/run`` with
one fault each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchsuite.plugins import ModelSpec, TaskSpec, hookimpl
from tests.plugins.fakes import FakeEntryPoint, failing_ep, fake_dist, make_spec
from tests.run.conftest import FakeConv

#: what the noisy plugins print (at import through sys.stdout and fd 1, in forward through print)
NOISE = "NOISE-FROM-PLUGIN"


def _plugin(*specs: ModelSpec, cls_name: str) -> object:
    def hook(self, register):
        for spec in specs:
            register(spec)

    return type(cls_name, (), {"benchsuite_register_models": hookimpl(hook)})()


def state_ep(name: str, dist: str, change, *models: str) -> FakeEntryPoint:
    """An entry point whose import calls ``change()`` (a global-state change) and whose plugin
    registers ``models``."""

    def load() -> object:
        change()
        return _plugin(*(make_spec(m) for m in models), cls_name=f"{name}-plugin")

    return FakeEntryPoint(name=name, value=f"{name}_pkg.plugin", loader=load, dist=fake_dist(dist, "0.1"))


def import_error_ep() -> FakeEntryPoint:
    """An entry point that fails to import."""
    return failing_ep(
        "broken", ModuleNotFoundError("No module named 'torchvision_nightly'"), dist="broken-plugin"
    )


def noisy_ep() -> FakeEntryPoint:
    """An entry point printing to stdout at import, at both levels."""

    def load() -> object:
        print(NOISE, "print at import")
        os.write(1, f"{NOISE} fd 1 at import\n".encode())
        return NoisyPlugin()

    return FakeEntryPoint(
        name="noisy", value="noisy_pkg.plugin", loader=load, dist=fake_dist("noisy-plugin", "0.2")
    )


def baselines_ep() -> FakeEntryPoint:
    """The built-in baselines distribution, registering ``cnn-baseline``."""
    plugin = _plugin(make_spec("cnn-baseline"), cls_name="baselines")
    return FakeEntryPoint(
        name="baselines",
        value="benchsuite_baselines.plugin",
        loader=lambda: plugin,
        dist=fake_dist("benchsuite-baselines", "0.1.0"),
    )


def shadow_ep() -> FakeEntryPoint:
    """A third-party distribution registering the baseline's name (and one of its own)."""
    plugin = _plugin(make_spec("cnn-baseline"), make_spec("shadow-own"), cls_name="shadow")
    return FakeEntryPoint(
        name="shadow",
        value="shadow_pkg.plugin",
        loader=lambda: plugin,
        dist=fake_dist("shadow-plugin", "0.3.1"),
    )


# ----------------------------------------------------------------- faulty models (run level)


class _TrainRaises(FakeConv):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and torch.is_grad_enabled():
            raise RuntimeError("boom in the training step")
        return super().forward(x)


class _Noisy(FakeConv):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print(NOISE, "print in forward")
        return super().forward(x)


def _threads_build(task: TaskSpec, **hparams) -> torch.nn.Module:
    torch.set_num_threads(2)
    return FakeConv(task, **hparams)


class _Sleeps(FakeConv):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            pid_file = os.environ.get("BENCHSUITE_TEST_PID_FILE")
            if pid_file:  # the worker and a grandchild: both must be gone after the timeout
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
                Path(pid_file).write_text(f"{os.getpid()} {child.pid}\n")
            time.sleep(120)
        return super().forward(x)


def _spec(name: str, build) -> ModelSpec:
    return ModelSpec(
        name=name,
        build=build,
        tasks={"quantitative"},
        defaults={"lr": 0.01, "batch_size": 32},
        description=f"faulty model {name}",
    )


class TrainRaisesPlugin:
    """A model that raises in its training step."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(_spec("fake-trainraise", _TrainRaises))


class NoisyPlugin:
    """A model that prints in forward."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(_spec("fake-noisy", _Noisy))


class ThreadsPlugin:
    """A model whose build sets the torch thread count to 2."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(_spec("fake-athreads", _threads_build))


class SleepPlugin:
    """A model whose training step sleeps two minutes."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(_spec("fake-sleep", _Sleeps))
