"""The benchmark run: the (model, task) matrix, sharding, resumable cells and the summary.

See :mod:`benchsuite.run.matrix` and :mod:`benchsuite.run.runner`.
"""

from __future__ import annotations

from benchsuite.run.matrix import Cell, build_matrix, parse_shard, shard_cells
from benchsuite.run.runner import RunOptions, RunSummary, run_benchmark

__all__ = ["Cell", "build_matrix", "parse_shard", "shard_cells", "RunOptions", "RunSummary", "run_benchmark"]
