"""``benchsuite run --jobs N --threads-per-cell T``: the default job count, the thread count in
every record, bit-identical records for 1 and 2 jobs, fault isolation and resume of a killed
parallel run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.evaluate.resume import PARTIAL_NAME
from benchsuite.results.record import read_record
from benchsuite.run import parallel
from benchsuite.run.cells import cell_dir
from benchsuite.run.isolation import check_isolation
from benchsuite.run.parallel import cell_stage, resolve_jobs

from .conftest import by_cell, fake_registry, run_and_print, run_options

ROOT = Path(__file__).resolve().parents[2]
GiB = 1024**3

#: record fields that may differ between two runs of the same cell
VOLATILE = {"timings", "created_at", "checksum", "wandb", "environment"}


def _stable(path: Path) -> dict:
    """The record without its volatile fields, and without wall times kept in a table
    (``tables.<family>.seconds``)."""
    record = read_record(path)
    stable = {k: v for k, v in record.items() if k not in VOLATILE}
    stable["tables"] = {
        name: {k: v for k, v in table.items() if k != "seconds"} if isinstance(table, dict) else table
        for name, table in record["tables"].items()
    }
    return stable


def _options(tmp_path: Path, **kwargs):
    return run_options(tmp_path / "bundle", tmp_path / "runs", tmp_path / "cache", **kwargs)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("jobs", 0, "--jobs must be >= 1, got 0"),
        ("jobs", -2, "--jobs must be >= 1, got -2"),
        ("threads_per_cell", 0, "--threads-per-cell must be >= 1, got 0"),
    ],
)
def test_jobs_and_threads_below_one_are_config_errors(tmp_path, registry, field, value, message):
    options = _options(tmp_path, models=("fake-conv",), **{field: value})
    with pytest.raises(ConfigError) as info:
        run_and_print(options, registry)
    assert info.value.message == message
    assert info.value.source == f"--{field.replace('_', '-')}"
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("cores", "memory", "cells", "threads", "expected"),
    [
        (8, 64 * GiB, 20, 1, 8),  # one cell per core
        (8, 5 * GiB, 20, 1, 2),  # capped by memory (2 GiB per cell)
        (8, 64 * GiB, 3, 1, 3),  # never more than the cells
        (8, 64 * GiB, 20, 3, 2),  # cores / threads per cell
        (2, 1 * GiB, 20, 1, 1),  # at least 1
        (4, None, 20, 1, 4),  # memory unknown: cores only
    ],
)
def test_default_jobs(monkeypatch, registry, cores, memory, cells, threads, expected):
    monkeypatch.setattr(parallel, "usable_cores", lambda: cores)
    monkeypatch.setattr(parallel, "available_memory", lambda: memory)
    options = run_options(Path("b"), Path("o"), Path("c"), jobs=None, threads_per_cell=threads)
    assert resolve_jobs(options, registry, cells) == expected


def test_explicit_jobs_is_capped_only_by_the_cells(monkeypatch, registry):
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    assert resolve_jobs(run_options(Path("b"), Path("o"), Path("c"), jobs=6), registry, 4) == 4
    assert resolve_jobs(run_options(Path("b"), Path("o"), Path("c"), jobs=3), registry, 9) == 3


@pytest.mark.parametrize(
    "overrides",
    [{"accelerator": "gpu"}, {"strategy": "ddp"}, {"num_nodes": 2}, {"devices": "2"}],
)
def test_default_jobs_is_one_for_device_runs(monkeypatch, registry, overrides):
    monkeypatch.setattr(parallel, "usable_cores", lambda: 8)
    monkeypatch.setattr(parallel, "available_memory", lambda: 64 * GiB)
    options = run_options(Path("b"), Path("o"), Path("c"), jobs=None, **overrides)
    assert resolve_jobs(options, registry, 10) == 1


def test_default_jobs_is_one_when_plugins_cannot_reach_a_worker(monkeypatch):
    from benchsuite.plugins import load_plugins

    class Local:  # not importable by name: a worker could not load it
        pass

    monkeypatch.setattr(parallel, "usable_cores", lambda: 8)
    registry = load_plugins(allow=[], extra=[Local()])
    assert resolve_jobs(run_options(Path("b"), Path("o"), Path("c"), jobs=None), registry, 10) == 1


def test_cell_timeout_is_accepted_with_explicit_jobs(registry):
    options = run_options(Path("b"), Path("o"), Path("c"), jobs=2, cell_timeout=5)
    check_isolation(options, registry)  # no error: parallel cells run in worker processes
    options.jobs = 1
    with pytest.raises(ConfigError, match="--cell-timeout needs --isolate process"):
        check_isolation(options, registry)


def test_cell_stage_is_read_from_the_cell_folder(tmp_path):
    assert cell_stage(tmp_path) == "training"
    (tmp_path / "train.json").write_text("{}")
    assert cell_stage(tmp_path) == "evaluating"
    (tmp_path / PARTIAL_NAME).write_text(json.dumps({"done": ["split:wholechrom", "family:robustness"]}))
    assert cell_stage(tmp_path) == "evaluating (done: split:wholechrom, family:robustness)"
    (tmp_path / PARTIAL_NAME).unlink()
    (tmp_path / "record.json").write_text("{}")
    assert cell_stage(tmp_path) == "writing the record"


def test_thread_count_is_recorded_and_restored(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    before = torch.get_num_threads()
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-conv",),
        task="quantitative",
        threads_per_cell=2,
    )
    summary, text = run_and_print(options, registry)
    assert summary.exit_code == 0, text
    record = read_record(cell_dir(summary.root, "fake-conv", "quantitative", 0) / "record.json")
    assert record["hyperparameters"]["threads_per_cell"] == 2
    assert record["hyperparameters"]["trainer"]["precision"] == "32-true"
    assert "1 cell(s) at a time in this process, 2 thread(s) per cell" in text
    assert torch.get_num_threads() == before


def test_precision_is_recorded(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-conv",),
        task="quantitative",
        precision="bf16-mixed",
    )
    summary, text = run_and_print(options, registry)
    assert summary.exit_code == 0, text
    record = read_record(cell_dir(summary.root, "fake-conv", "quantitative", 0) / "record.json")
    assert record["hyperparameters"]["trainer"]["precision"] == "bf16-mixed"


@pytest.mark.slow
def test_jobs_1_and_2_give_bit_identical_records_and_a_failure_stays_alone(
    tmp_path, smoke_bundle, smoke_cache_dir
):
    """fake-conv (both tasks) and fake-broken: in-process and two workers at once give the same
    records (metrics, tables, weights hashes); the broken cell fails alone in both."""
    models = ("fake-conv", "fake-broken")
    runs = {}
    for jobs in (1, 2):
        options = run_options(
            smoke_bundle, tmp_path / f"jobs{jobs}", smoke_cache_dir, models=models, jobs=jobs
        )
        summary, text = run_and_print(options, fake_registry())
        cells = by_cell(summary)
        assert cells["fake-broken", "quantitative"].status == "failed"
        assert "this plugin is broken on purpose" in (cells["fake-broken", "quantitative"].error or "")
        assert cells["fake-conv", "binary"].status == "trained"
        assert cells["fake-conv", "quantitative"].status == "trained"
        assert summary.exit_code == 1
        runs[jobs] = summary
    assert "2 cell(s) at a time in worker processes, 1 thread(s) per cell" in text
    for task in ("binary", "quantitative"):
        one, two = (_stable(cell_dir(runs[j].root, "fake-conv", task, 0) / "record.json") for j in (1, 2))
        assert one["metrics"] == two["metrics"] and one["tables"] == two["tables"]
        assert one == two
        assert one["hyperparameters"]["threads_per_cell"] == 1


def _workers_of(parent: int) -> list[int]:
    """Pids of the live worker processes started by ``parent``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if "benchsuite.run.worker" in cmdline and int(fields[1]) == parent and fields[0] not in {"Z", "X"}:
            pids.append(int(proc.name))
    return pids


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in {"Z", "X"}:
            alive.append(pid)
    return alive


