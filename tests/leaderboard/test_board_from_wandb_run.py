"""A real offline ``benchsuite run`` rebuilds the same board from its W&B run folders alone."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchsuite", *args], env=env, capture_output=True, text=True, timeout=900
    )


def _rows(board_root: Path) -> list[dict[str, str]]:
    (csv_path,) = board_root.glob("*/leaderboard.csv")
    with open(csv_path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_board_from_offline_wandb_folders_equals_board_from_records(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        WANDB_MODE="offline",
        BENCHSUITE_CACHE=str(tmp_path / "cache"),
        COLUMNS="200",
        OMP_NUM_THREADS="1",
    )
    out = tmp_path / "runs"
    run = _cli(
        [
            "run",
            "--model",
            "cnn-baseline",
            "--task",
            "quantitative",
            "--profile",
            "smoke",
            "--no-motifs",
            "--wandb",
            "offline",
            "--out",
            str(out),
        ],
        env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    wandb_dir = out / "wandb"
    run_folders = sorted(wandb_dir.glob("offline-run-*"))
    # one W&B run per model cell and per ceiling (oracle, replicate 2) at each bin (1, 32, 128, 512)
    assert len(run_folders) == 1 + 2 * 4
    assert all((f / "files" / "record.json").is_file() for f in run_folders)

    from_records = _cli(["leaderboard", "--records", str(out), "--out", str(tmp_path / "a")], env)
    assert from_records.returncode == 0, from_records.stderr[-3000:]
    from_wandb = _cli(["leaderboard", "--wandb-dir", str(wandb_dir), "--out", str(tmp_path / "b")], env)
    assert from_wandb.returncode == 0, from_wandb.stderr[-3000:]

    rows_a, rows_b = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert rows_a == rows_b
    labels = {(r["kind"], r["model"]) for r in rows_a}
    assert labels == {("model", "cnn-baseline"), ("ceiling", "oracle"), ("ceiling", "replicate2")}
    bins = sorted((r["model"], int(r["bin_size"])) for r in rows_a if r["kind"] == "ceiling")
    assert bins == [(name, b) for name in ("oracle", "replicate2") for b in (1, 32, 128, 512)]
    (model,) = [r for r in rows_a if r["kind"] == "model"]
    assert model["wholechrom_common.pearson_pct_oracle"] != ""  # against the oracle at the common bin
