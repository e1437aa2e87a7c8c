"""``benchsuite run`` through the command line (and ``benchsuite evaluate`` on the cell it trained)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchsuite.results.record import read_record

from .conftest import exit_code, fake_cli


def test_run_needs_all_or_model(capsys, tmp_path):
    assert exit_code(["run", "--out", str(tmp_path), "--wandb", "disabled"]) == 2
    err = capsys.readouterr().err
    assert "--all/--model" in err and "no models selected" in err
    assert "Traceback" not in err
    assert not (tmp_path / "bundles").exists()


def test_run_bad_shard_and_task(capsys, tmp_path):
    assert exit_code(["run", "--all", "--shard", "0/3", "--out", str(tmp_path)]) == 2
    assert "--shard" in capsys.readouterr().err
    assert exit_code(["run", "--all", "--task", "regression", "--out", str(tmp_path)]) == 2
    assert "--task" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_run_then_evaluate(tmp_path, smoke_bundle, smoke_cache_dir):
    out = tmp_path / "runs"
    result = fake_cli(
        [
            "run",
            "--model",
            "fake-conv",
            "--task",
            "quantitative",
            "--profile",
            "smoke",
            "--bundle",
            str(smoke_bundle),
            "--out",
            str(out),
            "--wandb",
            "offline",
            "--no-motifs",
            "--max-epochs",
            "1",
        ],
        smoke_cache_dir,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "fake-conv" in result.stdout and "wholechrom.pearson" in result.stdout
    (cell,) = list(out.glob("*/fake-conv/quantitative/seed0"))
    record = read_record(cell / "record.json")
    # W&B offline: the run folder holds the record as a file of the run
    assert record["wandb"]["mode"] == "offline"
    assert (Path(record["wandb"]["dir"]) / "files" / "record.json").is_file()
    # ceilings were computed once for the dataset, at every bin (bin_sizes, common bin, input length)
    ceilings = sorted(p.parent.parent.name for p in out.glob("*/ceilings/*/bin*/record.json"))
    assert "oracle" in ceilings
    oracle = read_record(out / cell.parts[-4] / "ceilings" / "oracle" / "bin128" / "record.json")
    assert oracle["kind"] == "ceiling" and oracle["hyperparameters"] == {"bin_size": 128}

    # re-evaluate the checkpoint into another folder
    re_out = tmp_path / "re"
    result = fake_cli(
        [
            "evaluate",
            "--checkpoint",
            str(cell / "checkpoint.ckpt"),
            "--out",
            str(re_out),
            "--no-motifs",
            "--json",
        ],
        smoke_cache_dir,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    again = read_record(re_out / "record.json")
    assert json.loads(result.stdout)["checksum"] == again["checksum"]
    # same checkpoint, same harness, same data: the same metrics
    for name, entry in record["metrics"].items():
        if name.startswith(("wholechrom.", "peak.", "perseq.")):
            assert again["metrics"][name]["mean"] == pytest.approx(entry["mean"], rel=1e-6, abs=1e-9), name

    # in place (no --out): the cell's record is replaced, the old one kept beside it
    before = (cell / "record.json").read_bytes()
    result = fake_cli(
        ["evaluate", "--checkpoint", str(cell / "checkpoint.ckpt"), "--no-motifs"], smoke_cache_dir
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (cell / "record.previous.json").read_bytes() == before
    replaced = read_record(cell / "record.json")
    assert replaced["metrics"]["wholechrom.pearson"]["mean"] == pytest.approx(
        record["metrics"]["wholechrom.pearson"]["mean"], rel=1e-6
    )


@pytest.mark.slow
def test_run_all_smoke_end_to_end(tmp_path):
    """``benchsuite run --all --profile smoke`` with the installed plugins: every cell gets a record."""
    from benchsuite.plugins import load_plugins

    registry = load_plugins()
    # the baselines are installed by scripts/install.sh: their absence is a failure, not a skip
    assert registry.models, "no model plugin installed (pip install -e plugins/benchsuite-baselines)"
    out = tmp_path / "runs"
    env = dict(os.environ, BENCHSUITE_CACHE=str(tmp_path / "cache"), COLUMNS="250")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "benchsuite", "run", "--all", "--profile", "smoke", "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    wall = time.perf_counter() - started
    print(f"\nbenchsuite run --all --profile smoke: {wall:.1f} s\n{result.stdout}")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    expected = {(name, task) for name, m in registry.models.items() for task in m.spec.tasks}
    records = {}
    for path in out.glob("*/*/*/seed0/record.json"):
        record = read_record(path)
        records[(record["model"]["name"], record["task"])] = record
    assert set(records) == expected
    for record in records.values():
        assert record["metrics"]["wholechrom.pearson"]["mean"] is not None
        assert record["metrics"]["peak.auroc"]["mean"] is not None
    # the smoke matrix's < 2 minute target is measured and reported, not asserted: machines are shared
    print(f"wall time of `benchsuite run --all --profile smoke`: {wall:.1f} s (target < 120 s)")


def test_run_cell_timeout_needs_process_isolation(capsys, tmp_path, smoke_bundle, monkeypatch):
    import benchsuite.plugins
    from tests.run.conftest import fake_registry

    monkeypatch.setattr(benchsuite.plugins, "load_plugins", lambda *a, **k: fake_registry())
    args = ["run", "--model", "fake-conv", "--bundle", str(smoke_bundle), "--out", str(tmp_path)]
    assert exit_code([*args, "--wandb", "disabled", "--cell-timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert "--cell-timeout: --cell-timeout needs --isolate process" in err and "Traceback" not in err
    assert exit_code([*args, "--wandb", "disabled", "--isolate", "thread"]) == 2
    assert "unknown isolation mode 'thread'" in capsys.readouterr().err
    assert exit_code([*args, "--isolate", "process", "--cell-timeout", "0"]) == 2
    assert "--cell-timeout must be > 0 seconds, got 0" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/fake-conv"))  # nothing was run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--jobs", "0"], "--jobs: --jobs must be >= 1, got 0"),
        (["--jobs", "-1"], "--jobs: --jobs must be >= 1, got -1"),
        (["--threads-per-cell", "0"], "--threads-per-cell: --threads-per-cell must be >= 1, got 0"),
    ],
)
def test_run_jobs_below_one_is_a_config_error(capsys, tmp_path, smoke_bundle, monkeypatch, argv, message):
    import benchsuite.plugins
    from tests.run.conftest import fake_registry

    monkeypatch.setattr(benchsuite.plugins, "load_plugins", lambda *a, **k: fake_registry())
    args = ["run", "--model", "fake-conv", "--bundle", str(smoke_bundle), "--out", str(tmp_path)]
    assert exit_code([*args, "--wandb", "disabled", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.glob("*/fake-conv"))  # nothing was run


def test_run_jobs_default_comes_from_the_environment(monkeypatch, tmp_path):
    """``BENCHSUITE_JOBS`` is the default of ``--jobs`` (the tests set it to 1)."""
    import benchsuite.run.runner as runner

    seen = {}

    def fake_run(options, **kwargs):
        seen["jobs"] = options.jobs
        raise SystemExit(0)

    monkeypatch.setattr(runner, "run_benchmark", fake_run)
    monkeypatch.setenv("BENCHSUITE_JOBS", "3")
    exit_code(["run", "--all", "--out", str(tmp_path)])
    assert seen == {"jobs": 3}
    monkeypatch.delenv("BENCHSUITE_JOBS")
    exit_code(["run", "--all", "--out", str(tmp_path)])
    assert seen == {"jobs": None}
