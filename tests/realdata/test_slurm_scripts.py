"""The SLURM scripts of docs/cluster.md pass the right arguments to `benchsuite run`.

No scheduler and no real data are needed: the scripts run under bash with the variables SLURM
sets, and a stub `benchsuite` (and `srun`) on PATH records the command line. This file is a
fast test (no realdata marker): it checks the scripts, not the data.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from benchsuite.run.matrix import parse_shard

ROOT = Path(__file__).resolve().parents[2]
SLURM = ROOT / "scripts" / "slurm"


@pytest.fixture()
def stubs(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    (bin_dir / "benchsuite").write_text(f'#!/bin/bash\nprintf "%q " "$@" >> {log}\necho >> {log}\n')
    (bin_dir / "srun").write_text('#!/bin/bash\necho "srun" >> ' + str(log) + '\nexec "$@"\n')
    for tool in ("benchsuite", "srun"):
        (bin_dir / tool).chmod(0o755)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text("# stub virtual environment\n")
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "BENCHSUITE_VENV": str(venv),
        "BENCHSUITE_CACHE": str(tmp_path / "cache"),
        "SLURM_SUBMIT_DIR": str(ROOT),
    }
    return env, log


def _calls(log: Path) -> list[list[str]]:
    return [shlex.split(line) for line in log.read_text().splitlines() if line.strip()]


def test_array_task_runs_its_shard(stubs) -> None:
    env, log = stubs
    env.update(
        SLURM_ARRAY_TASK_ID="3", SLURM_ARRAY_TASK_COUNT="4", SLURM_ARRAY_TASK_MIN="1", SLURM_CPUS_PER_TASK="6"
    )
    done = subprocess.run(["bash", str(SLURM / "run_array.sbatch")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (args,) = _calls(log)
    assert args[:2] == ["run", "--all"]
    shard = args[args.index("--shard") + 1]
    assert shard == "3/4" and parse_shard(shard) == (3, 4)
    assert args[args.index("--cache") + 1] == env["BENCHSUITE_CACHE"]
    assert args[args.index("--bundle") + 1] == "examples/hg38-atac"
    assert args[args.index("--profile") + 1] == "paper"
    assert args[args.index("--num-workers") + 1] == "6"
    assert args[args.index("--wandb") + 1] == "offline"
    i = args.index("--accelerator")
    assert args[i : i + 4] == ["--accelerator", "gpu", "--devices", "1"]


def test_array_must_start_at_one(stubs) -> None:
    env, log = stubs
    env.update(SLURM_ARRAY_TASK_ID="0", SLURM_ARRAY_TASK_COUNT="4", SLURM_ARRAY_TASK_MIN="0")
    done = subprocess.run(["bash", str(SLURM / "run_array.sbatch")], env=env, capture_output=True, text=True)
    assert done.returncode == 2 and "1-based" in done.stderr and not log.exists()
    del env["BENCHSUITE_CACHE"]
    env.update(SLURM_ARRAY_TASK_MIN="1", SLURM_ARRAY_TASK_ID="1")
    done = subprocess.run(["bash", str(SLURM / "run_array.sbatch")], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "BENCHSUITE_CACHE" in done.stderr


def test_ddp_job_passes_the_allocation_to_lightning(stubs) -> None:
    env, log = stubs
    env.update(
        SLURM_NTASKS_PER_NODE="4",
        SLURM_NNODES="2",
        BENCHSUITE_MODELS="--model basenji-128 --task quantitative",
        WANDB_MODE="online",
    )
    done = subprocess.run(["bash", str(SLURM / "run_ddp.sbatch")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    launcher, args = _calls(log)
    assert launcher == ["srun"]
    assert args[:5] == ["run", "--model", "basenji-128", "--task", "quantitative"]
    for flag, value in (
        ("--devices", "4"),
        ("--num-nodes", "2"),
        ("--strategy", "ddp"),
        ("--wandb", "online"),
    ):
        assert args[args.index(flag) + 1] == value


def test_prepare_job(stubs) -> None:
    env, log = stubs
    done = subprocess.run(["bash", str(SLURM / "prepare.sbatch")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (args,) = _calls(log)
    assert args == [
        "data",
        "prepare",
        "examples/hg38-atac",
        "--cache",
        env["BENCHSUITE_CACHE"],
        "--no-progress",
    ]
