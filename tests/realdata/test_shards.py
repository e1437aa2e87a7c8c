"""Sharded runs gather into the same board as one unsharded run (docs/cluster.md).

`benchsuite run --shard 1/2` and `--shard 2/2` write into one shared --out, as the tasks of a
SLURM array would; `benchsuite leaderboard --records OUT` then builds the board from both
shards' records. Its CSV rows must equal the board of the unsharded run (the realmini_run
fixture) - the leaderboard CSV holds no timing column, every metric is compared.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from .conftest import EXAMPLE, MODELS, run_cli

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: columns that may differ between two runs of the same cells (none in leaderboard.csv today)
TIMING_COLUMNS = {"created_at", "checksum", "train_s", "evaluate_s", "seconds"}


def _board_rows(records: Path, out: Path, env: dict[str, str]) -> list[dict[str, str]]:
    process = run_cli(["leaderboard", "--records", str(records), "--out", str(out), "--strict"], env)
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-2000:]
    (csv_path,) = out.glob("*/leaderboard.csv")
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in rows]


def _same(a: str, b: str) -> bool:
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def test_two_shards_gather_into_the_unsharded_board(realmini_run, tmp_path: Path) -> None:
    shared = tmp_path / "shared-out"  # one --out for both shards, as on a network file system
    cells = {}
    for shard in ("1/2", "2/2"):
        args = ["run", "--bundle", str(EXAMPLE), "--profile", "smoke", "--model", MODELS, "--shard", shard]
        process = run_cli([*args, "--out", str(shared), "--wandb", "disabled"], realmini_run.env)
        assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-3000:]
        cells[shard] = {
            p.parent.parent.parent.name + "/" + p.parent.parent.name
            for p in shared.glob("*/*/*/seed0/record.json")
        }
    # the shards partition the three cells (sorted matrix, index modulo 2)
    assert cells["1/2"] == {"cnn-baseline/binary", "residualbind-32/quantitative"}
    assert cells["2/2"] == cells["1/2"] | {"cnn-baseline/quantitative"}

    sharded = _board_rows(shared, tmp_path / "board-sharded", realmini_run.env)
    unsharded = _board_rows(realmini_run.out, tmp_path / "board-unsharded", realmini_run.env)
    assert len(sharded) == len(unsharded) == 3
    assert [r.keys() for r in sharded] == [r.keys() for r in unsharded]
    for got, want in zip(sharded, unsharded, strict=True):
        different = {k: (got[k], want[k]) for k in want if not _same(got[k], want[k])}
        assert not different, f"{want['model']}/{want['task']}: {different}"
