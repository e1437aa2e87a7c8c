"""Losses against torch.nn.functional and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from benchsuite.errors import ConfigError
from benchsuite.train.losses import (
    DEFAULT_LOSS,
    bce_with_logits,
    get_loss,
    mse,
    pearson_correlation,
    pearson_mse,
    poisson_nll,
)


def test_poisson_hand_checked():
    pred = torch.tensor([[1.0, 2.0], [0.5, 4.0]])
    target = torch.tensor([[0.0, 3.0], [1.0, 2.0]])
    expected = np.mean(
        [1.0 - 0.0, 2.0 - 3.0 * math.log(2.0), 0.5 - 1.0 * math.log(0.5), 4.0 - 2.0 * math.log(4.0)]
    )
    assert poisson_nll(pred, target).item() == pytest.approx(expected, rel=1e-6)


def test_poisson_matches_torch_and_is_finite_at_zero_rate():
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(3, 2, 8, generator=g) * 5
    target = torch.poisson(torch.rand(3, 2, 8, generator=g) * 5, generator=g)
    ref = F.poisson_nll_loss(pred, target, log_input=False, eps=1e-8)
    assert poisson_nll(pred, target).item() == pytest.approx(ref.item(), rel=1e-6)
    zero = poisson_nll(torch.zeros(4), torch.ones(4))
    assert torch.isfinite(zero)
    assert zero.item() == pytest.approx(-math.log(1e-8), rel=1e-5)


def test_mse_hand_checked():
    pred = torch.tensor([1.0, 2.0, 3.0])
    target = torch.tensor([1.0, 0.0, 6.0])
    assert mse(pred, target).item() == pytest.approx((0 + 4 + 9) / 3)


def test_pearson_matches_scipy_along_length_axis():
    rng = np.random.default_rng(1)
    pred = rng.random((3, 2, 16)).astype(np.float32)
    target = (pred + rng.normal(0, 0.3, pred.shape)).astype(np.float32)
    r = pearson_correlation(torch.from_numpy(pred), torch.from_numpy(target)).numpy()
    assert r.shape == (3, 2)
    for n in range(3):
        for t in range(2):
            assert r[n, t] == pytest.approx(stats.pearsonr(pred[n, t], target[n, t])[0], abs=1e-5)


def test_pearson_2d_correlates_over_batch_and_constant_is_zero():
    rng = np.random.default_rng(2)
    pred = rng.random((10, 3)).astype(np.float32)
    target = rng.random((10, 3)).astype(np.float32)
    r = pearson_correlation(torch.from_numpy(pred), torch.from_numpy(target)).numpy()
    assert r.shape == (3,)
    for t in range(3):
        assert r[t] == pytest.approx(stats.pearsonr(pred[:, t], target[:, t])[0], abs=1e-5)
    const = pearson_correlation(torch.ones(1, 1, 5), torch.arange(5.0).reshape(1, 1, 5))
    assert const.item() == 0.0


def test_pearson_mse_is_one_minus_r_plus_mse():
    rng = np.random.default_rng(3)
    pred = rng.random((2, 2, 12)).astype(np.float32)
    target = rng.random((2, 2, 12)).astype(np.float32)
    rs = [stats.pearsonr(pred[n, t], target[n, t])[0] for n in range(2) for t in range(2)]
    expected = (1 - np.mean(rs)) + np.mean((pred - target) ** 2)
    got = pearson_mse(torch.from_numpy(pred), torch.from_numpy(target)).item()
    assert got == pytest.approx(expected, abs=1e-5)
    weighted = pearson_mse(torch.from_numpy(pred), torch.from_numpy(target), mse_weight=0.0).item()
    assert weighted == pytest.approx(1 - np.mean(rs), abs=1e-5)
    # a perfect prediction has zero loss
    t = torch.from_numpy(target)
    assert pearson_mse(t, t).item() == pytest.approx(0.0, abs=1e-5)


def test_bce_hand_checked():
    logits = torch.tensor([[0.0, 2.0], [-1.0, 3.0]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])

    def sig(x):
        return 1 / (1 + math.exp(-x))

    expected = -np.mean(
        [math.log(sig(0.0)), math.log(1 - sig(2.0)), math.log(1 - sig(-1.0)), math.log(sig(3.0))]
    )
    assert bce_with_logits(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    assert bce_with_logits(logits, labels).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, labels).item()
    )


def test_get_loss_lookup_and_errors():
    assert get_loss("poisson") is poisson_nll
    assert get_loss(DEFAULT_LOSS["binary"], "binary") is bce_with_logits
    with pytest.raises(ConfigError, match="unknown loss 'huber'"):
        get_loss("huber")
    with pytest.raises(ConfigError, match="does not fit binary"):
        get_loss("poisson", "binary")
