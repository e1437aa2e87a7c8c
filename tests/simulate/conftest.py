"""Fixtures of the simulator tests: one smoke bundle per session and its oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchsuite.simulate import load_oracle, simulate_bundle


@pytest.fixture(scope="session")
def smoke_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A smoke bundle (seed 0), simulated once per test session."""
    out = tmp_path_factory.mktemp("simulate") / "smoke-seed0"
    simulate_bundle("smoke", out, 0, progress=False)
    return out


@pytest.fixture(scope="session")
def smoke_truth(smoke_bundle: Path) -> dict:
    """The parsed truth.json of the smoke bundle."""
    return json.loads((smoke_bundle / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def smoke_oracle(smoke_bundle: Path):
    """The oracle of the smoke bundle, rebuilt from its truth.json."""
    return load_oracle(smoke_bundle)
