"""Ceilings: replicate 2 straight from the cache arrays, the oracle through the harness."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.errors import ConfigError, DatasetError
from benchsuite.evaluate.ceilings import oracle_ceiling, replicate2_ceiling
from benchsuite.evaluate.harness import EvalOptions, evaluate_model
from benchsuite.plugins.spec import TaskSpec
from tests.evaluate.conftest import TARGETS, FakeManifest, make_toy_cache
from tests.evaluate.toys import ConvCoverage

OPTIONS = EvalOptions(batch_size=16, robustness_max_sequences=20)


def _bin(x, b):
    return x.reshape(*x.shape[:-1], x.shape[-1] // b, b).mean(axis=-1)


@pytest.fixture(scope="module")
def rep2(toy_cache, toy_manifest):
    return replicate2_ceiling(toy_cache, toy_manifest, bin_size=8, options=OPTIONS)


def test_replicate2_wholechrom_matches_direct(rep2, toy_cache):
    w = toy_cache.split("wholechrom", "test")
    x = _bin(w.cov_rep2.astype(np.float64), 8)
    y = _bin(w.cov.astype(np.float64), 8)
    for t, name in enumerate(TARGETS):
        xt, yt = x[:, t].ravel(), y[:, t].ravel()
        assert rep2.metrics["wholechrom.pearson"]["per_target"][name] == pytest.approx(
            stats.pearsonr(xt, yt)[0], abs=1e-6
        )
        assert rep2.metrics["wholechrom.spearman"]["per_target"][name] == pytest.approx(
            stats.spearmanr(xt, yt)[0], abs=1e-6
        )
        assert rep2.metrics["wholechrom.mse"]["per_target"][name] == pytest.approx(
            np.mean((xt - yt) ** 2), rel=1e-5
        )
        xc, yc = (
            _bin(w.cov_rep2[:, t].astype(np.float64), 32).ravel(),
            _bin(w.cov[:, t].astype(np.float64), 32).ravel(),
        )
        assert rep2.metrics["wholechrom_common.pearson"]["per_target"][name] == pytest.approx(
            stats.pearsonr(xc, yc)[0], abs=1e-6
        )


def test_replicate2_peak_metrics_use_mean_rep2_coverage(rep2, toy_cache):
    b = toy_cache.split("binary", "test")
    window = slice(64, 320)
    score = b.cov_rep2[:, :, window].astype(np.float64).mean(axis=2)
    mean_cov = b.cov[:, :, window].astype(np.float64).mean(axis=2)
    for t, name in enumerate(TARGETS):
        assert rep2.metrics["peak.auroc"]["per_target"][name] == pytest.approx(
            roc_auc_score(b.labels[:, t], score[:, t]), abs=1e-6
        )
        assert rep2.metrics["peak.aupr"]["per_target"][name] == pytest.approx(
            average_precision_score(b.labels[:, t], score[:, t]), abs=1e-6
        )
        assert rep2.metrics["peak.pearson"]["per_target"][name] == pytest.approx(
            stats.pearsonr(score[:, t], mean_cov[:, t])[0], abs=1e-6
        )


def test_replicate2_families_and_reasons(rep2):
    assert {"perseq.pearson", "thresholded.pearson@0", "peak.pearson_perseq"} <= set(rep2.metrics)
    assert all(math.isfinite(e["mean"]) for e in rep2.metrics.values())
    assert not any(n.startswith(("robustness", "cagi5", "motifs")) for n in rep2.metrics)
    for family in ("robustness", "cagi5", "motifs"):
        assert rep2.not_applicable[family]
    assert rep2.tables["ceiling"] == {"kind": "replicate2", "bin_size": 8}


def test_replicate2_without_rep2_tracks_is_an_error():
    cache = make_toy_cache(2, n_tiles=12, rep2=False)
    with pytest.raises(DatasetError, match="replicate-2"):
        replicate2_ceiling(cache, FakeManifest("x", cache.geometry, cache.target_names))
    with pytest.raises(ConfigError, match="bin size"):
        replicate2_ceiling(cache, FakeManifest("x", cache.geometry, cache.target_names), bin_size=7)


def test_oracle_ceiling_runs_the_harness(toy_cache, toy_manifest, fake_oracle, rep2):
    res = oracle_ceiling(fake_oracle, toy_cache, toy_manifest, bin_size=8, options=OPTIONS)
    assert {"wholechrom.pearson", "perseq.pearson", "peak.auroc", "robustness.variation"} <= set(res.metrics)
    assert res.not_applicable["motifs"] == "the oracle has no first-layer filters"
    assert res.tables["ceiling"] == {"kind": "oracle", "bin_size": 8}
    assert res.tables["evaluation"]["predictor"] == "oracle"
    # the oracle is the noise-free expectation: it beats replicate 2 and a mismatched model
    model = evaluate_model(
        ConvCoverage(3, 8), TaskSpec("quantitative", 256, 3, 8), toy_cache, toy_manifest, options=OPTIONS
    )
    for metric in ("wholechrom.pearson", "wholechrom_common.pearson", "perseq.pearson"):
        assert res.mean(metric) > rep2.mean(metric)
        assert res.mean(metric) > model.mean(metric)
    assert res.mean("robustness.variation") < 0.02
