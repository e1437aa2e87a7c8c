"""Building blocks shared by the baseline models.

Every block works on channels-first tensors ``(N, C, L)`` and keeps the length unless it
pools. Sub-modules carry stable names (``conv``, ``bn``, ``act``, ``pool``, ``drop``) so a
first-layer activation can be addressed by a dotted path such as ``"conv1.act"``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "Exponential",
    "make_activation",
    "ConvBlock",
    "DenseBlock",
    "ResidualDilatedBlock",
    "BasenjiResidualBlock",
    "BPNetDilatedLayer",
    "PositionwiseHead",
    "TaskHeads",
    "basenji_dilations",
]


class Exponential(nn.Module):
    """Exponential activation ``exp(x)``, the first-layer activation of the ``*-exp`` baselines.

    Koo & Ploenzke (2021) and the GOPHER paper found that an exponential first-layer
    activation yields filters that resemble motifs more closely (better motif recovery).
    The input is clamped at ``max_input`` (default 20, i.e. ``exp <= 4.9e8``) so that a
    diverging filter cannot overflow float32 to ``inf``; below that the function is exact.
    """

    def __init__(self, max_input: float = 20.0):
        super().__init__()
        self.max_input = float(max_input)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(torch.clamp(x, max=self.max_input))

    def extra_repr(self) -> str:
        return f"max_input={self.max_input}"


_ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "exponential": Exponential,
    "exp": Exponential,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}


def make_activation(name: str) -> nn.Module:
    """Activation module by name: relu, gelu, exponential (exp), softplus or identity."""
    try:
        return _ACTIVATIONS[name.lower()]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; use one of {', '.join(sorted(_ACTIVATIONS))}"
        ) from None


class ConvBlock(nn.Module):
    """``conv -> batch norm -> activation -> max pool -> dropout`` (each optional but conv).

    Parameters
    ----------
    in_channels, out_channels, kernel_size:
        Convolution geometry; ``"same"`` padding, so the length is kept before pooling.
    activation:
        Activation name (see :func:`make_activation`).
    pool:
        Max-pool width (and stride); 1 = no pooling.
    dropout:
        Dropout rate after pooling; 0 = none.
    batch_norm:
        Batch normalisation between convolution and activation (the conv then has no bias).
    dilation:
        Convolution dilation rate.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        activation: str = "relu",
        pool: int = 1,
        dropout: float = 0.0,
        batch_norm: bool = True,
        dilation: int = 1,
    ):
        super().__init__()
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, padding="same", dilation=dilation, bias=not batch_norm
        )
        self.bn = nn.BatchNorm1d(out_channels) if batch_norm else nn.Identity()
        self.act = make_activation(activation)
        self.pool = nn.MaxPool1d(pool) if pool > 1 else nn.Identity()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.pool(self.act(self.bn(self.conv(x)))))


class DenseBlock(nn.Module):
    """``linear -> batch norm -> activation -> dropout`` on ``(N, features)``."""

    def __init__(
        self, in_features: int, out_features: int, *, activation: str = "relu", dropout: float = 0.0
    ):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=False)
        self.bn = nn.BatchNorm1d(out_features)
        self.act = make_activation(activation)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.act(self.bn(self.linear(x))))


class ResidualDilatedBlock(nn.Module):
    """ResidualBind dilated residual block (Koo et al. 2021).

    ``num_layers`` convolutions of width ``kernel_size`` keep the channel count; the first has
    dilation 1 and layer ``i`` dilation ``base ** i`` (1, 2, 4, 8, ...). Each convolution is
    followed by batch norm; between convolutions come the activation and dropout. The block
    output is ``activation(input + branch)``.
    """

    def __init__(
        self,
        channels: int,
        *,
        num_layers: int = 5,
        kernel_size: int = 3,
        dilation_base: int = 2,
        dropout: float = 0.1,
        activation: str = "relu",
    ):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"a residual block needs at least one layer, got {num_layers}")
        layers: list[nn.Module] = []
        for i in range(num_layers):
            if i > 0:
                layers += [make_activation(activation), nn.Dropout(dropout) if dropout > 0 else nn.Identity()]
            layers += [
                nn.Conv1d(
                    channels, channels, kernel_size, padding="same", dilation=dilation_base**i, bias=False
                ),
                nn.BatchNorm1d(channels),
            ]
        self.branch = nn.Sequential(*layers)
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.branch(x))


