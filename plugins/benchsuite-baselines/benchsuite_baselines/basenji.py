"""Basenji-like model of the GOPHER study (Methods "Basenji", "Binary models").

A convolutional stem (width-15 convolution, batch norm, GELU, max pool), optionally a tower
of further pooling convolutional blocks, then a stack of dilated residual blocks whose
dilation grows by x1.5 per block (1, 2, 2, 3, 5, 8, 11, ...), a width-1 convolutional block,
and

- quantitative: average pooling down to the target resolution and a softplus output layer;
- binary: a global average pool of that penultimate representation and a linear layer.

The paper's configuration (``paper`` profile) uses a single stem with max pool 2 and 11
residual blocks at 2-bp resolution; the CPU-sized profiles pool further before the residual
tower (as the original Basenji's conv tower does) to keep training fast.

Unlike Basenji's pre-activation blocks, the stem applies its GELU after batch norm, so that
``stem.act`` exposes the first-layer activation for motif recovery.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from benchsuite_baselines.layers import BasenjiResidualBlock, ConvBlock, PositionwiseHead, basenji_dilations

__all__ = ["Basenji"]


class Basenji(nn.Module):
    """Basenji-like dilated residual network.

    Parameters
    ----------
    task:
        The :class:`~benchsuite.plugins.TaskSpec`. Quantitative: ``task.bin_size`` must be a
        multiple of the total max pooling ``stem_pool * prod(tower_pools)``.
    filters:
        Channels of the stem and of the residual tower.
    stem_kernel, stem_pool:
        Stem convolution width (15) and max pool (2 in the paper; 1 for base resolution).
    tower_filters, tower_pools, tower_kernel:
        Optional extra pooling conv blocks between stem and residual tower.
    num_residual, rate_mult, residual_dropout:
        Residual blocks (paper: 11), dilation growth (1.5) and dropout (0.3).
    final_filters, final_dropout:
        The width-1 convolutional block before the output.
    """

    def __init__(
        self,
        task,
        *,
        filters: int = 64,
        stem_kernel: int = 15,
        stem_pool: int = 4,
        tower_filters: Sequence[int] = (64,),
        tower_pools: Sequence[int] = (4,),
        tower_kernel: int = 5,
        num_residual: int = 5,
        rate_mult: float = 1.5,
        residual_dropout: float = 0.2,
        final_filters: int = 128,
        final_dropout: float = 0.05,
    ):
        super().__init__()
        if len(tower_filters) != len(tower_pools):
            raise ValueError("Basenji: tower_filters and tower_pools must have the same length")
        self.kind = task.kind
        total_pool = stem_pool * math.prod(tower_pools)
        if task.input_length % total_pool:
            raise ValueError(
                f"Basenji: input_length {task.input_length} is not a multiple of the total pooling "
                f"{total_pool}"
            )
        self.stem = ConvBlock(4, filters, stem_kernel, activation="gelu", pool=stem_pool)
        tower: list[nn.Module] = []
        channels = filters
        for f, p in zip(tower_filters, tower_pools, strict=True):
            tower.append(ConvBlock(channels, f, tower_kernel, activation="gelu", pool=p))
            channels = f
        self.tower = nn.Sequential(*tower)
        self.residual = nn.Sequential(
            *(
                BasenjiResidualBlock(channels, dilation=d, dropout=residual_dropout)
                for d in basenji_dilations(num_residual, rate_mult)
            )
        )
        self.final = nn.Sequential(
            nn.GELU(),
            nn.Conv1d(channels, final_filters, 1, bias=False),
            nn.BatchNorm1d(final_filters),
            nn.Dropout(final_dropout) if final_dropout > 0 else nn.Identity(),
            nn.GELU(),
        )
        if task.kind == "binary":
            self.output = nn.Linear(final_filters, task.num_targets)
            return
        if task.bin_size % total_pool:
            raise ValueError(
                f"Basenji: bin_size {task.bin_size} is not a multiple of the total pooling {total_pool}; "
                "lower stem_pool / tower_pools"
            )
        window = task.bin_size // total_pool
        self.bin_pool = nn.AvgPool1d(window) if window > 1 else nn.Identity()
        self.head = PositionwiseHead(final_filters, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.final(self.residual(self.tower(self.stem(x))))
        if self.kind == "binary":
            return self.output(h.mean(dim=-1))
        return self.head(self.bin_pool(h))
