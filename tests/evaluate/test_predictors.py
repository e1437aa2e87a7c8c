"""TorchPredictor and OraclePredictor: shapes, dtype, batching, contract errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchsuite.errors import ConfigError, ModelContractError
from benchsuite.evaluate.predictors import OraclePredictor, Predictor, TorchPredictor
from benchsuite.evaluate.stats import bin_average
from benchsuite.plugins.spec import TaskSpec
from tests.evaluate.toys import ConvBinary, ConvCoverage, FakeOracle, NaNModel, codes_to_onehot


@pytest.fixture
def onehot():
    codes = np.random.default_rng(0).integers(0, 5, size=(10, 64), dtype=np.uint8)
    return codes_to_onehot(codes)


def test_quantitative_predictor_shapes_and_batching(onehot):
    model = ConvCoverage(3, 8)
    model.train()
    task = TaskSpec("quantitative", 64, 3, 8, ("a", "b", "c"))
    pred = TorchPredictor(model, task, batch_size=3, name="conv")
    assert isinstance(pred, Predictor)
    assert pred.kind == "quantitative" and pred.bin_size == 8 and pred.target_names == ("a", "b", "c")
    assert not model.training  # eval mode
    out = pred.predict(onehot)
    assert out.shape == (10, 3, 8) and out.dtype == np.float32
    with torch.no_grad():
        direct = model(torch.from_numpy(onehot)).numpy()
    np.testing.assert_allclose(out, direct, rtol=1e-6)
    big = TorchPredictor(model, task, batch_size=100).predict(onehot)
    np.testing.assert_allclose(out, big, rtol=1e-6)
    assert pred.predict(onehot[:0]).shape == (0, 3, 8)


def test_binary_predictor(onehot):
    pred = TorchPredictor(ConvBinary(2), TaskSpec("binary", 64, 2))
    assert pred.bin_size == 64
    assert pred.target_names == ("target0", "target1")
    out = pred.predict(onehot)
    assert out.shape == (10, 2) and out.dtype == np.float32


def test_nan_predictions_name_the_model(onehot):
    pred = TorchPredictor(NaNModel(3, 8), TaskSpec("quantitative", 64, 3, 8), name="broken-net")
    with pytest.raises(ModelContractError, match="broken-net.*NaN"):
        pred.predict(onehot)


def test_wrong_shape_and_negative_coverage(onehot):
    wrong = TorchPredictor(ConvCoverage(3, 4), TaskSpec("quantitative", 64, 3, 8), name="m")
    with pytest.raises(ModelContractError, match=r"shape \(10, 3, 16\).*\(10, 3, 8\)"):
        wrong.predict(onehot)

    class Negative(torch.nn.Module):
        def forward(self, x):
            return -torch.ones(x.shape[0], 1, x.shape[-1])

    with pytest.raises(ModelContractError, match="non-negative"):
        TorchPredictor(Negative(), TaskSpec("quantitative", 64, 1)).predict(onehot)

    class Tuple(torch.nn.Module):
        def forward(self, x):
            return (x,)

    with pytest.raises(ModelContractError, match="tensor"):
        TorchPredictor(Tuple(), TaskSpec("quantitative", 64, 1)).predict(onehot)
    with pytest.raises(ValueError, match="one-hot"):
        TorchPredictor(ConvCoverage(3, 8), TaskSpec("quantitative", 64, 3, 8)).predict(onehot[:, :, :32])


def test_bad_device_and_batch_size():
    with pytest.raises(ConfigError, match="device"):
        TorchPredictor(ConvCoverage(1), TaskSpec("quantitative", 64, 1), device="not-a-device")
    with pytest.raises(ConfigError, match="batch_size"):
        TorchPredictor(ConvCoverage(1), TaskSpec("quantitative", 64, 1), batch_size=0)


def test_oracle_predictor_bins_and_reorders(onehot):
    oracle = FakeOracle(("a", "b", "c"))
    base = oracle(onehot)
    pred = OraclePredictor(oracle, 64, bin_size=16, target_names=("c", "a"))
    assert isinstance(pred, Predictor)
    out = pred.predict(onehot)
    assert out.shape == (10, 2, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out, bin_average(base[:, [2, 0]], 16), rtol=1e-6)
    assert OraclePredictor(oracle, 64).target_names == ("a", "b", "c")
    with pytest.raises(ConfigError, match="no target"):
        OraclePredictor(oracle, 64, target_names=("a", "zzz"))
    with pytest.raises(ConfigError, match="multiple"):
        OraclePredictor(oracle, 64, bin_size=7)


def test_oracle_nan_is_a_contract_error(onehot):
    class BadOracle:
        target_names = ("a",)

        def __call__(self, x):
            return np.full((x.shape[0], 1, x.shape[2]), np.nan, dtype=np.float32)

    with pytest.raises(ModelContractError, match="oracle"):
        OraclePredictor(BadOracle(), 64).predict(onehot)
