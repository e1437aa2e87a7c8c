"""The torch model of an :class:`~benchsuite.search.space.Architecture`: :class:`SearchedNetwork`.

Layout: a stem (convolution of the searched width from 4 one-hot channels to ``channels``,
batch norm, ReLU; ``stem.act`` is the first-layer activation motif recovery hooks), then the
searched layers, each applied to the sum of its input and its skip sources (a finer source is
max-pooled to the layer's resolution), a max pool of 2 after every ``downsample_every`` layers,
dropout after each layer, then the task head of the suite's conventions:

- binary: global average and max pooling, concatenated, a linear layer -> ``(N, T)`` logits;
- quantitative: the length resampled to ``L // bin_size`` bins (average pooling, or nearest
  upsampling when the trunk is coarser than the bin), a width-1 convolution and softplus ->
  ``(N, T, L // bin_size)`` non-negative coverage.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from benchsuite.search.space import Architecture, SearchSpace, check_architecture

__all__ = ["SearchedNetwork", "make_operation"]


class _ConvOp(nn.Module):
    def __init__(self, channels: int, width: int, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, width, padding="same", dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(channels)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def make_operation(token: str, channels: int, dilation: int) -> nn.Module:
    """The module of an operation token: conv<k>, dconv<k>, maxpool, avgpool or identity."""
    if token == "maxpool":
        return nn.MaxPool1d(3, stride=1, padding=1)
    if token == "avgpool":
        return nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)
    if token == "identity":
        return nn.Identity()
    if token.startswith("dconv"):
        return _ConvOp(channels, int(token[5:]), dilation)
    return _ConvOp(channels, int(token[4:]))


class _Stem(nn.Module):
    def __init__(self, channels: int, width: int):
        super().__init__()
        self.conv = nn.Conv1d(4, channels, width, padding="same", bias=False)
        self.bn = nn.BatchNorm1d(channels)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class SearchedNetwork(nn.Module):
    """A searched architecture as a benchsuite model.

    Parameters
    ----------
    task:
        The :class:`~benchsuite.plugins.TaskSpec`.
    space:
        The space the architecture belongs to (channels, dilation, downsampling).
    architecture:
        Stem width, operations and skips.
    dropout:
        Dropout rate after every searched layer.
    """

    def __init__(self, task: Any, space: SearchSpace, architecture: Architecture, *, dropout: float = 0.1):
        super().__init__()
        check_architecture(architecture, space)
        self.kind = task.kind
        self.num_targets = task.num_targets
        self.num_bins = task.num_bins if task.kind == "quantitative" else 1
        self.skips = [list(s) for s in architecture.skips]
        every = space.downsample_every
        self.downsample = [bool(every) and (i + 1) % every == 0 for i in range(space.num_layers)]
        c = space.channels
        self.stem = _Stem(c, architecture.stem_width)
        self.layers = nn.ModuleList(make_operation(op, c, space.dilation) for op in architecture.operations)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        if task.kind == "binary":
            self.output: nn.Module = nn.Linear(2 * c, task.num_targets)
        else:
            self.output = nn.Conv1d(c, task.num_targets, 1)

    @staticmethod
    def _match(h: torch.Tensor, length: int) -> torch.Tensor:
        if h.shape[-1] == length:
            return h
        return F.adaptive_max_pool1d(h, length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [self.stem(x)]
        for i, layer in enumerate(self.layers):
            h = nodes[i]
            for j in self.skips[i]:
                h = h + self._match(nodes[j], h.shape[-1])
            h = self.drop(layer(h))
            if self.downsample[i] and h.shape[-1] >= 2:
                h = F.max_pool1d(h, 2)
            nodes.append(h)
        h = nodes[-1]
        if self.kind == "binary":
            pooled = torch.cat([h.mean(-1), h.amax(-1)], dim=1)
            return self.output(pooled)
        if h.shape[-1] >= self.num_bins:
            h = F.adaptive_avg_pool1d(h, self.num_bins)
        else:
            h = F.interpolate(h, size=self.num_bins, mode="nearest")
        return F.softplus(self.output(h))
