"""Small deterministic models and a fake oracle shared by the evaluate tests.

* :class:`ConvCoverage` - a pure convolution (+ softplus, + average pooling to the bin):
  translation-equivariant up to the zero padding at the window edges.
* :class:`RampCoverage` - the same multiplied by a ramp over input positions: its output
  depends on where a motif sits in the window, so it is not shift-robust.
* :class:`ConvBinary` - convolution, softplus, mean over the window -> one logit per target.
* :class:`NaNModel` - returns NaN (contract violation).
* :class:`FakeOracle` - the simulator oracle's interface (``target_names``,
  ``predict_codes``, ``__call__``) around a fixed :class:`ConvCoverage` at base resolution.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def motif_weights(num_targets: int, width: int = 5, seed: int = 0) -> torch.Tensor:
    """Fixed conv weights ``(T, 4, width)``: each target prefers a different random k-mer."""
    rng = np.random.default_rng(seed)
    w = np.full((num_targets, 4, width), -0.5, dtype=np.float32)
    for t in range(num_targets):
        kmer = rng.integers(0, 4, size=width)
        w[t, kmer, np.arange(width)] = 1.5
    return torch.from_numpy(w)


class ConvCoverage(nn.Module):
    """Conv1d(4 -> T, width, 'same' zero padding) -> softplus -> AvgPool1d(bin_size)."""

    def __init__(
        self,
        num_targets: int,
        bin_size: int = 1,
        width: int = 5,
        seed: int = 0,
        gain: float = 1.0,
        bias: float = -2.0,
    ):
        super().__init__()
        self.conv = nn.Conv1d(4, num_targets, width, padding=width // 2, bias=True)
        with torch.no_grad():
            self.conv.weight.copy_(motif_weights(num_targets, width, seed) * gain)
            self.conv.bias.fill_(bias)
        self.act = nn.Softplus()
        self.pool = nn.AvgPool1d(bin_size) if bin_size > 1 else nn.Identity()

    def profile(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.profile(x))


class RampCoverage(ConvCoverage):
    """ConvCoverage times ``1 + 4 * position / L`` (position-dependent: not shift-robust)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prof = self.profile(x)
        ramp = 1.0 + 4.0 * torch.arange(prof.shape[-1], dtype=prof.dtype) / prof.shape[-1]
        return self.pool(prof * ramp)


class ConvBinary(nn.Module):
    """One logit per target: log of the mean softplus conv activation over the window."""

    def __init__(self, num_targets: int, width: int = 5, seed: int = 0):
        super().__init__()
        self.body = ConvCoverage(num_targets, 1, width, seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(self.body(x).mean(dim=-1) + 1e-3)


class NaNModel(nn.Module):
    """Quantitative-shaped output full of NaN."""

    def __init__(self, num_targets: int, bin_size: int = 1):
        super().__init__()
        self.num_targets, self.bin_size = num_targets, bin_size
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, length = x.shape
        return torch.full((n, self.num_targets, length // self.bin_size), float("nan"))


def codes_to_onehot(codes: np.ndarray) -> np.ndarray:
    """uint8 codes ``(N, L)`` -> float32 one-hot ``(N, 4, L)`` (code 4 -> zeros)."""
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return np.ascontiguousarray(eye[codes].transpose(0, 2, 1))


class FakeOracle:
    """Stand-in for ``benchsuite.simulate.oracle.Oracle``: expected coverage at base resolution."""

    def __init__(self, target_names: tuple[str, ...], seed: int = 0, scale: float = 2.0):
        self.target_names = tuple(target_names)
        self.model = ConvCoverage(len(target_names), 1, seed=seed, gain=1.5, bias=-5.0).eval()
        self.scale = scale

    def __call__(self, x_onehot: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = self.model(torch.from_numpy(np.asarray(x_onehot, dtype=np.float32)))
        return (self.scale * out).numpy().astype(np.float32)

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        return self(codes_to_onehot(np.asarray(codes)))