@pytest.mark.slow
def test_killed_parallel_run_leaves_no_worker_and_resumes(tmp_path, smoke_bundle, smoke_cache_dir):
    out = tmp_path / "runs"
    cmd = [
        sys.executable,
        "-m",
        "tests.run.fake_cli",
        "run",
        "--model",
        "fake-conv,fake-conv32",
        "--profile",
        "smoke",
        "--bundle",
        str(smoke_bundle),
        "--out",
        str(out),
        "--wandb",
        "disabled",
        "--accelerator",
        "cpu",
        "--no-motifs",
        "--no-ceilings",
        "--jobs",
        "2",
    ]
    env = dict(os.environ, BENCHSUITE_CACHE=str(smoke_cache_dir), PYTHONPATH=str(ROOT), COLUMNS="250")
    with (tmp_path / "run1.log").open("w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not any(out.glob("*/*/*/seed0/checkpoint.ckpt")):
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "run1.log").read_text()
        time.sleep(0.05)
    workers = _workers_of(proc.pid)
    assert len(workers) == 2, "two workers were not running"
    os.kill(proc.pid, signal.SIGKILL)  # the parent only: its workers notice and end themselves
    proc.wait()
    deadline = time.monotonic() + 15
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(workers)
    assert len(list(out.glob("*/*/*/seed0/record.json"))) < 3
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = sorted(out.glob("*/*/*/seed0/record.json"))
    assert len(records) == 3
    for path in records:
        assert read_record(path)["hyperparameters"]["threads_per_cell"] == 1


