"""Resuming: which leftover files a rerun trusts, and ``kill -9`` of a running ``benchsuite run``.

A valid record of the same cell, dataset, settings and harness is kept (the cell is skipped); a
truncated record, another cell's record or other training settings are not trusted; a
checkpoint without ``train.json`` is retrained. Killed at bad moments, the same command
resumes and loses nothing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from benchsuite.results.record import read_record
from benchsuite.run.cells import cell_dir

from .conftest import BUILDS, by_cell, run_and_print, run_options

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]


def test_finished_cells_are_skipped_on_rerun(finished_run, registry):
    options, first, _ = finished_run
    record = cell_dir(first.root, "fake-conv", "quantitative", 0) / "record.json"
    stamp = record.stat().st_mtime_ns
    builds = BUILDS["fake-conv"]
    summary, text = run_and_print(options, registry)
    cells = by_cell(summary)
    assert cells[("fake-conv", "quantitative")].status == "skipped"
    assert cells[("fake-conv", "binary")].status == "skipped"
    assert BUILDS["fake-conv"] == builds  # neither retrained nor re-evaluated
    assert record.stat().st_mtime_ns == stamp
    # the failing cells are attempted again (and fail again)
    assert cells[("fake-broken", "quantitative")].status == "failed"
    assert summary.exit_code == 1


def test_truncated_record_is_not_used(finished_run, registry):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "quantitative", 0)
    record = folder / "record.json"
    text = record.read_text()
    record.write_text(text[: len(text) // 2])
    ckpt_stamp = (folder / "checkpoint.ckpt").stat().st_mtime_ns
    summary, _ = run_and_print(
        run_options(options.bundle, options.out, options.cache_dir, models=("fake-conv",)), registry
    )
    cells = by_cell(summary)
    # training had finished: only the evaluation is redone
    assert cells[("fake-conv", "quantitative")].status == "evaluated"
    assert (folder / "checkpoint.ckpt").stat().st_mtime_ns == ckpt_stamp
    assert read_record(record)["model"]["name"] == "fake-conv"
    assert cells[("fake-conv", "binary")].status == "skipped"
    assert summary.exit_code == 0


def test_checkpoint_without_train_json_is_retrained(finished_run, registry):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "binary", 0)
    (folder / "record.json").unlink()
    (folder / "train.json").unlink()
    (folder / "checkpoint.ckpt").write_bytes(b"half-written")
    summary, _ = run_and_print(
        run_options(options.bundle, options.out, options.cache_dir, models=("fake-conv",)), registry
    )
    cells = by_cell(summary)
    assert cells[("fake-conv", "binary")].status == "trained"
    assert json.loads((folder / "train.json").read_text())["status"] == "trained"
    assert read_record(folder / "record.json")["task"] == "binary"


def test_record_of_another_cell_is_not_trusted(finished_run, registry):
    options, first, _ = finished_run
    a = cell_dir(first.root, "fake-conv", "binary", 0) / "record.json"
    b = cell_dir(first.root, "fake-conv", "quantitative", 0) / "record.json"
    os.replace(a, b)  # a valid record, but of the binary cell
    summary, _ = run_and_print(
        run_options(
            options.bundle, options.out, options.cache_dir, models=("fake-conv",), task="quantitative"
        ),
        registry,
    )
    assert by_cell(summary)[("fake-conv", "quantitative")].status == "evaluated"
    assert read_record(b)["task"] == "quantitative"


def test_changed_training_settings_retrain_the_cell(finished_run, registry):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "quantitative", 0)
    builds = BUILDS["fake-conv"]
    summary, _ = run_and_print(
        run_options(
            options.bundle,
            options.out,
            options.cache_dir,
            models=("fake-conv",),
            task="quantitative",
            max_epochs=2,
        ),
        registry,
    )
    assert by_cell(summary)[("fake-conv", "quantitative")].status == "trained"
    assert BUILDS["fake-conv"] > builds
    record = read_record(folder / "record.json")
    assert record["hyperparameters"]["training"]["max_epochs"] == 2
    assert json.loads((folder / "train.json").read_text())["training"]["max_epochs"] == 2


# --------------------------------------------------------------------------- kill -9

MODELS = "fake-conv,fake-conv32"
#: cells of the selection (fake-conv: binary + quantitative; fake-conv32: quantitative)
CELLS = {("fake-conv", "binary"), ("fake-conv", "quantitative"), ("fake-conv32", "quantitative")}


def _command(bundle: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tests.run.fake_cli",
        "run",
        "--model",
        MODELS,
        "--profile",
        "smoke",
        "--bundle",
        str(bundle),
        "--out",
        str(out),
        "--wandb",
        "disabled",
        "--accelerator",
        "cpu",
        "--no-motifs",
        "--no-ceilings",
    ]


def _env(tmp_path: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BENCHSUITE_CACHE=str(cache),
        BENCHSUITE_TEST_BUILD_LOG=str(tmp_path / "builds.log"),
        COLUMNS="250",
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
    )
    return env


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _kill_when(proc: subprocess.Popen, condition, timeout: float = 300.0) -> bool:
    """SIGKILL the process group as soon as ``condition()`` holds; False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    raise AssertionError("condition never met")


