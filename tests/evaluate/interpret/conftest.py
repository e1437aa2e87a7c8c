"""Fixtures of the interpretation tests: one tiny simulated world per session."""

from __future__ import annotations

import pytest

from tests.evaluate.interpret.world import World, make_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("interpret-world"))