def basenji_dilations(num_blocks: int, rate_mult: float = 1.5) -> list[int]:
    """Dilation rates of Basenji's residual tower: ``round(rate_mult ** i)``, i = 0..n-1.

    For 11 blocks and 1.5: 1, 2, 2, 3, 5, 8, 11, 17, 26, 38, 58.
    """
    rates: list[int] = []
    rate = 1.0
    for _ in range(num_blocks):
        rates.append(max(1, int(round(rate))))
        rate *= rate_mult
    return rates


class BasenjiResidualBlock(nn.Module):
    """Basenji dilated residual block (Kelley 2020, as described in the GOPHER Methods).

    ``GELU -> dilated conv (width 3, half the channels) -> BN -> GELU -> conv (width 1,
    original channels) -> BN -> dropout``, added to the block input. The last batch norm
    starts at zero scale so each block starts as the identity.
    """

    def __init__(self, channels: int, *, dilation: int, bottleneck: int | None = None, dropout: float = 0.3):
        super().__init__()
        inner = bottleneck or max(1, channels // 2)
        self.act1 = nn.GELU()
        self.conv1 = nn.Conv1d(channels, inner, 3, padding="same", dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(inner)
        self.act2 = nn.GELU()
        self.conv2 = nn.Conv1d(inner, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)
        nn.init.zeros_(self.bn2.weight)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn1(self.conv1(self.act1(x)))
        y = self.drop(self.bn2(self.conv2(self.act2(y))))
        return x + y


class BPNetDilatedLayer(nn.Module):
    """BPNet body layer: ``x + relu(dilated conv(x))`` with a width-3 kernel.

    With ``batch_norm`` the layer is ``x + relu(bn(dilated conv(x)))`` (the conv has no bias).
    """

    def __init__(self, channels: int, *, dilation: int, kernel_size: int = 3, batch_norm: bool = False):
        super().__init__()
        self.conv = nn.Conv1d(
            channels, channels, kernel_size, padding="same", dilation=dilation, bias=not batch_norm
        )
        self.bn = nn.BatchNorm1d(channels) if batch_norm else nn.Identity()
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.bn(self.conv(x)))


class PositionwiseHead(nn.Module):
    """Shared output layer: a width-1 convolution to ``T`` channels, then softplus."""

    def __init__(self, in_channels: int, num_targets: int):
        super().__init__()
        self.linear = nn.Conv1d(in_channels, num_targets, 1)
        self.act = nn.Softplus()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(x))


class TaskHeads(nn.Module):
    """Task-specific output heads: per target a conv block, a width-1 linear layer, softplus.

    Returns ``(N, T, L)`` where the heads' single channels are stacked in target order.
    """

    def __init__(
        self,
        in_channels: int,
        num_targets: int,
        *,
        channels: int = 64,
        kernel_size: int = 7,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(
                ConvBlock(in_channels, channels, kernel_size, dropout=dropout),
                nn.Conv1d(channels, 1, 1),
            )
            for _ in range(num_targets)
        )
        self.act = nn.Softplus()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(torch.cat([head(x) for head in self.heads], dim=1))


def check_length(model: str, input_length: int, total_pool: int) -> None:
    """Raise a clear ValueError when ``input_length`` cannot go through ``total_pool`` of pooling."""
    if input_length % total_pool:
        raise ValueError(
            f"{model}: input_length {input_length} must be a multiple of the total pooling {total_pool}"
        )
