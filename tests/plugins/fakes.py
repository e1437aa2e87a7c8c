"""Plugin objects and fake installed entry points for the plugin-system tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from benchsuite.plugins import ModelSpec, TaskSpec, hookimpl


def tiny_build(task: TaskSpec, *, channels: int = 4):
    """A minimal contract-abiding model: conv -> head (binary or quantitative)."""
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(4, channels, 3, padding=1)
            self.kind = task.kind
            self.head = nn.Conv1d(channels, task.num_targets, 1)
            self.pool = nn.AvgPool1d(task.bin_size) if task.bin_size > 1 else nn.Identity()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.head(torch.relu(self.conv(x)))
            if self.kind == "binary":
                return h.mean(dim=-1)
            return nn.functional.softplus(self.pool(h))

    return Tiny()


def make_spec(name: str, **kwargs) -> ModelSpec:
    kwargs.setdefault("tasks", {"binary", "quantitative"})
    kwargs.setdefault("bin_size", 8)
    return ModelSpec(name=name, build=tiny_build, **kwargs)


class GoodPlugin:
    """Registers two valid models."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(make_spec("good-a"))
        register(make_spec("good-b", tasks={"quantitative"}))


class RaisingPlugin:
    """Registers one model, then raises: the model must be discarded."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(make_spec("raising-partial"))
        raise RuntimeError("boom in the hook")


class NonSpecPlugin:
    """Registers a string and a dict (not ModelSpecs) next to one valid spec."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register("not a spec")
        register({"name": "dict-spec"})
        register(make_spec("nonspec-valid"))


class BadTaskPlugin:
    """Builds a ModelSpec with an unknown task kind (raises inside the hook)."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(make_spec("bad-task", tasks={"regression"}))


class NoHookPlugin:
    """Forgot the @hookimpl marker."""

    def benchsuite_register_models(self, register):  # pragma: no cover - never called
        register(make_spec("never"))


class ReturningPlugin:
    """Returns its specs instead of calling register."""

    @hookimpl
    def benchsuite_register_models(self, register):
        return [make_spec("returned")]


def named_plugin(*names: str, cls_name: str = "NamedPlugin") -> object:
    """A plugin object registering models with the given names."""

    def hook(self, register):
        for name in names:
            register(make_spec(name))

    cls = type(cls_name, (), {"benchsuite_register_models": hookimpl(hook)})
    return cls()


@dataclass
class FakeEntryPoint:
    """Quacks like importlib.metadata.EntryPoint with a distribution attached."""

    name: str
    value: str
    loader: Callable[[], object]
    dist: object | None
    group: str = "benchsuite"

    def load(self) -> object:
        return self.loader()


def fake_dist(name: str, version: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, version=version, metadata={"Name": name})


def ep(name: str, obj: object, dist: str | None = None, version: str = "1.0") -> FakeEntryPoint:
    return FakeEntryPoint(
        name=name,
        value=f"{name}_pkg.plugin",
        loader=lambda: obj,
        dist=fake_dist(dist, version) if dist else None,
    )


def failing_ep(name: str, exc: BaseException, dist: str = "broken-dist") -> FakeEntryPoint:
    def loader():
        raise exc

    return FakeEntryPoint(name=name, value=f"{name}_pkg.plugin", loader=loader, dist=fake_dist(dist, "0.3"))
