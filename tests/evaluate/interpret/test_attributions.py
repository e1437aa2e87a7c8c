"""Corrected saliency and gradient x input of torch models (vs hand-computed gradients)."""

from __future__ import annotations

import numpy as np
import torch

from benchsuite.evaluate.interpret.attributions import (
    corrected_saliency,
    gradient_x_input,
    position_magnitude,
)
from benchsuite.evaluate.interpret.outputs import codes_scalar, reduce_output, torch_scalar
from benchsuite.io.onehot import one_hot


class Linear(torch.nn.Module):
    """Coverage ``(N, 2, L)``: target t = sum_c w[t, c, l] x[c, l] at every position."""

    def __init__(self, w: np.ndarray) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.from_numpy(w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("tcl,ncl->ntl", self.w, x)


def test_saliency_is_the_gradient_minus_its_nucleotide_mean() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(2, 4, 12)).astype(np.float32)
    x = one_hot(rng.integers(0, 4, (3, 12)).astype(np.uint8))
    sal = corrected_saliency(torch_scalar(Linear(w), "quantitative"), x, batch=2)
    grad = w / 12.0  # the scalar is the mean over positions
    want = grad - grad.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(sal, np.broadcast_to(want, (3, 2, 4, 12)), rtol=1e-5, atol=1e-7)
    gxi = gradient_x_input(sal, x)
    np.testing.assert_allclose(gxi[1, 0], (want[0] * x[1]).sum(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(position_magnitude(sal, x), np.abs(gxi))


def test_scalar_reductions() -> None:
    pred = np.arange(12.0).reshape(1, 2, 6)
    np.testing.assert_allclose(reduce_output(pred, "quantitative"), [[2.5, 8.5]])
    np.testing.assert_allclose(reduce_output(pred[:, :, 0], "binary"), [[0.0, 6.0]])
    scalar = codes_scalar(lambda c: np.ones((len(c), 2, 4)), "quantitative", batch=2)
    assert scalar(np.zeros((5, 8), np.uint8)).shape == (5, 2)
