"""Shared pytest configuration and fixtures.

- W&B is disabled in every test unless a test opts into offline mode itself.
- numba (memelite) caches its compiled code under a writable folder.
- ``benchsuite run`` defaults to one cell at a time (``BENCHSUITE_JOBS=1``): faked plugin entry
  points exist only in the test process, so parallel tests ask for ``--jobs`` themselves.
- the search plugin registers no architecture document (``BENCHSUITE_SEARCH_DIR`` points at a
  missing folder) unless a test points it at one.
- ``real_data`` gives the ../shared/data folder (``BENCHSUITE_REAL_DATA``) or skips with a reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
os.environ.setdefault("BENCHSUITE_CACHE", str(ROOT / ".cache" / "test-datasets"))
os.environ.setdefault("BENCHSUITE_JOBS", "1")
# the committed architecture documents (searched/) are models of the default board, not of the
# tests: the search plugin registers nothing from a folder that does not exist
os.environ.setdefault("BENCHSUITE_SEARCH_DIR", str(ROOT / ".cache" / "no-searched-models"))


def real_data_dir() -> Path | None:
    """The real-data folder, or None when it is absent."""
    path = Path(os.environ.get("BENCHSUITE_REAL_DATA", ROOT.parent / "shared" / "data"))
    return path if (path / "README.md").exists() else None


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Path of ../shared/data; skips the test with a clear reason when it is absent."""
    path = real_data_dir()
    if path is None:
        pytest.skip(
            "real data not found: set BENCHSUITE_REAL_DATA to the shared data folder "
            "(default ../shared/data relative to the repository)"
        )
    return path
