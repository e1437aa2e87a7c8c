"""``--json`` output of ``benchsuite list``, ``run``, ``evaluate`` and ``leaderboard`` (one JSON document
on stdout, even when a plugin prints), and tables that are never truncated when stdout is not a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from benchsuite.cli import leaderboard as leaderboard_cli
from benchsuite.cli import list as list_cli
from benchsuite.cli import run as run_cli
from benchsuite.cli.output import jsonable, stdout_console
from benchsuite.run.summary import CellOutcome, RunSummary, print_summary
from tests.cli.conftest import ROOT
from tests.plugins.faulty import NOISE
from tests.run.conftest import fake_registry


def _app(module) -> typer.Typer:  # noqa: ANN001 - a benchsuite.cli module
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    module.register(app)
    return app


@pytest.fixture
def narrow(monkeypatch) -> None:
    """A narrow COLUMNS: piped output must not follow it."""
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("BENCHSUITE_PLUGINS", raising=False)


def test_list_json_names_every_registered_baseline(narrow) -> None:
    from benchsuite.plugins import load_plugins

    registry = load_plugins()
    assert "residualbind-base-exp" in registry.names  # the installed baselines
    result = CliRunner().invoke(_app(list_cli), ["list", "--json", "--profile", "smoke"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["name"] for m in data["models"]] == list(registry.names)
    assert data["profile"] == "smoke" and data["failures"] == []
    model = next(m for m in data["models"] if m["name"] == "residualbind-base-exp")
    assert set(model) >= {"distribution", "version", "tasks", "resolution", "parameters", "description"}
    for kind in model["tasks"]:
        assert isinstance(model["parameters"][kind], int) and model["parameters"][kind] > 0
        assert model["resolution"][kind]
    assert {t["name"] for t in data["tasks"]} == {"binary", "quantitative"}


def test_list_json_reports_load_failures(install_entry_points) -> None:
    from tests.plugins.fakes import GoodPlugin, ep, failing_ep

    install_entry_points(
        ep("good", GoodPlugin(), dist="good-dist", version="1.0"),
        failing_ep("broken", ImportError("cannot import name 'Thing' from 'nowhere'"), dist="broken-dist"),
    )
    result = CliRunner().invoke(_app(list_cli), ["list", "--json", "--profile", "smoke"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (failure,) = data["failures"]
    assert failure["plugin"] == "broken" and "cannot import name 'Thing'" in failure["reason"]
    assert data["models"] and all(m["distribution"] == "good-dist" for m in data["models"])


def test_piped_list_prints_whole_model_names(narrow) -> None:
    result = CliRunner().invoke(_app(list_cli), ["list", "--profile", "smoke"])
    assert result.exit_code == 0, result.output
    assert "residualbind-base-exp" in result.stdout
    assert "…" not in result.stdout
    assert any(
        "residualbind-base-exp" in line and "benchsuite-baselines" in line
        for line in result.stdout.splitlines()
    )


def test_piped_run_summary_prints_whole_model_names(narrow, capsys) -> None:
    name = "cnn-base-with-a-rather-long-name-exp"
    summary = RunSummary(
        [CellOutcome(name, "quantitative", "trained", 1.5, metrics={"wholechrom.pearson": 0.5})],
        root=None,
        bundle=None,
        dataset_fingerprint=None,
    )
    print_summary(summary, stdout_console())  # capsys: stdout is not a terminal
    out = capsys.readouterr().out
    assert any(name in line and "trained" in line for line in out.splitlines()), out


def test_run_json_has_one_entry_per_cell(tmp_path, smoke_bundle, smoke_cache_dir, monkeypatch) -> None:
    import benchsuite.plugins

    monkeypatch.setattr(benchsuite.plugins, "load_plugins", lambda *a, **k: fake_registry())
    args = ["run", "--model", "fake-conv,fake-broken", "--profile", "smoke", "--bundle", str(smoke_bundle)]
    args += ["--out", str(tmp_path / "runs"), "--cache", str(smoke_cache_dir), "--wandb", "disabled"]
    args += ["--accelerator", "cpu", "--no-cagi5", "--no-motifs", "--no-ceilings", "--max-epochs", "1"]
    result = CliRunner().invoke(_app(run_cli), [*args, "--json"])
    assert result.exit_code == 1, result.output  # fake-broken fails: exit code unchanged by --json
    data = json.loads(result.stdout)
    cells = {(o["model"], o["task"]): o for o in data["outcomes"]}
    assert set(cells) == {
        ("fake-conv", "binary"),
        ("fake-conv", "quantitative"),
        ("fake-broken", "quantitative"),
    }
    assert len(data["outcomes"]) == 3 and data["exit_code"] == 1
    assert data["totals"] == {
        "cells": 3,
        "finished": 2,
        "failed": 1,
        "by_status": {"failed": 1, "trained": 2},
    }
    good = cells["fake-conv", "quantitative"]
    assert good["status"] == "trained" and Path(good["record"]).is_file() and good["error"] is None
    assert set(good["metrics"]) == set(data["headline_metrics"])
    assert cells["fake-broken", "quantitative"]["status"] == "failed"
    assert cells["fake-broken", "quantitative"]["error"]


def test_leaderboard_json(sample_runs, tmp_path) -> None:
    out = tmp_path / "lb"
    result = CliRunner().invoke(
        _app(leaderboard_cli), ["leaderboard", "--records", str(sample_runs), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["records"] == {"used": 13, "refused": 0, "superseded": 0, "duplicates": 0}
    (board,) = data["boards"]
    assert board["dataset"] == "sim-smoke-seed0" and Path(board["folder"]).is_dir()
    assert board["fingerprint"] and board["records_used"] == 13
    ranked = [r for r in board["rows"] if r["kind"] == "model"]
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert "deepstar" in {r["model"] for r in ranked}
    for row in board["rows"]:
        assert set(row) >= {"rank", "model", "task", "bin", "value", "ci95"}


def test_jsonable_is_strict_json() -> None:
    assert jsonable({"a": float("nan"), "b": Path("x"), "c": (1, float("inf"))}) == {
        "a": None,
        "b": "x",
        "c": [1, None],
    }


def _fake_cli_noisy(args: list[str], cache: Path) -> subprocess.CompletedProcess:
    """``benchsuite ARGS`` in a subprocess with the fake run plugin and a plugin module that prints
    at import (``print`` and fd 1) and in every forward call."""
    env = dict(
        os.environ,
        BENCHSUITE_CACHE=str(cache),
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
        BENCHSUITE_TEST_EXTRA_PLUGINS="tests.plugins.faulty.noisy_import",
    )
    return subprocess.run(
        [sys.executable, "-m", "tests.run.fake_cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_run_and_evaluate_json_stay_one_document_with_a_printing_plugin(
    tmp_path, smoke_bundle, smoke_cache_dir
) -> None:
    out = tmp_path / "runs"
    args = ["run", "--model", "fake-noisy", "--profile", "smoke", "--bundle", str(smoke_bundle)]
    args += ["--out", str(out), "--wandb", "disabled", "--accelerator", "cpu", "--no-cagi5", "--no-motifs"]
    args += ["--no-ceilings", "--max-epochs", "1", "--json"]
    result = _fake_cli_noisy(args, smoke_cache_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert NOISE not in result.stdout
    data = json.loads(result.stdout)  # the whole of stdout is one JSON document
    (outcome,) = data["outcomes"]
    assert outcome["status"] == "trained" and outcome["plugin"] == "plugin tests.plugins.faulty.noisy_import"
    assert data["plugins"] == {"failed": [], "warnings": []}
    assert f"{NOISE} print at import" in result.stderr and f"{NOISE} fd 1 at import" in result.stderr
    log = (Path(outcome["record"]).parent / "cell.log").read_text()
    assert f"{NOISE} print in forward" in log

    checkpoint = Path(outcome["record"]).parent / "checkpoint.ckpt"
    args = ["evaluate", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "re"), "--no-motifs"]
    args += ["--no-cagi5", "--accelerator", "cpu", "--json"]
    result = _fake_cli_noisy(args, smoke_cache_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert NOISE not in result.stdout
    record = json.loads(result.stdout)
    assert record["model"]["name"] == "fake-noisy" and record["task"] == "quantitative"
    assert f"{NOISE} print in forward" in result.stderr
