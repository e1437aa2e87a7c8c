"""Fixtures of the adaptor tests: a simulated smoke bundle and its cache, echo models, evaluate-only plugins.

:class:`EchoModel` reads back its input: output track ``j`` is the fraction of base ``j``
(A, C, G, T) in each output bin, so its predictions show exactly which bases it was given; it
also keeps every input batch it saw (``seen``), to compare with the genome.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchsuite.plugins import ModelSpec, Registry, TaskSpec, hookimpl, load_plugins

BASE_TRACKS = ("A", "C", "G", "T")


class EchoModel(torch.nn.Module):
    """(N, 4, M) one-hot -> (N, 4, M / bin) base fractions per bin (binary: (N, 4) window fractions)."""

    def __init__(self, task: TaskSpec) -> None:
        super().__init__()
        self.kind = task.kind
        self.bin = task.bin_size
        self.conv1 = torch.nn.Conv1d(4, 4, 1, bias=False)
        with torch.no_grad():
            self.conv1.weight.copy_(torch.eye(4).unsqueeze(-1))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        h = self.conv1(x)
        if self.kind == "binary":
            return h.mean(-1)
        return torch.nn.functional.avg_pool1d(h, self.bin) if self.bin > 1 else h


def echo_spec(name: str = "echo", *, input_length: int, bin_size: int = 1, **fields) -> ModelSpec:
    """An evaluate-only spec loading an :class:`EchoModel` (kept in ``LOADED[name]``)."""

    def load(task: TaskSpec, **kw) -> torch.nn.Module:
        model = EchoModel(task)
        LOADED[name] = model
        return model

    fields.setdefault("output_tracks", BASE_TRACKS)
    fields.setdefault("tasks", {"quantitative", "binary"})
    return ModelSpec(name=name, load=load, input_length=input_length, bin_size=bin_size, **fields)


LOADED: dict[str, EchoModel] = {}


class SpecsPlugin:
    """A plugin object registering the given specs."""

    def __init__(self, *specs: ModelSpec) -> None:
        self.specs = specs

    @hookimpl
    def benchsuite_register_models(self, register):
        for spec in self.specs:
            register(spec)


def registry_of(*specs: ModelSpec) -> Registry:
    registry = load_plugins(allow=[], extra=[SpecsPlugin(*specs)])
    assert not registry.errors, registry.errors
    return registry


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    """(manifest, cache) of a simulated smoke bundle: windows of 512 bp, bins 1/32/128, 3 targets."""
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.simulate.bundle import simulate_bundle

    root = tmp_path_factory.mktemp("adapt-smoke")
    bundle = Path(simulate_bundle("smoke", root / "bundle", 0))
    manifest = load_manifest(bundle)
    return manifest, prepare_dataset(manifest, cache_dir=root / "cache", progress=False)


@pytest.fixture(scope="session")
def genome(smoke):
    from benchsuite.io.fasta import open_genome

    return open_genome(smoke[0].genome)


def build_small(task: TaskSpec, channels: int = 8):
    """A module-level build function (importable, so an exported cell rebuilds it by name)."""
    from tests.run.conftest import FakeConv

    return FakeConv(task, channels=channels)


SMALL = ModelSpec(
    name="small-conv",
    build=build_small,
    tasks={"quantitative", "binary"},
    bin_size=32,
    defaults={"lr": 0.01, "batch_size": 32},
    profiles={"smoke": {"channels": 6}},
    first_layer_activation="act",
)
