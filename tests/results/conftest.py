"""Fixtures of the results tests: a tiny trained cell (fake conv model, smoke bundle, one epoch).

The fake plugin and the run options come from :mod:`tests.run.conftest`; the cell is trained once
per session and copied into each test's folder (tests tamper with their copy).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from benchsuite.plugins import Registry
from benchsuite.run.runner import RunOptions, cell_dir, run_benchmark
from tests.run.conftest import fake_registry, run_options


@pytest.fixture
def registry() -> Registry:
    return fake_registry()


@pytest.fixture(scope="session")
def results_bundle(tmp_path_factory) -> Path:
    """A simulated smoke bundle (made once per session)."""
    from benchsuite.simulate.bundle import simulate_bundle

    return Path(simulate_bundle("smoke", tmp_path_factory.mktemp("results-bundle") / "bundle", 0))


@pytest.fixture(scope="session")
def results_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("results-cache")


def trained_options(bundle: Path, out: Path, cache: Path) -> RunOptions:
    """fake-conv, quantitative, smoke profile, one epoch, no CAGI5/motifs/ceilings."""
    return run_options(bundle, out, cache, models=("fake-conv",), task="quantitative")


@pytest.fixture(scope="session")
def _trained_once(tmp_path_factory, results_bundle, results_cache) -> Path:
    out = tmp_path_factory.mktemp("trained") / "runs"
    summary = run_benchmark(
        trained_options(results_bundle, out, results_cache),
        registry=fake_registry(),
        console=Console(file=io.StringIO()),
    )
    assert summary.exit_code == 0, [o.error for o in summary.outcomes]
    assert summary.root is not None
    return cell_dir(summary.root, "fake-conv", "quantitative", 0)


@pytest.fixture
def trained_cell(_trained_once, tmp_path) -> Path:
    """A copy of the trained cell folder (record.json, checkpoint.ckpt, train.json)."""
    target = tmp_path / "cell"
    shutil.copytree(_trained_once, target)
    return target