def _cells(out: Path) -> dict[tuple[str, str], Path]:
    found = {}
    for folder in out.glob("*/*/*/seed0"):
        found[(folder.parent.parent.name, folder.parent.name)] = folder
    return found


def _statuses(text: str) -> dict[tuple[str, str], str]:
    rows = {}
    for model, task in CELLS:
        match = re.search(rf"{re.escape(model)}\s*[│|]\s*{task}\s*[│|]\s*(\w[\w-]*)", text)
        if match:
            rows[(model, task)] = match.group(1)
    return rows


@pytest.mark.slow
def test_kill_9_and_resume(tmp_path, smoke_bundle, smoke_cache_dir):
    out = tmp_path / "runs"
    cmd = _command(smoke_bundle, out)
    env = _env(tmp_path, smoke_cache_dir)
    builds = tmp_path / "builds.log"

    # 1. killed right after the first best checkpoint appears (training of cell 1 just ended)
    proc = _start(cmd, env, tmp_path / "run1.log")
    killed = _kill_when(proc, lambda: any(out.glob("*/*/*/seed0/checkpoint.ckpt")))
    assert killed, (tmp_path / "run1.log").read_text()[-3000:]

    # 2. killed mid-evaluation: a cell whose training finished (train.json) has no record yet
    def evaluating() -> bool:
        for folder in _cells(out).values():
            if (folder / "train.json").exists() and not (folder / "record.json").exists():
                return True
        return False

    done_before = {c for c, f in _cells(out).items() if (f / "record.json").exists()}
    proc = _start(cmd, env, tmp_path / "run2.log")
    # wait until this run has made progress beyond the state it found, then kill while evaluating
    killed = _kill_when(
        proc,
        lambda: evaluating() and len({c for c, f in _cells(out).items() if (f / "train.json").exists()}) >= 2,
    )
    assert killed, (tmp_path / "run2.log").read_text()[-3000:]

    # 3. the same command finishes everything
    before = {c for c, f in _cells(out).items() if (f / "record.json").exists()}
    trained_before = {c for c, f in _cells(out).items() if (f / "train.json").exists()}
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    statuses = _statuses(result.stdout)
    assert set(statuses) == CELLS, result.stdout
    for cell in CELLS:
        if cell in before:
            assert statuses[cell] == "skipped"
        elif cell in trained_before:
            assert statuses[cell] == "evaluated"  # not retrained
        else:
            assert statuses[cell] == "trained"
    assert done_before <= before

    # every cell has exactly one valid record of its own
    cells = _cells(out)
    assert set(cells) == CELLS
    for (model, task), folder in cells.items():
        record = read_record(folder / "record.json")
        assert (record["model"]["name"], record["task"]) == (model, task)
        assert not (folder / "scratch").exists()

    # 4. nothing is redone afterwards: no model is built again
    n_builds = len(builds.read_text().splitlines())
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    assert set(_statuses(again.stdout).values()) == {"skipped"}
    assert len(builds.read_text().splitlines()) == n_builds
