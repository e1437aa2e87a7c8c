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
