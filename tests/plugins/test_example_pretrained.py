"""The example evaluate-only plugin (plugins/benchsuite-example-pretrained): a 1,024-bp, 16-bp-bin,
four-track model loaded from a checkpoint this test writes, scored on the 512-bp smoke bundle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchsuite.adapt.pretrained import evaluate_pretrained
from benchsuite.errors import PluginError
from benchsuite.io.onehot import one_hot
from benchsuite.plugins import load_plugins
from tests.adapt.conftest import genome, smoke  # noqa: F401 - fixtures

torch.set_num_threads(1)

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "benchsuite-example-pretrained"


@pytest.fixture(scope="module")
def example():
    name = "benchsuite_example_pretrained.plugin"
    spec = importlib.util.spec_from_file_location(
        name, PLUGIN / "benchsuite_example_pretrained" / "plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def weights(example, tmp_path, monkeypatch):
    path = example.write_checkpoint(tmp_path / "weights.pt", seed=3)
    monkeypatch.setenv(example.WEIGHTS_ENV, str(path))
    return path


def _registered(example):
    registry = load_plugins(allow=[], extra=[example])
    assert not registry.errors, registry.errors
    return registry.get("example-pretrained")


def test_checkpoint_is_small(weights):
    assert weights.stat().st_size < 20_000


def test_missing_weights_is_a_clear_error(example, tmp_path, monkeypatch):
    monkeypatch.setenv(example.WEIGHTS_ENV, str(tmp_path / "none.pt"))
    with pytest.raises(PluginError, match=r"the example's weights are not at .*none.pt"):
        _registered(example).load("quantitative")


def test_example_is_scored_through_the_adaptors(example, weights, smoke):  # noqa: F811
    from benchsuite.evaluate import EvalOptions

    manifest, cache = smoke
    options = EvalOptions(cagi5=False, robustness_max_sequences=8, motifs_max_sequences=32, progress=False)
    result, info = evaluate_pretrained(_registered(example), "quantitative", cache, manifest, options=options)
    adaptation = info["adaptation"]
    assert adaptation["input"] == {
        "mode": "context",
        "window": 512,
        "native_input_length": 1024,
        "native_bin_size": 16,
        "left": 256,
        "right": 256,
        "tiles": [0],
    }
    assert adaptation["resolution"] == {"native_bin_size": 16, "scored_bin_size": 32, "averaged_bins": 2}
    assert adaptation["targets"]["mode"] == "names"
    assert adaptation["targets"]["weights"] == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert result.tables["evaluation"]["bin_size"] == 32
    assert {"wholechrom.pearson", "perseq.pearson", "peak.auroc", "motifs.hit_ratio"} <= set(result.metrics)


def test_predictions_equal_the_model_run_on_the_genome_itself(example, weights, smoke, genome):  # noqa: F811
    from benchsuite.adapt.context import GenomeLocator
    from benchsuite.adapt.predictor import AdaptedModule
    from benchsuite.adapt.targets import names_mapping

    _, cache = smoke
    model, native = _registered(example).load("quantitative")
    module = AdaptedModule(
        model, native, window=512, dataset_bins=(1, 32, 128), locator=GenomeLocator(genome)
    )
    module.mapping = names_mapping(cache.target_names, native.target_names, plugin="p", model="m")
    split = cache.split("wholechrom", "test")
    got = module(torch.from_numpy(one_hot(np.asarray(split.seq[:4])))).detach().numpy()
    for i, (c, s) in enumerate(split.coords[:4]):
        chrom, start = split.chroms[int(c)], int(s)
        region = genome.fetch_codes(chrom, start - 256, start + 768) if start >= 256 else None
        if region is None:
            continue
        with torch.no_grad():
            out = model(torch.from_numpy(one_hot(region[None]))).numpy()[0]  # (4 tracks, 64 bins of 16)
        want = out[:3, 16:48].reshape(3, 16, 2).mean(-1)
        np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-6)
