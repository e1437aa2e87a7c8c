"""Cell isolation and plugin failures in a run: every fault names its plugin, the other cells
finish with valid records, and the exit code says what happened."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.plugins import load_plugins
from benchsuite.results.record import read_record
from benchsuite.run.cells import cell_dir
from benchsuite.run.isolation import CELL_LOG, plugin_refs
from tests.plugins.conftest import install_entry_points  # noqa: F401 - fixture
from tests.plugins.faulty import (
    NOISE,
    NoisyPlugin,
    SleepPlugin,
    ThreadsPlugin,
    TrainRaisesPlugin,
    baselines_ep,
    import_error_ep,
    shadow_ep,
    state_ep,
)

from .conftest import FakeRunPlugin, by_cell, run_and_print, run_options

torch.set_num_threads(1)


def _registry(*extra):
    return load_plugins(allow=[], extra=[FakeRunPlugin(), *extra])


def _assert_valid_record(summary, model: str, task: str = "quantitative") -> dict:
    record = read_record(cell_dir(summary.root, model, task, 0) / "record.json")
    assert record["model"]["name"] == model and "wholechrom.pearson" in record["metrics"]
    return record


def test_raise_in_training_step_names_the_plugin(tmp_path, smoke_bundle, smoke_cache_dir):
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-conv", "fake-trainraise"),
        task="quantitative",
    )
    summary, text = run_and_print(options, _registry(TrainRaisesPlugin()))
    cells = by_cell(summary)
    failed = cells["fake-trainraise", "quantitative"]
    assert failed.status == "failed" and failed.plugin == "plugin TrainRaisesPlugin"
    assert failed.error == "RuntimeError: boom in the training step"
    assert (
        "FAILED fake-trainraise/quantitative [plugin TrainRaisesPlugin]: "
        "RuntimeError: boom in the training step" in text
    )
    assert "failed fake-trainraise/quantitative [plugin TrainRaisesPlugin]: RuntimeError" in text
    assert cells["fake-conv", "quantitative"].status == "trained"
    _assert_valid_record(summary, "fake-conv")
    assert summary.exit_code == 1


def test_state_change_in_a_cell_is_restored_before_the_next(tmp_path, smoke_bundle, smoke_cache_dir):
    """fake-athreads (runs first) raises the thread count in build: restored, reported, and
    fake-conv's record is the one it gets in a run of its own."""
    alone = run_options(
        smoke_bundle, tmp_path / "alone", smoke_cache_dir, models=("fake-conv",), task="quantitative"
    )
    reference, _ = run_and_print(alone, _registry())
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-athreads", "fake-conv"),
        task="quantitative",
    )
    summary, text = run_and_print(options, _registry(ThreadsPlugin()))
    assert [o.model for o in summary.outcomes] == ["fake-athreads", "fake-conv"]
    message = (
        "model 'fake-athreads' (plugin ThreadsPlugin) changed torch thread count 1 -> 2 "
        "during its cell; restored"
    )
    assert by_cell(summary)["fake-athreads", "quantitative"].warnings == [message]
    assert message in text and torch.get_num_threads() == 1
    assert summary.exit_code == 0
    assert (
        _assert_valid_record(summary, "fake-conv")["metrics"]
        == _assert_valid_record(reference, "fake-conv")["metrics"]
    )


def test_prints_of_a_model_go_to_the_cell_log(tmp_path, smoke_bundle, smoke_cache_dir, capfd):
    options = run_options(smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-noisy",))
    summary, _ = run_and_print(options, _registry(NoisyPlugin()))
    assert summary.exit_code == 0
    captured = capfd.readouterr()
    assert NOISE not in captured.out and NOISE not in captured.err
    log = (cell_dir(summary.root, "fake-noisy", "quantitative", 0) / CELL_LOG).read_text()
    assert f"{NOISE} print in forward" in log
    _assert_valid_record(summary, "fake-noisy")


def test_plugin_failures_make_the_run_fail_after_the_cells(
    tmp_path,
    smoke_bundle,
    smoke_cache_dir,
    install_entry_points,  # noqa: F811
):
    install_entry_points(import_error_ep(), shadow_ep(), baselines_ep())
    registry = load_plugins(extra=[FakeRunPlugin()])
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("cnn-baseline", "fake-conv"),
        task="quantitative",
    )
    summary, text = run_and_print(options, registry)
    cells = by_cell(summary)
    assert {o.status for o in cells.values()} == {"trained"}
    assert cells["cnn-baseline", "quantitative"].plugin == "plugin benchsuite-baselines 0.1.0"
    _assert_valid_record(summary, "cnn-baseline")
    _assert_valid_record(summary, "fake-conv")
    assert summary.exit_code == 1
    data = summary.to_dict()
    assert data["exit_code"] == 1
    assert [(f["plugin"], f["distribution"], f["stage"]) for f in data["plugins"]["failed"]] == [
        ("broken", "broken-plugin", "import"),
        ("shadow", "shadow-plugin", "reserved"),
    ]
    assert "plugin failed broken (import): importing entry point broken" in text
    assert "plugin failed shadow (reserved): model name 'cnn-baseline' is reserved" in text
    assert "2 plugin problem(s)" in text


