"""Regenerate the evaluation regression fixture (run with the code whose numbers are the reference).

    python tests/evaluate/regression/generate.py RUN_DIR

``RUN_DIR`` is the output folder of

    benchsuite run --profile smoke --model cnn-baseline-exp,residualbind-base --seed 0 \
        --wandb disabled --out RUN_DIR

The script copies each cell's checkpoint (weights and hyperparameters only: the optimiser
state is dropped) to ``cells/<model>.<task>.ckpt`` and writes ``expected.json`` with the
dataset fingerprint, the harness options of the smoke profile and every metric of every record
(models and ceilings). ``test_regression.py`` re-evaluates the checkpoints with the current
code and requires the same metrics to 1e-9. Regenerate only together with a deliberate change
of the harness (a ``HARNESS_VERSION`` bump), never to make the test pass.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
KEEP = ("state_dict", "hyper_parameters", "pytorch-lightning_version")


def main(run_dir: Path) -> None:
    (fingerprint_dir,) = [p for p in run_dir.iterdir() if p.is_dir() and p.name != "bundles"]
    cells_dir = HERE / "cells"
    cells_dir.mkdir(exist_ok=True)
    expected: dict = {"fingerprint_prefix": fingerprint_dir.name, "records": {}}
    for record_path in sorted(fingerprint_dir.rglob("record.json")):
        record = json.loads(record_path.read_text())
        key = f"{record['model']['name']}.{record['task']}"
        if record["kind"] == "model":
            ckpt = torch.load(record_path.parent / "checkpoint.ckpt", map_location="cpu", weights_only=False)
            torch.save({k: ckpt[k] for k in KEEP if k in ckpt}, cells_dir / f"{key}.ckpt")
        expected["records"][key] = {"kind": record["kind"], "metrics": record["metrics"]}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(expected['records'])} records to {HERE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
