"""The runner: which cells an invocation selects, and options refused before anything runs."""

from __future__ import annotations

import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.run.runner import run_benchmark

from .conftest import run_and_print, run_options

torch.set_num_threads(1)


def test_shard_runs_a_subset(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    options = run_options(smoke_bundle, tmp_path / "runs", smoke_cache_dir, all_models=True, shard="2/3")
    summary, _ = run_and_print(options, registry)
    # matrix: fake-broken/q, fake-conv/b, fake-conv/q, fake-conv32/q, fake-wrongshape/q -> index 1, 4
    assert [(o.model, o.task) for o in summary.outcomes] == [
        ("fake-conv", "binary"),
        ("fake-wrongshape", "quantitative"),
    ]


def test_bad_options_fail_before_running(tmp_path, smoke_bundle, registry):
    with pytest.raises(ConfigError) as info:
        run_benchmark(run_options(smoke_bundle, tmp_path, tmp_path), registry=registry)
    assert info.value.source == "--all/--model"
    with pytest.raises(ConfigError) as info:
        run_benchmark(
            run_options(smoke_bundle, tmp_path, tmp_path, all_models=True, shard="4/3"), registry=registry
        )
    assert info.value.source == "--shard"
    with pytest.raises(ConfigError) as info:
        run_benchmark(
            run_options(smoke_bundle, tmp_path, tmp_path, all_models=True, wandb="loud"), registry=registry
        )
    assert info.value.source == "--wandb"
    with pytest.raises(ConfigError) as info:
        run_benchmark(
            run_options(smoke_bundle, tmp_path, tmp_path, all_models=True, profile="huge"), registry=registry
        )
    assert info.value.source == "--profile"
    assert not (tmp_path / "bundles").exists()