def test_allow_list_excluding_the_broken_plugin_keeps_exit_code_zero(
    tmp_path,
    smoke_bundle,
    smoke_cache_dir,
    install_entry_points,  # noqa: F811
):
    install_entry_points(import_error_ep(), baselines_ep())
    registry = load_plugins(allow=["benchsuite-baselines"], extra=[FakeRunPlugin()])
    options = run_options(
        smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-conv",), task="quantitative"
    )
    summary, _ = run_and_print(options, registry)
    assert summary.exit_code == 0 and summary.plugin_failures == []


def test_state_change_at_import_is_a_warning_and_every_model_runs(
    tmp_path,
    smoke_bundle,
    smoke_cache_dir,
    install_entry_points,  # noqa: F811
):
    install_entry_points(
        state_ep("evil", "evil-plugin", lambda: torch.set_default_dtype(torch.float64)), baselines_ep()
    )
    registry = load_plugins(extra=[FakeRunPlugin()])
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("cnn-baseline", "fake-conv"),
        task="quantitative",
    )
    summary, text = run_and_print(options, registry)
    assert summary.exit_code == 0 and {o.status for o in summary.outcomes} == {"trained"}
    (warning,) = summary.plugin_warnings
    assert warning.startswith(
        "plugin 'evil' (distribution evil-plugin 0.1): "
        "changed torch default dtype float32 -> float64 at import; restored"
    )
    assert "plugin warning:" in text
    _assert_valid_record(summary, "cnn-baseline")


def test_cell_timeout_needs_process_isolation(tmp_path, smoke_bundle, smoke_cache_dir):
    options = run_options(
        smoke_bundle, tmp_path / "runs", smoke_cache_dir, models=("fake-conv",), cell_timeout=5
    )
    with pytest.raises(ConfigError, match="--cell-timeout needs --isolate process"):
        run_and_print(options, _registry())
    options.isolate = "thread"
    with pytest.raises(ConfigError, match="unknown isolation mode 'thread'"):
        run_and_print(options, _registry())


def test_process_isolation_refuses_plugins_a_worker_cannot_import():
    class Local:
        pass

    with pytest.raises(ConfigError, match="cannot hand plugin object"):
        plugin_refs([Local()])
    assert plugin_refs([FakeRunPlugin()]) == [
        {"module": "tests.run.conftest", "qualname": "FakeRunPlugin", "instance": True}
    ]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}


def test_process_isolation_with_cell_timeout(tmp_path, smoke_bundle, smoke_cache_dir, monkeypatch):
    """fake-sleep's worker is killed with its child after 20 s; fake-conv finishes in its own worker
    with the numbers of an in-process run."""
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("BENCHSUITE_TEST_PID_FILE", str(pid_file))
    options = run_options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-conv", "fake-sleep"),
        task="quantitative",
        isolate="process",
        cell_timeout=20,
    )
    started = time.perf_counter()
    summary, text = run_and_print(options, _registry(SleepPlugin()))
    cells = by_cell(summary)
    sleep = cells["fake-sleep", "quantitative"]
    folder = cell_dir(summary.root, "fake-sleep", "quantitative", 0)
    assert sleep.status == "failed"
    assert sleep.error == f"timed out after 20 s (worker process killed); log: {folder / CELL_LOG}"
    assert "FAILED fake-sleep/quantitative [plugin SleepPlugin]: timed out after 20 s" in text
    assert cells["fake-conv", "quantitative"].status == "trained"
    record = _assert_valid_record(summary, "fake-conv")
    assert summary.exit_code == 1 and time.perf_counter() - started < 100
    worker, grandchild = map(int, pid_file.read_text().split())
    deadline = time.monotonic() + 10
    while not (_gone(worker) and _gone(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(worker) and _gone(grandchild)
    assert not (folder / "record.json").exists()
    assert (
        "training fake-conv/quantitative"
        in (cell_dir(summary.root, "fake-conv", "quantitative", 0) / CELL_LOG).read_text()
    )
    # same numbers as in-process
    alone = run_options(
        smoke_bundle, tmp_path / "alone", smoke_cache_dir, models=("fake-conv",), task="quantitative"
    )
    reference, _ = run_and_print(alone, _registry())
    assert record["metrics"] == _assert_valid_record(reference, "fake-conv")["metrics"]
    assert os.environ.get("BENCHSUITE_TEST_PID_FILE") == str(pid_file)
