"""The linear probe: ridge in closed form, fitted on the training split only."""

from __future__ import annotations

import numpy as np
import torch

from benchsuite.adapt.predictor import AdaptedModule
from benchsuite.adapt.probe import fit_probe, ridge
from benchsuite.io.onehot import one_hot
from benchsuite.plugins import TaskSpec

from .conftest import BASE_TRACKS, EchoModel

torch.set_num_threads(1)


class SpyCache:
    """A cache that records every split it is asked for."""

    def __init__(self, cache):
        self.cache = cache
        self.asked: list[tuple[str, str]] = []

    def split(self, kind, split):
        self.asked.append((kind, split))
        return self.cache.split(kind, split)


def test_ridge_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    y = x @ np.array([[1.0, 0.0], [2.0, -1.0], [0.0, 3.0]]) + np.array([0.5, -2.0])
    w, b = ridge(x, y, 1e-9)
    np.testing.assert_allclose(w, [[1, 0], [2, -1], [0, 3]], atol=1e-6)
    np.testing.assert_allclose(b, [0.5, -2.0], atol=1e-6)


def _module(kind):
    task = TaskSpec(kind, 512, 4, 32 if kind == "quantitative" else 1, BASE_TRACKS)
    return AdaptedModule(EchoModel(task), task, window=512, dataset_bins=(1, 32, 128))


def test_probe_reads_only_the_training_split(smoke):
    _, cache = smoke
    spy = SpyCache(cache)
    mapping = fit_probe(_module("quantitative"), spy, cache.target_names)
    assert spy.asked == [("quantitative", "train")]
    assert mapping.mode == "probe" and mapping.row_kind == "probed"
    assert mapping.weights.shape == (3, 4)
    n_train = len(cache.split("quantitative", "train"))
    assert mapping.info["fitted_on"] == "quantitative/train" and mapping.info["windows"] == n_train
    assert mapping.info["rows"] == n_train * 16  # 16 bins of 32 bp per window


def test_probe_fit_equals_ridge_on_the_training_windows(smoke):
    _, cache = smoke
    module = _module("quantitative")
    mapping = fit_probe(module, cache, cache.target_names)
    split = cache.split("quantitative", "train")
    codes = np.asarray(split.seq[:, 128:640])
    x = one_hot(codes).reshape(len(codes), 4, 16, 32).mean(-1).transpose(0, 2, 1).reshape(-1, 4)
    cov = np.nan_to_num(np.asarray(split.cov[:, :, 128:640], dtype=np.float64))
    y = cov.reshape(len(codes), 3, 16, 32).mean(-1).transpose(0, 2, 1).reshape(-1, 3)
    w, b = ridge(x, y, 1e-3)
    np.testing.assert_allclose(mapping.weights, w.T, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(mapping.bias, b, rtol=1e-4, atol=1e-6)


def test_binary_probe_reads_only_binary_train_and_outputs_logits(smoke):
    _, cache = smoke
    spy = SpyCache(cache)
    module = _module("binary")
    mapping = fit_probe(module, spy, cache.label_target_names)
    assert spy.asked == [("binary", "train")] and mapping.link == "logit"
    module.mapping = mapping
    codes = np.asarray(cache.split("binary", "test").seq[:4, 128:640])
    out = module(torch.from_numpy(one_hot(codes))).detach().numpy()
    p = np.clip(mapping.apply(module.predict_tracks(one_hot(codes)), "binary"), -50, 50)
    np.testing.assert_allclose(out, p, rtol=1e-4, atol=1e-4)
