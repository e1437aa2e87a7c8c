"""The example model: two convolutions and a head per task kind (PyTorch)."""

from __future__ import annotations

import torch
from torch import nn


class TinyConv(nn.Module):
    """conv -> ReLU -> dilated conv -> ReLU, then a head for the task kind.

    - binary: global average pool -> linear -> ``(N, T)`` logits
    - quantitative: average pool over ``bin_size`` -> width-1 conv -> softplus ->
      ``(N, T, L // bin_size)`` non-negative coverage
    """

    def __init__(self, task, *, filters: int = 16, kernel_size: int = 15):
        super().__init__()
        self.kind = task.kind
        self.conv1 = nn.Sequential()
        self.conv1.add_module("conv", nn.Conv1d(4, filters, kernel_size, padding="same"))
        self.conv1.add_module("act", nn.ReLU())  # "conv1.act": the first-layer activation
        self.conv2 = nn.Sequential(nn.Conv1d(filters, filters, 5, padding="same", dilation=2), nn.ReLU())
        if task.kind == "binary":
            self.head: nn.Module = nn.Linear(filters, task.num_targets)
        else:
            self.pool = nn.AvgPool1d(task.bin_size)
            self.head = nn.Sequential(nn.Conv1d(filters, task.num_targets, 1), nn.Softplus())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, 4, L) one-hot
        h = self.conv2(self.conv1(x))
        if self.kind == "binary":
            return self.head(h.mean(dim=-1))
        return self.head(self.pool(h))
