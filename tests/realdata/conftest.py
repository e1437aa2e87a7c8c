"""Fixtures of the real-data tier: the realmini example bundle and one real `benchsuite run` on it.

Every test here needs ``../shared/data`` (``BENCHSUITE_REAL_DATA``) and skips with a reason
through the ``real_data`` fixture of ``tests/conftest.py`` when it is absent. The manifest
``examples/realmini/manifest.yaml`` names its files through ``${BENCHSUITE_REAL_DATA}``; the
fixtures set that variable to the folder found (it may be unset, the default is then used).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "realmini"
#: one binary-capable and one quantitative-only baseline: 3 cells (cnn-baseline x 2 tasks, residualbind-32)
MODELS = "cnn-baseline,residualbind-32"


@pytest.fixture(scope="session")
def real_data_env(real_data: Path) -> Iterator[Path]:
    """Point ``BENCHSUITE_REAL_DATA`` at the real-data folder for this session."""
    patch = pytest.MonkeyPatch()
    patch.setenv("BENCHSUITE_REAL_DATA", str(real_data))
    yield real_data
    patch.undo()


@pytest.fixture(scope="session")
def realdata_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dataset cache folder for the whole tier (realmini is prepared once)."""
    return tmp_path_factory.mktemp("realdata-cache")


def cli_env(real_data: Path, cache_dir: Path) -> dict[str, str]:
    """Environment of a `benchsuite` subprocess: real data, private cache, W&B off, one thread."""
    env = dict(os.environ)
    env.update(
        BENCHSUITE_REAL_DATA=str(real_data),
        BENCHSUITE_CACHE=str(cache_dir),
        WANDB_MODE="disabled",
        OMP_NUM_THREADS="1",
        COLUMNS="200",
    )
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``python -m benchsuite ARGS`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "benchsuite", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class RunResult:
    out: Path
    process: subprocess.CompletedProcess
    env: dict[str, str]


@pytest.fixture(scope="session")
def realmini_run(real_data_env: Path, realdata_cache_dir: Path, tmp_path_factory) -> RunResult:
    """`benchsuite run --bundle examples/realmini --profile smoke --model cnn-baseline,residualbind-32`."""
    out = tmp_path_factory.mktemp("realmini-run")
    env = cli_env(real_data_env, realdata_cache_dir)
    args = ["run", "--bundle", str(EXAMPLE), "--profile", "smoke", "--model", MODELS]
    process = run_cli([*args, "--out", str(out), "--wandb", "disabled"], env)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-5000:]
    return RunResult(out, process, env)
