"""The harness reproduces the numbers of a fixed set of trained cells to 1e-9.

``cells/`` holds four smoke-profile checkpoints (cnn-baseline-exp and residualbind-base, both
tasks, seed 0) and ``expected.json`` every metric of their evaluation and of the oracle and
replicate-2 ceilings, computed by the harness version it names (see ``generate.py``). This
guards refactors: any change of a number fails here, and a deliberate one regenerates the
fixture with a ``HARNESS_VERSION`` bump. Correctness itself is guarded by the independent
scipy/sklearn tests of each family.

The fast tier re-evaluates every family except motif recovery (memelite's first numba compile
costs about a minute); the slow tier checks the motif metrics too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from benchsuite.evaluate import HARNESS_VERSION
from tests.evaluate.regression.generate import evaluate_cell, smoke_dataset

HERE = Path(__file__).resolve().parent
EXPECTED: dict[str, Any] = json.loads((HERE / "expected.json").read_text())
TOLERANCE = 1e-9
MODEL_CELLS = sorted(k for k in EXPECTED["records"] if not k.startswith(("oracle.", "replicate2.")))


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    assert EXPECTED["harness_version"] == HARNESS_VERSION, (
        "HARNESS_VERSION changed: regenerate the fixture (python tests/evaluate/regression/generate.py)"
    )
    cache, manifest = smoke_dataset(tmp_path_factory.mktemp("regression"))
    assert cache.fingerprint == EXPECTED["fingerprint"], (
        "the simulated smoke dataset changed; regenerate the fixture with a harness-version bump"
    )
    return cache, manifest


def _close(expected: Any, actual: Any, where: str) -> None:
    if expected is None:
        assert actual is None, f"{where}: expected undefined, got {actual}"
    else:
        assert actual is not None and math.isclose(actual, expected, rel_tol=0, abs_tol=TOLERANCE), (
            f"{where}: {actual!r} != {expected!r}"
        )


def _assert_metrics(got: dict[str, Any], want: dict[str, Any], *, motifs: bool) -> None:
    want = {k: v for k, v in want.items() if motifs or not k.startswith("motifs.")}
    got = {k: v for k, v in got.items() if motifs or not k.startswith("motifs.")}
    assert sorted(got) == sorted(want)
    for name, entry in want.items():
        _close(entry["mean"], got[name]["mean"], f"{name} [mean]")
        assert sorted(got[name]["per_target"]) == sorted(entry["per_target"]), name
        for t, v in entry["per_target"].items():
            _close(v, got[name]["per_target"][t], f"{name} [{t}]")
        assert ("ci95" in got[name]) == ("ci95" in entry), name
        for i, v in enumerate(entry.get("ci95", [])):
            _close(v, got[name]["ci95"][i], f"{name} [ci95 {i}]")


@pytest.mark.parametrize("key", MODEL_CELLS)
def test_model_cells_reproduce(smoke: tuple[Any, Any], key: str) -> None:
    metrics = evaluate_cell(*smoke, key, motifs=False)
    _assert_metrics(metrics, EXPECTED["records"][key]["metrics"], motifs=False)


@pytest.mark.slow
@pytest.mark.parametrize("key", MODEL_CELLS)
def test_model_cells_reproduce_with_motifs(smoke: tuple[Any, Any], key: str) -> None:
    metrics = evaluate_cell(*smoke, key, motifs=True)
    _assert_metrics(metrics, EXPECTED["records"][key]["metrics"], motifs=True)


@pytest.mark.parametrize("key", ["oracle.quantitative", "replicate2.quantitative"])
def test_ceilings_reproduce(smoke: tuple[Any, Any], key: str) -> None:
    _assert_metrics(evaluate_cell(*smoke, key), EXPECTED["records"][key]["metrics"], motifs=True)
