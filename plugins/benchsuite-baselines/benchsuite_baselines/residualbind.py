"""ResidualBind models of the GOPHER study (Methods "ResidualBind-base", "ResidualBind-32").

Both extend the CNN-baseline by a dilated residual block after each of the first three
convolutional layers (dilation rates 1, 2, 4, ...).

- **ResidualBind-base**: residual blocks of 5, 5 and 4 layers, then the CNN-baseline's
  bottleneck; the quantitative head rescales it to ``num_bins x 8``, applies a convolutional
  block and a further 5-layer residual block before the output head (base resolution in the
  paper). The binary head is a linear layer on the bottleneck.
- **ResidualBind-32**: residual blocks of 5, 5 and 3 layers and no bottleneck: the pooled
  representation (32 bp per position) feeds a position-wise fully connected block and a
  softplus output layer, or task-specific convolutional heads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from benchsuite_baselines.cnn import conv_trunk_positions
from benchsuite_baselines.layers import (
    ConvBlock,
    DenseBlock,
    PositionwiseHead,
    ResidualDilatedBlock,
    TaskHeads,
)

__all__ = ["ResidualBindBase", "ResidualBind32"]


class _ResidualTrunk(nn.Module):
    """Three stages of ``conv block -> dilated residual block -> max pool -> dropout``.

    Sub-modules ``conv1..3`` (ConvBlock without pooling), ``res1..3``, ``pool1..3``, ``drop1..3``;
    the first-layer activation is ``conv1.act``.
    """

    def __init__(
        self,
        *,
        filters: Sequence[int],
        kernels: Sequence[int],
        residual_layers: Sequence[int],
        pools: Sequence[int],
        dropout: Sequence[float],
        residual_dropout: float,
        first_activation: str,
    ):
        super().__init__()
        if not len(filters) == len(kernels) == len(residual_layers) == len(pools) == len(dropout) == 3:
            raise ValueError(
                "the residual trunk needs 3 filters, kernels, residual_layers, pools and dropout"
            )
        channels = [4, *filters]
        for i in range(3):
            act = first_activation if i == 0 else "relu"
            self.add_module(
                f"conv{i + 1}", ConvBlock(channels[i], channels[i + 1], kernels[i], activation=act)
            )
            self.add_module(
                f"res{i + 1}",
                ResidualDilatedBlock(
                    channels[i + 1], num_layers=residual_layers[i], dropout=residual_dropout
                ),
            )
            self.add_module(f"pool{i + 1}", nn.MaxPool1d(pools[i]) if pools[i] > 1 else nn.Identity())
            self.add_module(f"drop{i + 1}", nn.Dropout(dropout[i]) if dropout[i] > 0 else nn.Identity())
        self.out_channels = channels[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 4):
            x = getattr(self, f"conv{i}")(x)
            x = getattr(self, f"res{i}")(x)
            x = getattr(self, f"drop{i}")(getattr(self, f"pool{i}")(x))
        return x


class ResidualBindBase(nn.Module):
    """ResidualBind-base for binary or quantitative (any bin size, base resolution by default).

    Parameters
    ----------
    task:
        The :class:`~benchsuite.plugins.TaskSpec`.
    filters, kernels, residual_layers, pools, dropout, residual_dropout:
        The three trunk stages (paper: residual blocks of 5, 5 and 4 layers).
    bottleneck, bottleneck_dropout:
        Fully connected bottleneck.
    units_per_bin, expand_dropout:
        Rescaling block to ``num_bins * units_per_bin`` units (paper: 8).
    post_filters, post_kernel, post_dropout, post_residual_layers:
        Convolutional block and residual block (paper: 5 layers) after the reshape.
    task_heads, head_filters:
        Task-specific heads instead of one shared softplus output layer.
    first_activation:
        ``relu`` or ``exponential``.
    """

    def __init__(
        self,
        task,
        *,
        filters: Sequence[int] = (32, 48, 64),
        kernels: Sequence[int] = (19, 7, 7),
        residual_layers: Sequence[int] = (3, 3, 2),
        pools: Sequence[int] = (8, 4, 4),
        dropout: Sequence[float] = (0.1, 0.1, 0.2),
        residual_dropout: float = 0.1,
        bottleneck: int = 64,
        bottleneck_dropout: float = 0.3,
        units_per_bin: int = 4,
        expand_dropout: float = 0.1,
        post_filters: int = 24,
        post_kernel: int = 7,
        post_dropout: float = 0.1,
        post_residual_layers: int = 3,
        task_heads: bool = False,
        head_filters: int = 32,
        first_activation: str = "relu",
    ):
        super().__init__()
        self.kind = task.kind
        self.trunk = _ResidualTrunk(
            filters=filters,
            kernels=kernels,
            residual_layers=residual_layers,
            pools=pools,
            dropout=dropout,
            residual_dropout=residual_dropout,
            first_activation=first_activation,
        )
        positions = conv_trunk_positions(task.input_length, pools, "ResidualBindBase")
        self.flatten = nn.Flatten()
        self.bottleneck = DenseBlock(
            self.trunk.out_channels * positions, bottleneck, dropout=bottleneck_dropout
        )
        if task.kind == "binary":
            self.output = nn.Linear(bottleneck, task.num_targets)
            return
        self.num_bins = task.num_bins
        self.units_per_bin = units_per_bin
        self.expand = DenseBlock(bottleneck, task.num_bins * units_per_bin, dropout=expand_dropout)
        self.post = ConvBlock(units_per_bin, post_filters, post_kernel, dropout=post_dropout)
        self.post_res = ResidualDilatedBlock(
            post_filters, num_layers=post_residual_layers, dropout=residual_dropout
        )
        if task_heads:
            self.head: nn.Module = TaskHeads(post_filters, task.num_targets, channels=head_filters)
        else:
            self.head = PositionwiseHead(post_filters, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bottleneck(self.flatten(self.trunk(x)))
        if self.kind == "binary":
            return self.output(h)
        h = self.expand(h).view(-1, self.num_bins, self.units_per_bin).transpose(1, 2)
        return self.head(self.post_res(self.post(h)))


class ResidualBind32(nn.Module):
    """ResidualBind-32: quantitative at the trunk's resolution (32 bp for pools 4, 4, 2).

    Parameters
    ----------
    task:
        A quantitative :class:`~benchsuite.plugins.TaskSpec`; ``task.bin_size`` must equal
        the product of ``pools``.
    filters, kernels, residual_layers, pools, dropout, residual_dropout:
        The three trunk stages (paper: residual blocks of 5, 5 and 3 layers).
    dense, dense_dropout:
        Position-wise fully connected block of the single-head variant.
    task_heads, post_filters, head_filters:
        Task-specific heads: a shared conv block (``post_filters``) then per-target heads.
    first_activation:
        ``relu`` or ``exponential``.
    """

    def __init__(
        self,
        task,
        *,
        filters: Sequence[int] = (32, 64, 96),
        kernels: Sequence[int] = (19, 7, 7),
        residual_layers: Sequence[int] = (3, 3, 2),
        pools: Sequence[int] = (4, 4, 2),
        dropout: Sequence[float] = (0.2, 0.2, 0.3),
        residual_dropout: float = 0.1,
        dense: int = 64,
        dense_dropout: float = 0.3,
        task_heads: bool = False,
        post_filters: int = 64,
        head_filters: int = 32,
        first_activation: str = "relu",
    ):
        super().__init__()
        if task.kind != "quantitative":
            raise ValueError(f"ResidualBind-32 is a quantitative model; got a {task.kind!r} task")
        total_pool = math.prod(pools)
        if total_pool != task.bin_size:
            raise ValueError(
                f"ResidualBind-32: pools {tuple(pools)} give bins of {total_pool} bp, "
                f"the task asks for {task.bin_size}"
            )
        self.trunk = _ResidualTrunk(
            filters=filters,
            kernels=kernels,
            residual_layers=residual_layers,
            pools=pools,
            dropout=dropout,
            residual_dropout=residual_dropout,
            first_activation=first_activation,
        )
        c = self.trunk.out_channels
        if task_heads:
            self.head = nn.Sequential(
                ConvBlock(c, post_filters, 7, dropout=0.2),
                TaskHeads(post_filters, task.num_targets, channels=head_filters),
            )
        else:
            self.head = nn.Sequential(
                ConvBlock(c, dense, 1, dropout=dense_dropout),  # position-wise fully connected block
                PositionwiseHead(dense, task.num_targets),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))
