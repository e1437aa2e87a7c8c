"""Fixtures for the plugin-system tests (helpers live in ``tests/plugins/fakes.py``)."""

from __future__ import annotations

import importlib.metadata

import pytest


@pytest.fixture
def install_entry_points(monkeypatch):
    """Replace the installed ``benchsuite`` entry points with the given ones."""

    original = importlib.metadata.entry_points

    def install(*eps) -> None:
        def entry_points(**params):
            # only the benchsuite group is faked: torch, for one, reads its own group on import
            if params.get("group") == "benchsuite":
                return list(eps)
            return original(**params)

        monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)

    monkeypatch.delenv("BENCHSUITE_PLUGINS", raising=False)
    return install


@pytest.fixture
def no_env_allow(monkeypatch):
    monkeypatch.delenv("BENCHSUITE_PLUGINS", raising=False)
