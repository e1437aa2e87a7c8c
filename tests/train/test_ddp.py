"""fit_cell under DDP: 2 CPU processes (gloo), one checkpoint written by rank 0.

Lightning's ``ddp`` strategy launches the extra rank by re-running the current script, so the
training runs in a script of its own (a subprocess), never inside the pytest process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path

    sys.path.insert(0, {root!r})
    import torch

    torch.set_num_threads(1)
    from tests.train.conftest import FakeDataModule, registry_with, tiny_spec
    from benchsuite.train.fit import fit_cell

    out = Path({out!r})
    bundle = {bundle!r}
    registered = next(iter(registry_with(tiny_spec(bin_size=1))))
    if bundle:
        from benchsuite.data.datamodule import QuantitativeDataModule

        dm = QuantitativeDataModule(bundle, batch_size=8, seed=0, progress=False)
    else:
        dm = FakeDataModule("quantitative", n=64, seed=0)
    ckpt = fit_cell(
        registered, "quantitative", dm, out / "cell", profile="smoke", seed=0,
        trainer_kwargs={{"accelerator": "cpu", "devices": 2, "strategy": "ddp"}},
        max_epochs=2, progress=False,
    )
    import torch.distributed as dist

    rank = dist.get_rank() if dist.is_initialized() else -1
    world = dist.get_world_size() if dist.is_initialized() else -1
    (out / f"rank{{os.environ.get('LOCAL_RANK', '0')}}.json").write_text(
        json.dumps({{"rank": rank, "world": world, "checkpoint": str(ckpt)}})
    )
    """
)


def _smoke_bundle(tmp_path: Path) -> str:
    """A simulated smoke bundle when the simulator exists, else '' (fake data)."""
    try:
        from benchsuite.simulate.bundle import simulate_bundle
    except ImportError:
        return ""
    return str(simulate_bundle("smoke", tmp_path / "bundle", 0))


@pytest.mark.slow
def test_fit_cell_ddp_two_cpu_processes(tmp_path):
    bundle = _smoke_bundle(tmp_path)
    script = tmp_path / "ddp_fit.py"
    script.write_text(SCRIPT.format(root=str(ROOT), out=str(tmp_path), bundle=bundle))
    env = dict(os.environ)
    env.pop("LOCAL_RANK", None)
    env["PL_TORCH_DISTRIBUTED_BACKEND"] = "gloo"
    env["BENCHSUITE_CACHE"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    ranks = {int(json.loads(p.read_text())["rank"]) for p in tmp_path.glob("rank*.json")}
    assert ranks == {0, 1}
    assert all(json.loads(p.read_text())["world"] == 2 for p in tmp_path.glob("rank*.json"))
    cell = tmp_path / "cell"
    assert (cell / "checkpoint.ckpt").is_file()
    info = json.loads((cell / "train.json").read_text())
    assert info["status"] == "trained"
    assert not (cell / "scratch").exists()
    # the checkpoint reloads into the same architecture
    sys.path.insert(0, str(ROOT))
    from benchsuite.train.module import load_trained_model

    from .conftest import registry_with, tiny_spec

    model, task, meta = load_trained_model(cell / "checkpoint.ckpt", registry=registry_with(tiny_spec()))
    assert task.kind == "quantitative" and meta["extra"]["profile"] == "smoke"


@pytest.mark.slow
def test_run_several_cells_under_ddp(tmp_path):
    """`benchsuite run` with --strategy ddp trains one cell after another in the same processes.

    Rank 0 evaluates each cell while rank 1 waits for it at the next cell's start; every cell
    gets its record, the extra rank writes none, and a rerun finds everything finished.
    """
    bundle = _smoke_bundle(tmp_path)
    assert bundle, "the simulator is part of benchsuite"
    out = tmp_path / "runs"
    env = dict(os.environ, PL_TORCH_DISTRIBUTED_BACKEND="gloo", BENCHSUITE_CACHE=str(tmp_path / "cache"))
    env.pop("LOCAL_RANK", None)
    env["COLUMNS"] = "200"
    args = [
        sys.executable, "-m", "benchsuite", "run", "--model", "cnn-baseline,residualbind-32",
        "--profile", "smoke", "--bundle", bundle, "--out", str(out), "--wandb", "disabled",
        "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp",
        "--no-cagi5", "--no-motifs", "--no-ceilings",
    ]  # fmt: skip
    proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    cells = {
        p.parent.parent.parent.name + "/" + p.parent.parent.name for p in out.glob("*/*/*/seed0/record.json")
    }
    assert cells == {"cnn-baseline/binary", "cnn-baseline/quantitative", "residualbind-32/quantitative"}
    for record_path in out.glob("*/*/*/seed0/record.json"):
        record = json.loads(record_path.read_text())
        trainer = record["hyperparameters"]["trainer"]
        assert trainer["strategy"] == "ddp" and trainer["world_size"] == 2, record_path
        assert not (record_path.parent / "scratch").exists()
    rerun = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-4000:]
    assert "3/3 finished, 0 failed" in rerun.stdout
    assert rerun.stdout.count("skipped") >= 3, rerun.stdout[-3000:]
