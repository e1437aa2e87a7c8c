"""Fixtures for the baseline-zoo tests.

The zoo is its own distribution (``plugins/benchsuite-baselines``). When it is not installed
in the environment, its source folder is put on ``sys.path`` so the tests still run; the
plugin module is then registered directly (``extra=``), exactly as installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINES_SRC = ROOT / "plugins" / "benchsuite-baselines"

try:
    import benchsuite_baselines  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(BASELINES_SRC))


@pytest.fixture(scope="session")
def baselines():
    """Registry holding exactly the baseline zoo (registered from its plugin module)."""
    import benchsuite_baselines.plugin

    from benchsuite.plugins import load_plugins

    registry = load_plugins(allow=(), extra=[benchsuite_baselines.plugin])
    assert registry.errors == [], [str(e) for e in registry.errors]
    return registry


@pytest.fixture(autouse=True)
def _one_thread():
    """The machine is shared: keep each model test on one CPU thread."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
