"""Shared set-up of the bench scripts: a simulated bundle prepared in a work folder, and a freshly
built model of a registered spec at that bundle's geometry (weights do not change the cost)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def bench_world(profile: str, work: Path | None, eval_profile: str | None = None) -> tuple[Any, Any, Any]:
    """One torch thread, the CLI's malloc settings, Tomtom's numba code loaded from its persistent
    cache (its compile is excluded), the ``profile`` bundle (seed 0) simulated under ``work``
    (default: a temporary folder) and prepared: (manifest, cache, the harness options of
    ``eval_profile``'s budget)."""
    import tempfile

    import torch

    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.evaluate.motifs.tomtom import use_numba_cache, warm_up
    from benchsuite.run.allocator import tune_allocator
    from benchsuite.run.runner import RunOptions
    from benchsuite.run.scoring import eval_options_for
    from benchsuite.simulate.bundle import simulate_bundle

    torch.set_num_threads(1)
    tune_allocator()  # the malloc settings of the CLI (benchsuite.run.allocator)
    use_numba_cache()
    warm_up()
    work = work or Path(tempfile.mkdtemp(prefix="bench-"))
    manifest = load_manifest(Path(simulate_bundle(profile, work / "bundle", 0)))
    cache = prepare_dataset(manifest, cache_dir=work / "cache", progress=False)
    return manifest, cache, eval_options_for(RunOptions(profile=eval_profile or profile))


def fresh_model(registered: Any, kind: str, manifest: Any, profile: str) -> tuple[Any, Any]:
    """``registered``'s model for ``kind`` at the bundle's geometry, seeded, in eval mode: (model, task)."""
    import torch

    from benchsuite.train.fit import model_size_profile

    task = registered.spec.task_spec(
        kind,
        input_length=manifest.geometry.input_length,
        num_targets=len(manifest.targets),
        target_names=[t.name for t in manifest.targets],
    )
    torch.manual_seed(0)
    return registered.build(task, profile=model_size_profile(profile)).eval(), task
