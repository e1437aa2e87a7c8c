"""BPNet-like model of the GOPHER study (Avsec et al. 2021; GOPHER Methods "BPNet").

A wide first convolution, then dilated convolutional layers with dilation ``2**i`` each
added to its input (residual), all at base resolution. Task-specific output heads, each a
separate transposed convolution, predict the profile at base resolution; an average pool
with window and stride equal to the bin size gives lower resolutions, and softplus makes the
coverage non-negative (the study trains BPNet with a Poisson NLL). As in the study, there is
no negative strand, bias track or counts head.

The CPU-sized profiles (smoke/default) add batch normalisation to each convolution: with 24
filters and no normalisation the model stayed at validation Pearson < 0.06 after 400 steps on
the default bundle (lr 3e-3 or 1e-2); with it, 0.45 after 200 steps. The paper profile is the
published architecture (no normalisation, 256 filters).
"""

from __future__ import annotations

import torch
from torch import nn

from benchsuite_baselines.layers import BPNetDilatedLayer, ConvBlock

__all__ = ["BPNet"]


class BPNet(nn.Module):
    """BPNet for quantitative tasks.

    Parameters
    ----------
    task:
        A quantitative :class:`~benchsuite.plugins.TaskSpec` (any bin size dividing the input).
    filters:
        Channels of every body layer.
    first_kernel:
        Width of the first convolution (25 in BPNet).
    num_dilated:
        Number of dilated residual layers (9 in the study; dilations 2, 4, ..., 512).
    head_kernel:
        Width of the per-task transposed convolutions (odd).
    batch_norm:
        Batch normalisation after the first and every dilated convolution (not in BPNet; the
        smoke/default profiles use it because a narrow BPNet without it does not leave the
        initial plateau within their step budgets).
    """

    def __init__(
        self,
        task,
        *,
        filters: int = 32,
        first_kernel: int = 25,
        num_dilated: int = 7,
        head_kernel: int = 25,
        batch_norm: bool = False,
    ):
        super().__init__()
        if task.kind != "quantitative":
            raise ValueError(f"BPNet is a quantitative model; got a {task.kind!r} task")
        if head_kernel % 2 != 1:
            raise ValueError(f"BPNet: head_kernel must be odd to keep the length, got {head_kernel}")
        self.conv1 = ConvBlock(4, filters, first_kernel, activation="relu", batch_norm=batch_norm)
        self.body = nn.Sequential(
            *(
                BPNetDilatedLayer(filters, dilation=2**i, batch_norm=batch_norm)
                for i in range(1, num_dilated + 1)
            )
        )
        # T task-specific heads with one transposed convolution each == one ConvTranspose1d
        # with T output channels (each output channel has its own kernel).
        self.heads = nn.ConvTranspose1d(filters, task.num_targets, head_kernel, padding=head_kernel // 2)
        self.bin_pool = nn.AvgPool1d(task.bin_size) if task.bin_size > 1 else nn.Identity()
        self.act = nn.Softplus()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bin_pool(self.heads(self.body(self.conv1(x)))))
