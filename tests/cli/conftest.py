"""Fixtures and helpers of the command-line tests (one test module per ``benchsuite/cli`` module).

The fixtures are the ones of the tests of the layer each command drives, imported (not copied):
the fake run plugin's smoke bundle (``tests/run``), the tiny hand-made bundle (``tests/data``),
faked plugin entry points (``tests/plugins``) and a folder of hand-built records
(``tests/leaderboard``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data.conftest import tiny_bundle, tiny_bundle_template
from tests.leaderboard.conftest import sample_runs
from tests.plugins.conftest import install_entry_points
from tests.run.conftest import smoke_bundle, smoke_cache_dir

__all__ = [
    "ROOT",
    "exit_code",
    "fake_cli",
    "install_entry_points",
    "sample_runs",
    "smoke_bundle",
    "smoke_cache_dir",
    "tiny_bundle",
    "tiny_bundle_template",
]

ROOT = Path(__file__).resolve().parents[2]


def exit_code(argv: list[str]) -> int:
    """The exit code of ``benchsuite ARGV`` run in this process through the real entry point."""
    from benchsuite.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    return int(info.value.code or 0)


def fake_cli(args: list[str], cache: Path) -> subprocess.CompletedProcess:
    """``benchsuite ARGS`` in a subprocess with the fake run plugin (:mod:`tests.run.fake_cli`)."""
    env = dict(
        os.environ, BENCHSUITE_CACHE=str(cache), PYTHONPATH=str(ROOT), COLUMNS="250", OMP_NUM_THREADS="1"
    )
    return subprocess.run(
        [sys.executable, "-m", "tests.run.fake_cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
