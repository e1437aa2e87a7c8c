"""CNN-baseline of the GOPHER study (Toneyan, Tang & Koo 2022, Methods "CNN-baseline").

Three convolutional blocks (conv, batch norm, activation, max pool, dropout) are flattened
into a fully connected *bottleneck*. A binary model puts a linear output layer (one logit per
target) on the bottleneck. A quantitative model rescales the bottleneck with a second fully
connected block to ``num_bins x 8`` units, reshapes it to 8 channels over ``num_bins``
positions, applies another convolutional block and a softplus output layer (shared, or one
head per target). The first-layer activation is ReLU or exponential; all others are ReLU.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from benchsuite_baselines.layers import ConvBlock, DenseBlock, PositionwiseHead, TaskHeads

__all__ = ["CNNBaseline", "conv_trunk_positions"]


def conv_trunk_positions(input_length: int, pools: Sequence[int], model: str) -> int:
    """Length left after successive max pools (floor division), with a clear error if zero."""
    positions = input_length
    for pool in pools:
        positions //= pool
    if positions < 1:
        raise ValueError(f"{model}: input_length {input_length} is too short for max pools {tuple(pools)}")
    return positions


class CNNBaseline(nn.Module):
    """CNN-baseline for binary or quantitative tasks.

    Parameters
    ----------
    task:
        The :class:`~benchsuite.plugins.TaskSpec` (quantitative output: ``task.num_bins`` bins).
    filters, kernels, pools, conv_dropout:
        The three convolutional blocks.
    bottleneck, bottleneck_dropout:
        Units and dropout of the fully connected bottleneck.
    units_per_bin, expand_dropout:
        The rescaling block outputs ``num_bins * units_per_bin`` units (the paper uses 8).
    post_filters, post_kernel, post_dropout:
        Convolutional block after the reshape.
    task_heads, head_filters:
        One head (conv block + linear) per target instead of a shared linear output layer.
    first_activation:
        ``relu`` or ``exponential``.
    """

    def __init__(
        self,
        task,
        *,
        filters: Sequence[int] = (64, 64, 96),
        kernels: Sequence[int] = (19, 7, 7),
        pools: Sequence[int] = (8, 4, 4),
        conv_dropout: Sequence[float] = (0.1, 0.1, 0.2),
        bottleneck: int = 96,
        bottleneck_dropout: float = 0.3,
        units_per_bin: int = 8,
        expand_dropout: float = 0.1,
        post_filters: int = 64,
        post_kernel: int = 7,
        post_dropout: float = 0.2,
        task_heads: bool = False,
        head_filters: int = 32,
        first_activation: str = "relu",
    ):
        super().__init__()
        if not len(filters) == len(kernels) == len(pools) == len(conv_dropout) == 3:
            raise ValueError("CNNBaseline needs exactly 3 filters, kernels, pools and conv_dropout values")
        self.kind = task.kind
        channels = [4, *filters]
        acts = [first_activation, "relu", "relu"]
        self.conv1, self.conv2, self.conv3 = (
            ConvBlock(
                channels[i],
                channels[i + 1],
                kernels[i],
                activation=acts[i],
                pool=pools[i],
                dropout=conv_dropout[i],
            )
            for i in range(3)
        )
        positions = conv_trunk_positions(task.input_length, pools, "CNNBaseline")
        self.flatten = nn.Flatten()
        self.bottleneck = DenseBlock(channels[-1] * positions, bottleneck, dropout=bottleneck_dropout)
        if task.kind == "binary":
            self.output = nn.Linear(bottleneck, task.num_targets)
            return
        self.num_bins = task.num_bins
        self.units_per_bin = units_per_bin
        self.expand = DenseBlock(bottleneck, task.num_bins * units_per_bin, dropout=expand_dropout)
        self.post = ConvBlock(units_per_bin, post_filters, post_kernel, dropout=post_dropout)
        if task_heads:
            self.head: nn.Module = TaskHeads(post_filters, task.num_targets, channels=head_filters)
        else:
            self.head = PositionwiseHead(post_filters, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.bottleneck(self.flatten(self.conv3(self.conv2(self.conv1(x)))))
        if self.kind == "binary":
            return self.output(h)
        h = self.expand(h).view(-1, self.num_bins, self.units_per_bin).transpose(1, 2)
        return self.head(self.post(h))
