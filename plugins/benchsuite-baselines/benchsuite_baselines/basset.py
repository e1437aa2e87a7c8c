"""Basset (Kelley et al. 2016), the binary baseline of the GOPHER study.

Three blocks of convolution, batch norm, activation and max pooling; the flattened output
goes through two fully connected layers with dropout and a linear output layer with one
logit per target (the sigmoid lives in the loss, ``BCEWithLogits``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from benchsuite_baselines.layers import ConvBlock, DenseBlock

__all__ = ["Basset"]


class Basset(nn.Module):
    """Basset binary classifier.

    Parameters
    ----------
    task:
        A binary :class:`~benchsuite.plugins.TaskSpec`.
    filters, kernels, pools:
        Per convolutional block: number of filters, kernel width, max-pool width.
    dense:
        Units of each of the two fully connected layers.
    dropout:
        Dropout after each fully connected layer.
    conv_dropout:
        Dropout after each convolutional block (0 = none, as in Basset).
    first_activation:
        Activation of the first convolutional layer (``relu`` or ``exponential``).
    """

    def __init__(
        self,
        task,
        *,
        filters: Sequence[int] = (64, 64, 96),
        kernels: Sequence[int] = (19, 11, 7),
        pools: Sequence[int] = (4, 4, 4),
        dense: int = 128,
        dropout: float = 0.3,
        conv_dropout: float = 0.0,
        first_activation: str = "relu",
    ):
        super().__init__()
        if task.kind != "binary":
            raise ValueError(f"Basset is a binary model; got a {task.kind!r} task")
        if not len(filters) == len(kernels) == len(pools) == 3:
            raise ValueError("Basset needs exactly 3 filters, kernels and pools")
        channels = [4, *filters]
        acts = [first_activation, "relu", "relu"]
        self.conv1, self.conv2, self.conv3 = (
            ConvBlock(
                channels[i],
                channels[i + 1],
                kernels[i],
                activation=acts[i],
                pool=pools[i],
                dropout=conv_dropout,
            )
            for i in range(3)
        )
        positions = task.input_length
        for pool in pools:
            positions //= pool
        if positions < 1:
            raise ValueError(f"input_length {task.input_length} is too short for max pools {tuple(pools)}")
        self.flatten = nn.Flatten()
        self.fc1 = DenseBlock(channels[-1] * positions, dense, dropout=dropout)
        self.fc2 = DenseBlock(dense, dense, dropout=dropout)
        self.output = nn.Linear(dense, task.num_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv3(self.conv2(self.conv1(x)))
        return self.output(self.fc2(self.fc1(self.flatten(h))))
