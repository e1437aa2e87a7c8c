"""``benchsuite run --tuned``: a tuned profile trains the registered model with its overrides,
into its own cell folder and board row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from benchsuite.errors import ConfigError, InputFileError
from benchsuite.leaderboard import build_boards
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.markdown import row_origin
from benchsuite.results.verify import VERIFIED, verify_record
from benchsuite.run.tuned import read_tuned, tuned_cells
from benchsuite.search.tune import write_tuned
from tests.run.conftest import by_cell, run_and_print, run_options


def _tuned(tmp_path: Path, **overrides) -> Path:
    payload = {
        "model": "fake-conv",
        "task": "quantitative",
        "profile": "smoke",
        "size_profile": "smoke",
        "build": {"channels": 12},
        "training": {"lr": 0.003},
        "search": {"architect": "random", "seed": 0, "candidates": 2, "steps": 6, "score": 0.5},
        "bundle": {"name": "sim-smoke-seed0", "fingerprint": "0" * 64},
        **overrides,
    }
    return write_tuned(tmp_path / "tuned.json", payload)


def test_tuned_run_trains_with_the_overrides_beside_the_untuned_cell(
    tmp_path, smoke_bundle, smoke_cache_dir, registry
):
    path = _tuned(tmp_path)
    variant = read_tuned(path).variant
    assert variant.startswith("tuned-") and len(variant) == len("tuned-") + 8
    out = tmp_path / "runs"
    plain, _ = run_and_print(
        run_options(smoke_bundle, out, smoke_cache_dir, models=("fake-conv",), task="quantitative"), registry
    )
    summary, text = run_and_print(run_options(smoke_bundle, out, smoke_cache_dir, tuned=(path,)), registry)
    outcome = by_cell(summary)[(f"fake-conv+{variant}", "quantitative")]
    assert outcome.status == "trained", text
    folder = Path(outcome.record).parent
    assert folder.parent.parent.name == f"fake-conv+{variant}"
    record = json.loads(Path(outcome.record).read_text())
    assert record["model"]["name"] == "fake-conv"
    assert record["hyperparameters"]["build"]["channels"] == 12
    assert record["hyperparameters"]["training"]["lr"] == pytest.approx(0.003 * 3.0)  # smoke lr scale
    assert record["hyperparameters"]["tuned"]["variant"] == variant
    assert record["hyperparameters"]["tuned"]["build"] == {"channels": 12}
    weights = torch.load(folder / "checkpoint.ckpt", map_location="cpu", weights_only=False)["state_dict"]
    conv = next(v for k, v in weights.items() if k.endswith("conv1.weight"))
    assert conv.shape[0] == 12  # built with the tuned channels, not the profile's 8
    untuned = json.loads(Path(by_cell(plain)[("fake-conv", "quantitative")].record).read_text())
    assert untuned["hyperparameters"]["build"]["channels"] == 8 and "tuned" not in untuned["hyperparameters"]

    again, _ = run_and_print(run_options(smoke_bundle, out, smoke_cache_dir, tuned=(path,)), registry)
    assert by_cell(again)[(f"fake-conv+{variant}", "quantitative")].status == "skipped"

    verification = verify_record(
        Path(outcome.record), registry=registry, bundle=smoke_bundle, cache_dir=smoke_cache_dir
    )
    assert verification.verdict == VERIFIED, verification.reason  # re-trained with the recorded overrides
    assert verification.max_abs_diff == 0.0 and verification.weights_match is True

    gathered = gather_records(records=[out])
    (board,) = build_boards(gathered.records)
    rows = {r.model: r for r in board.rows if r.kind == "model"}
    assert set(rows) >= {"fake-conv", f"fake-conv+{variant}"}
    assert row_origin(rows[f"fake-conv+{variant}"]) == "tuned"
    assert row_origin(rows["fake-conv"]) is None
    assert not gathered.conflicts


def test_tuned_profile_of_another_profile_or_model_is_refused(tmp_path, registry):
    with pytest.raises(ConfigError, match="tuned under profile 'default'.*--profile default"):
        tuned_cells([_tuned(tmp_path, profile="default")], registry, "smoke")
    with pytest.raises(ConfigError, match="'nope' is not registered"):
        tuned_cells([_tuned(tmp_path, model="nope")], registry, "smoke")
    with pytest.raises(ConfigError, match="has no 'binary' task"):
        tuned_cells([_tuned(tmp_path, model="fake-conv32", task="binary")], registry, "smoke")


def test_tuned_with_model_selection_is_refused(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    options = run_options(
        smoke_bundle, tmp_path / "runs", smoke_cache_dir, tuned=(_tuned(tmp_path),), all_models=True
    )
    with pytest.raises(ConfigError, match="--tuned selects its cells itself"):
        run_and_print(options, registry)


def test_a_file_that_is_not_a_tuned_profile_names_itself(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"format": "benchsuite-architecture", "version": 1}))
    with pytest.raises(InputFileError, match="not a tuned profile") as info:
        read_tuned(bad)
    assert str(bad) in str(info.value)
    with pytest.raises(InputFileError, match="unknown training settings"):
        read_tuned(_tuned(tmp_path, training={"max_epochs": 3}))


def test_tuned_profiles_travel_to_worker_processes(tmp_path, monkeypatch):
    from benchsuite.run.isolation import options_from_json, options_to_json
    from benchsuite.run.runner import RunOptions

    monkeypatch.chdir(tmp_path)
    path = _tuned(tmp_path)
    options = RunOptions(profile="smoke", tuned=(Path("tuned.json"),))
    payload = json.loads(json.dumps(options_to_json(options, tmp_path / "bundle")))  # what a worker gets
    assert payload["tuned"] == [str(path.resolve())]  # absolute: a worker may start elsewhere
    assert options_from_json(payload).tuned == (path.resolve(),)
