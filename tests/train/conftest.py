"""Fakes for the training tests: a tiny learnable DataModule and tiny models.

The data: random one-hot sequences; the quantitative target of target ``t`` at position ``i``
is ``2 * [base i is G]`` (t=0) or ``2 * [base i is C]`` (t=1), binned by mean; the binary
label says whether the central window is GC-rich. A one-layer conv learns both in a few
steps, so "the loss goes down" is a real test.
"""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from benchsuite.plugins import ModelSpec, Registry, TaskSpec, hookimpl, load_plugins


class TinyQuantitative(torch.nn.Module):
    """conv(4 -> T, k=3) -> avg-pool(bin) -> softplus: (N, 4, L) -> (N, T, L // bin)."""

    def __init__(self, task: TaskSpec, channels: int = 8, nan: bool = False):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(4, channels, 3, padding=1)
        self.act = torch.nn.ReLU()
        self.head = torch.nn.Conv1d(channels, task.num_targets, 1)
        self.bin = task.bin_size
        self.nan = nan

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(self.act(self.conv1(x)))
        if self.bin > 1:
            h = torch.nn.functional.avg_pool1d(h, self.bin)
        out = torch.nn.functional.softplus(h)
        return out * float("nan") if self.nan else out


class TinyBinary(torch.nn.Module):
    """conv -> global mean -> linear: (N, 4, L) -> (N, T) logits."""

    def __init__(self, task: TaskSpec, channels: int = 8):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(4, channels, 3, padding=1)
        self.act = torch.nn.ReLU()
        self.fc = torch.nn.Linear(channels, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.act(self.conv1(x)).mean(-1))


def build_tiny(task: TaskSpec, channels: int = 8, nan: bool = False) -> torch.nn.Module:
    """ModelSpec.build of the fake plugin."""
    if task.kind == "binary":
        return TinyBinary(task, channels)
    return TinyQuantitative(task, channels, nan)


def make_data(n: int, length: int, bin_size: int, kind: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, length))
    x = np.zeros((n, 4, length), dtype=np.float32)
    x[np.arange(n)[:, None], codes, np.arange(length)[None, :]] = 1.0
    if kind == "quantitative":
        cov = np.stack([2.0 * (codes == 2), 2.0 * (codes == 1)], axis=1).astype(np.float32)
        y = cov.reshape(n, 2, length // bin_size, bin_size).mean(-1)
    else:
        gc = ((codes == 1) | (codes == 2)).mean(-1)
        y = np.stack([gc > 0.5, gc <= 0.5], axis=1).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


class FakeDataModule(L.LightningDataModule):
    """A LightningDataModule with the benchsuite DataModule surface the trainer uses."""

    def __init__(
        self,
        kind: str = "quantitative",
        *,
        length: int = 32,
        bin_size: int = 1,
        n: int = 128,
        batch_size: int = 16,
        seed: int = 0,
    ):
        super().__init__()
        self.kind, self.length, self.bin_size, self.n = kind, length, bin_size, n
        self.batch_size, self.seed = batch_size, seed
        self.prepared = 0

    def prepare_data(self) -> None:
        self.prepared += 1

    def setup(self, stage: str | None = None) -> None:
        self.train = TensorDataset(*make_data(self.n, self.length, self.bin_size, self.kind, self.seed))
        self.val = TensorDataset(
            *make_data(self.n // 2, self.length, self.bin_size, self.kind, self.seed + 1)
        )

    def task_spec(self) -> TaskSpec:
        return TaskSpec(
            self.kind, self.length, 2, self.bin_size if self.kind == "quantitative" else 1, ("t0", "t1")
        )

    def train_dataloader(self) -> DataLoader:
        g = torch.Generator().manual_seed(self.seed)
        return DataLoader(self.train, batch_size=self.batch_size, shuffle=True, generator=g)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val, batch_size=self.batch_size)


def tiny_spec(name: str = "tiny", tasks=("binary", "quantitative"), **kwargs) -> ModelSpec:
    defaults = {"lr": 0.01, "batch_size": 16, "max_epochs": 3, "patience": 2}
    defaults.update(kwargs.pop("defaults", {}))
    return ModelSpec(
        name=name,
        build=kwargs.pop("build", build_tiny),
        tasks=frozenset(tasks),
        description="tiny test model",
        defaults=defaults,
        profiles=kwargs.pop("profiles", {"smoke": {"channels": 4}, "default": {"channels": 8}}),
        first_layer_activation="conv1",
        **kwargs,
    )


class FakePlugin:
    """A plugin object registered directly with ``load_plugins(extra=[...])``."""

    def __init__(self, *specs: ModelSpec):
        self.specs = specs

    @hookimpl
    def benchsuite_register_models(self, register):
        for spec in self.specs:
            register(spec)


def registry_with(*specs: ModelSpec) -> Registry:
    """A registry holding only ``specs`` (no installed plugin is loaded)."""
    registry = load_plugins(allow=[], extra=[FakePlugin(*specs)])
    assert not registry.errors, registry.errors
    return registry
