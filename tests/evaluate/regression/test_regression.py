"""The harness reproduces the numbers of a fixed set of trained cells to 1e-9.

``cells/`` holds four smoke-profile checkpoints (cnn-baseline-exp and residualbind-base, both
tasks, seed 0) and ``expected.json`` every metric their records held, plus the oracle and
replicate-2 ceilings, all computed by the code before the evaluation layer was refactored (see
``generate.py``). This guards refactors: any change of a number fails here. Correctness itself
is guarded by the independent scipy/sklearn tests of each family.

The fast tier re-evaluates every family except motif recovery (memelite's first numba compile
costs about a minute); the slow tier checks the motif metrics too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from benchsuite.data.manifest import load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.evaluate import EvalOptions
from benchsuite.evaluate.ceilings import oracle_ceiling, replicate2_ceiling
from benchsuite.run.runner import evaluate_checkpoint
from benchsuite.simulate import simulate_bundle

HERE = Path(__file__).resolve().parent
EXPECTED: dict[str, Any] = json.loads((HERE / "expected.json").read_text())
TOLERANCE = 1e-9

#: the smoke profile's harness budget when the fixture was made
SMOKE_OPTIONS = {
    "robustness_max_sequences": 16,
    "cagi5_shifts": 4,
    "cagi5_max_variants_per_element": 40,
    "motifs_max_sequences": 64,
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    root = tmp_path_factory.mktemp("regression")
    bundle = simulate_bundle("smoke", root / "bundle", 0, progress=False)
    manifest = load_manifest(bundle)
    cache = prepare_dataset(manifest, cache_dir=root / "cache", progress=False)
    assert cache.fingerprint.startswith(EXPECTED["fingerprint_prefix"]), (
        "the simulated smoke dataset changed; the fixture no longer applies (see generate.py)"
    )
    return cache, manifest


def _assert_metrics(got: dict[str, Any], want: dict[str, Any], *, motifs: bool) -> None:
    want = {k: v for k, v in want.items() if motifs or not k.startswith("motifs.")}
    got = {k: v for k, v in got.items() if motifs or not k.startswith("motifs.")}
    assert sorted(got) == sorted(want)
    for name, entry in want.items():
        pairs = [("mean", entry["mean"], got[name]["mean"])]
        assert sorted(got[name]["per_target"]) == sorted(entry["per_target"]), name
        pairs += [(t, v, got[name]["per_target"][t]) for t, v in entry["per_target"].items()]
        for where, expected, actual in pairs:
            if expected is None:
                assert actual is None, f"{name} [{where}]: expected undefined, got {actual}"
            else:
                assert actual is not None and math.isclose(actual, expected, rel_tol=0, abs_tol=TOLERANCE), (
                    f"{name} [{where}]: {actual!r} != {expected!r}"
                )


MODEL_CELLS = sorted(k for k, v in EXPECTED["records"].items() if v["kind"] == "model")


def _evaluate_cell(smoke: tuple[Any, Any], key: str, motifs: bool) -> dict[str, Any]:
    cache, manifest = smoke
    options = EvalOptions(**SMOKE_OPTIONS, motifs=motifs)
    result, _task, _info, _seconds = evaluate_checkpoint(
        HERE / "cells" / f"{key}.ckpt", cache, manifest, options=options
    )
    return result.to_dict()["metrics"]


@pytest.mark.parametrize("key", MODEL_CELLS)
def test_model_cells_reproduce(smoke: tuple[Any, Any], key: str) -> None:
    metrics = _evaluate_cell(smoke, key, motifs=False)
    _assert_metrics(metrics, EXPECTED["records"][key]["metrics"], motifs=False)


@pytest.mark.slow
@pytest.mark.parametrize("key", MODEL_CELLS)
def test_model_cells_reproduce_with_motifs(smoke: tuple[Any, Any], key: str) -> None:
    metrics = _evaluate_cell(smoke, key, motifs=True)
    _assert_metrics(metrics, EXPECTED["records"][key]["metrics"], motifs=True)


def test_ceilings_reproduce(smoke: tuple[Any, Any]) -> None:
    cache, manifest = smoke
    options = EvalOptions(**SMOKE_OPTIONS)
    oracle = oracle_ceiling(manifest.truth, cache, manifest, options=options).to_dict()["metrics"]
    _assert_metrics(oracle, EXPECTED["records"]["oracle.quantitative"]["metrics"], motifs=True)
    rep2 = replicate2_ceiling(cache, manifest, options=options).to_dict()["metrics"]
    _assert_metrics(rep2, EXPECTED["records"]["replicate2.quantitative"]["metrics"], motifs=True)
