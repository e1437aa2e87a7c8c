"""Regenerate the evaluation regression fixture (run it with the code whose numbers are the reference).

    python tests/evaluate/regression/generate.py            # re-evaluate cells/*.ckpt, write expected.json
    python tests/evaluate/regression/generate.py RUN_DIR    # first take new checkpoints from a run

``cells/`` holds four smoke-profile checkpoints (weights and hyperparameters only; the
optimiser state is dropped): cnn-baseline-exp and residualbind-base, both tasks, seed 0, from

    benchsuite run --profile smoke --model cnn-baseline-exp,residualbind-base --seed 0 \\
        --wandb disabled --out RUN_DIR

The script simulates the smoke bundle, prepares it, evaluates every checkpoint and both
ceilings with :data:`SMOKE_OPTIONS` and writes ``expected.json`` (the dataset fingerprint, the
harness version and every metric). ``test_regression.py`` re-evaluates with the current code and
requires the same metrics to 1e-9. Regenerate only together with a deliberate change of the
harness (a ``HARNESS_VERSION`` bump, recorded in docs/protocol.md), never to make the test pass.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CELLS = HERE / "cells"
KEEP = ("state_dict", "hyper_parameters", "pytorch-lightning_version")

#: the smoke profile's harness budget (fixed here so a change of the run profiles cannot move it)
SMOKE_OPTIONS: dict[str, Any] = {
    "robustness_max_sequences": 16,
    "cagi5_shifts": 4,
    "cagi5_max_variants_per_element": 40,
    "motifs_max_sequences": 64,
    "interpret_sequences": 16,
    "interpret_ism_sequences": 2,
    "interpret_ism_span": 48,
    "interpret_gia_backgrounds": 4,
    "interpret_distance_step": 12,
    "interpret_max_distance": 48,
}


def smoke_dataset(root: Path) -> tuple[Any, Any]:
    """Simulate and prepare the smoke bundle (seed 0) under ``root``."""
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.simulate import simulate_bundle

    bundle = simulate_bundle("smoke", root / "bundle", 0, progress=False)
    manifest = load_manifest(bundle)
    return prepare_dataset(manifest, cache_dir=root / "cache", progress=False), manifest


#: intra-op threads of the evaluation: the thread count changes float32 reduction orders, and
#: ``interpret.false_cooperativity`` (a small interaction over small importances) moves by up
#: to 1e-3 between 1 and 2 threads; one thread, as every cell of ``benchsuite run`` computes
THREADS = 1


def evaluate_cell(cache: Any, manifest: Any, key: str, *, motifs: bool = True) -> dict[str, Any]:
    """Metrics of one checkpoint ``cells/<model>.<task>.ckpt`` or ceiling ``oracle``/``replicate2``,
    evaluated at :data:`THREADS` intra-op threads (the caller's count is restored)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        return _evaluate_cell(cache, manifest, key, motifs=motifs)
    finally:
        torch.set_num_threads(before)


def _evaluate_cell(cache: Any, manifest: Any, key: str, *, motifs: bool) -> dict[str, Any]:
    from benchsuite.evaluate import EvalOptions
    from benchsuite.evaluate.ceilings import oracle_ceiling, replicate2_ceiling
    from benchsuite.run.runner import evaluate_checkpoint

    options = EvalOptions(**SMOKE_OPTIONS, motifs=motifs)
    if key == "oracle.quantitative":
        return oracle_ceiling(manifest.truth, cache, manifest, options=options).to_dict()["metrics"]
    if key == "replicate2.quantitative":
        return replicate2_ceiling(cache, manifest, options=options).to_dict()["metrics"]
    result = evaluate_checkpoint(CELLS / f"{key}.ckpt", cache, manifest, options=options)[0]
    return result.to_dict()["metrics"]


def _take_checkpoints(run_dir: Path) -> None:
    import torch

    CELLS.mkdir(exist_ok=True)
    for ckpt_path in sorted(run_dir.rglob("checkpoint.ckpt")):
        record = json.loads((ckpt_path.parent / "record.json").read_text())
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        key = f"{record['model']['name']}.{record['task']}"
        torch.save({k: ckpt[k] for k in KEEP if k in ckpt}, CELLS / f"{key}.ckpt")


def main(argv: list[str]) -> None:
    from benchsuite.evaluate import HARNESS_VERSION

    if argv:
        _take_checkpoints(Path(argv[0]))
    keys = [p.name[: -len(".ckpt")] for p in sorted(CELLS.glob("*.ckpt"))]
    keys += ["oracle.quantitative", "replicate2.quantitative"]
    with tempfile.TemporaryDirectory() as tmp:
        cache, manifest = smoke_dataset(Path(tmp))
        records = {key: {"metrics": evaluate_cell(cache, manifest, key)} for key in keys}
        expected = {"fingerprint": cache.fingerprint, "harness_version": HARNESS_VERSION, "records": records}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(records)} records (harness {HARNESS_VERSION}) to {HERE / 'expected.json'}")


if __name__ == "__main__":
    main(sys.argv[1:])
