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

from benchsuite.run.matrix import Cell, build_matrix, parse_shard, shard_cells
from benchsuite.run.runner import RunOptions, RunSummary, run_benchmark

__all__ = ["Cell", "build_matrix", "parse_shard", "shard_cells", "RunOptions", "RunSummary", "run_benchmark"]