@pytest.mark.slow
def test_a_worker_dying_mid_cell_fails_only_that_cell(tmp_path, smoke_bundle, smoke_cache_dir):
    """fake-crash ends its pool worker; a new worker runs the remaining cells."""
    from benchsuite.plugins import load_plugins

    from .conftest import FakeRunPlugin
    from .crash_plugin import CrashPlugin

    registry = load_plugins(allow=[], extra=[CrashPlugin(), FakeRunPlugin()])
    options = run_options(
        smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-crash", "fake-conv"), jobs=2
    )
    summary, text = run_and_print(options, registry)
    cells = by_cell(summary)
    folder = cell_dir(summary.root, "fake-crash", "quantitative", 0)
    assert cells["fake-crash", "quantitative"].status == "failed"
    assert cells["fake-crash", "quantitative"].error == (
        f"the worker process exited with code 3 during the cell; log: {folder / 'cell.log'}"
    )
    assert cells["fake-conv", "binary"].status == "trained"
    assert cells["fake-conv", "quantitative"].status == "trained"
    assert summary.exit_code == 1


def test_jobs_2_runs_the_cells_in_two_pool_workers(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    options = run_options(
        smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-conv",), jobs=2, threads_per_cell=2
    )
    summary, text = run_and_print(options, registry)
    assert summary.exit_code == 0, text
    assert {o.status for o in by_cell(summary).values()} == {"trained"}
    assert "2 cell(s) at a time in worker processes, 2 thread(s) per cell" in text
    assert "starting fake-conv/binary in worker 0" in text
    assert "starting fake-conv/quantitative in worker 1" in text
    for task in ("binary", "quantitative"):
        folder = cell_dir(summary.root, "fake-conv", task, 0)
        assert read_record(folder / "record.json")["hyperparameters"]["threads_per_cell"] == 2
        assert f"training fake-conv/{task}" in (folder / "cell.log").read_text()
        assert not (folder / ".worker-job.json").exists()
    assert sorted(p.name for p in (summary.root / ".workers").iterdir()) == ["worker0.log", "worker1.log"]


@pytest.mark.slow
def test_cell_timeout_in_a_pool_worker_fails_that_cell_only(tmp_path, smoke_bundle, smoke_cache_dir):
    from benchsuite.plugins import load_plugins
    from tests.plugins.faulty import SleepPlugin

    from .conftest import FakeRunPlugin

    registry = load_plugins(allow=[], extra=[SleepPlugin(), FakeRunPlugin()])
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-sleep", "fake-conv"),
        task="quantitative",
        jobs=2,
        cell_timeout=25,
    )
    summary, text = run_and_print(options, registry)
    cells = by_cell(summary)
    folder = cell_dir(summary.root, "fake-sleep", "quantitative", 0)
    assert cells["fake-sleep", "quantitative"].error == (
        f"timed out after 25 s (worker process killed); log: {folder / 'cell.log'}"
    )
    assert cells["fake-conv", "quantitative"].status == "trained"
    assert not (folder / "record.json").exists()


def test_finished_cells_are_skipped_before_any_worker_starts(
    tmp_path, smoke_bundle, smoke_cache_dir, registry, monkeypatch
):
    """A rerun with --jobs 2 of a finished run reads the records in this process: no worker
    process (6-9 s each) is started for a cell that is already done."""
    import benchsuite.run.runner as runner_mod

    first = run_options(smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-conv",))
    summary, _ = run_and_print(first, registry)
    assert {o.status for o in by_cell(summary).values()} == {"trained"}

    def no_workers(*args, **kwargs):
        raise AssertionError("a worker was started for finished cells")

    monkeypatch.setattr(runner_mod, "run_parallel", no_workers)
    again = run_options(smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-conv",), jobs=2)
    summary, text = run_and_print(again, registry)
    assert summary.exit_code == 0, text
    assert {o.status for o in by_cell(summary).values()} == {"skipped"}
    assert "(record exists, skipped)" in text
