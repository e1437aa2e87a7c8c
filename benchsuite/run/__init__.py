"""The benchmark run: the (model, task) matrix, sharding, resumable cells and the summary.

Modules: :mod:`~benchsuite.run.runner` (:func:`run_benchmark`, the orchestration),
:mod:`~benchsuite.run.matrix` (cells and shards), :mod:`~benchsuite.run.bundle` (the bundle
of a run), :mod:`~benchsuite.run.cells` (train + evaluate one cell),
:mod:`~benchsuite.run.ceilings` (oracle / replicate-2 records), :mod:`~benchsuite.run.resume`
(which leftover files are trusted), :mod:`~benchsuite.run.scoring` (a checkpoint through the
harness, its record), :mod:`~benchsuite.run.evaluate` (``benchsuite evaluate``),
:mod:`~benchsuite.run.context` (what the steps share) and :mod:`~benchsuite.run.summary`
(outcomes and the summary table).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Cell", "build_matrix", "parse_shard", "shard_cells", "RunOptions", "RunSummary", "run_benchmark"]

# imported on first use, so a light submodule (e.g. ``matrix`` for ``--shard`` parsing) does not
# pull in the runner, the harness and Lightning
_LAZY = {
    "Cell": "benchsuite.run.matrix",
    "build_matrix": "benchsuite.run.matrix",
    "parse_shard": "benchsuite.run.matrix",
    "shard_cells": "benchsuite.run.matrix",
    "RunOptions": "benchsuite.run.runner",
    "RunSummary": "benchsuite.run.runner",
    "run_benchmark": "benchsuite.run.runner",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'benchsuite.run' has no attribute {name!r}")
