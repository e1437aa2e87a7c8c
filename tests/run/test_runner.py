"""The runner: failing cells, skipping finished cells, never trusting half-written files."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
import torch
from rich.console import Console

from benchsuite.errors import ConfigError
from benchsuite.results.record import read_record
from benchsuite.run.runner import RunOptions, cell_dir, print_summary, run_benchmark

from .conftest import BUILDS

torch.set_num_threads(1)


def _options(bundle: Path, out: Path, cache: Path, **kwargs) -> RunOptions:
    base = dict(
        profile="smoke",
        bundle=bundle,
        out=out,
        seed=0,
        wandb="disabled",
        accelerator="cpu",
        cagi5=False,
        motifs=False,
        ceilings=False,
        cache_dir=cache,
        progress=False,
        max_epochs=1,
    )
    base.update(kwargs)
    return RunOptions(**base)


def _run(options: RunOptions, registry) -> tuple:
    stream = io.StringIO()
    console = Console(file=stream, width=200, force_terminal=False)
    summary = run_benchmark(options, registry=registry, console=console)
    print_summary(summary, console)
    return summary, stream.getvalue()


def _by_cell(summary) -> dict[tuple[str, str], object]:
    return {(o.model, o.task): o for o in summary.outcomes if o.kind == "model"}


@pytest.fixture
def finished_run(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    """fake-conv (both tasks) + two broken models, run once."""
    options = _options(
        smoke_bundle,
        tmp_path / "runs",
        smoke_cache_dir,
        models=("fake-conv", "fake-broken", "fake-wrongshape"),
    )
    summary, text = _run(options, registry)
    return options, summary, text


def test_failing_cells_are_reported_and_others_finish(finished_run):
    options, summary, text = finished_run
    cells = _by_cell(summary)
    assert set(cells) == {
        ("fake-broken", "quantitative"),
        ("fake-conv", "binary"),
        ("fake-conv", "quantitative"),
        ("fake-wrongshape", "quantitative"),
    }
    assert cells[("fake-conv", "binary")].status == "trained"
    assert cells[("fake-conv", "quantitative")].status == "trained"
    broken = cells[("fake-broken", "quantitative")]
    assert broken.status == "failed" and "broken on purpose" in broken.error
    wrong = cells[("fake-wrongshape", "quantitative")]
    assert wrong.status == "failed" and "shape" in wrong.error and "FakeRunPlugin" in wrong.error
    assert summary.exit_code == 1
    assert "FAILED" in text and "fake-broken" in text
    # the finished cells have valid records with the headline metrics; failed ones have none
    for (model, task), outcome in cells.items():
        record_path = cell_dir(summary.root, model, task, 0) / "record.json"
        if outcome.status == "failed":
            assert not record_path.exists()
            continue
        record = read_record(record_path)
        assert record["model"]["name"] == model and record["task"] == task
        assert record["dataset"]["fingerprint"] == summary.dataset_fingerprint
        assert record["hyperparameters"]["training"]["max_epochs"] == 1
        assert "wholechrom.pearson" in record["metrics"] and "peak.auroc" in record["metrics"]
        assert outcome.metrics["wholechrom.pearson"] == record["metrics"]["wholechrom.pearson"]["mean"]
    # output layout: <out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/
    assert summary.root == options.out / summary.dataset_fingerprint[:12]


def test_finished_cells_are_skipped_on_rerun(finished_run, registry):
    options, first, _ = finished_run
    record = cell_dir(first.root, "fake-conv", "quantitative", 0) / "record.json"
    stamp = record.stat().st_mtime_ns
    builds = BUILDS["fake-conv"]
    summary, text = _run(options, registry)
    cells = _by_cell(summary)
    assert cells[("fake-conv", "quantitative")].status == "skipped"
    assert cells[("fake-conv", "binary")].status == "skipped"
    assert BUILDS["fake-conv"] == builds  # neither retrained nor re-evaluated
    assert record.stat().st_mtime_ns == stamp
    # the failing cells are attempted again (and fail again)
    assert cells[("fake-broken", "quantitative")].status == "failed"
    assert summary.exit_code == 1


def test_truncated_record_is_not_used(finished_run, registry):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "quantitative", 0)
    record = folder / "record.json"
    text = record.read_text()
    record.write_text(text[: len(text) // 2])
    ckpt_stamp = (folder / "checkpoint.ckpt").stat().st_mtime_ns
    summary, _ = _run(
        _options(options.bundle, options.out, options.cache_dir, models=("fake-conv",)), registry
    )
    cells = _by_cell(summary)
    # training had finished: only the evaluation is redone
    assert cells[("fake-conv", "quantitative")].status == "evaluated"
    assert (folder / "checkpoint.ckpt").stat().st_mtime_ns == ckpt_stamp
    assert read_record(record)["model"]["name"] == "fake-conv"
    assert cells[("fake-conv", "binary")].status == "skipped"
    assert summary.exit_code == 0


def test_checkpoint_without_train_json_is_retrained(finished_run, registry):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "binary", 0)
    (folder / "record.json").unlink()
    (folder / "train.json").unlink()
    (folder / "checkpoint.ckpt").write_bytes(b"half-written")
    summary, _ = _run(
        _options(options.bundle, options.out, options.cache_dir, models=("fake-conv",)), registry
    )
    cells = _by_cell(summary)
    assert cells[("fake-conv", "binary")].status == "trained"
    assert json.loads((folder / "train.json").read_text())["status"] == "trained"
    assert read_record(folder / "record.json")["task"] == "binary"


def test_record_of_another_cell_is_not_trusted(finished_run, registry):
    options, first, _ = finished_run
    a = cell_dir(first.root, "fake-conv", "binary", 0) / "record.json"
    b = cell_dir(first.root, "fake-conv", "quantitative", 0) / "record.json"
    os.replace(a, b)  # a valid record, but of the binary cell
    summary, _ = _run(
        _options(options.bundle, options.out, options.cache_dir, models=("fake-conv",), task="quantitative"),
        registry,
    )
    assert _by_cell(summary)[("fake-conv", "quantitative")].status == "evaluated"
    assert read_record(b)["task"] == "quantitative"


def test_shard_runs_a_subset(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    options = _options(smoke_bundle, tmp_path / "runs", smoke_cache_dir, all_models=True, shard="2/3")
    summary, _ = _run(options, registry)
    # matrix: fake-broken/q, fake-conv/b, fake-conv/q, fake-conv32/q, fake-wrongshape/q -> index 1, 4
    assert [(o.model, o.task) for o in summary.outcomes] == [
        ("fake-conv", "binary"),
        ("fake-wrongshape", "quantitative"),
    ]


def test_bad_options_fail_before_running(tmp_path, smoke_bundle, registry):
    with pytest.raises(ConfigError) as info:
        run_benchmark(_options(smoke_bundle, tmp_path, tmp_path), registry=registry)
    assert info.value.source == "--all/--model"
    with pytest.raises(ConfigError) as info:
        run_benchmark(
            _options(smoke_bundle, tmp_path, tmp_path, all_models=True, shard="4/3"), registry=registry
        )
    assert info.value.source == "--shard"
    with pytest.raises(ConfigError) as info:
        run_benchmark(
            _options(smoke_bundle, tmp_path, tmp_path, all_models=True, wandb="loud"), registry=registry
        )
    assert info.value.source == "--wandb"
    with pytest.raises(ConfigError) as info:
        run_benchmark(
            _options(smoke_bundle, tmp_path, tmp_path, all_models=True, profile="huge"), registry=registry
        )
    assert info.value.source == "--profile"
    assert not (tmp_path / "bundles").exists()


def test_eval_options_follow_profile_and_flags():
    from benchsuite.evaluate.harness import EvalOptions
    from benchsuite.run.runner import EVAL_PROFILES, eval_options_for

    smoke = eval_options_for(RunOptions(profile="smoke", cagi5=False, motifs=True))
    assert isinstance(smoke, EvalOptions)
    assert smoke.cagi5 is False and smoke.motifs is True
    for key, value in EVAL_PROFILES["smoke"].items():
        assert getattr(smoke, key) == value
    paper = eval_options_for(RunOptions(profile="paper", motifs=False))
    assert paper.motifs is False
    assert paper.robustness_shifts == EvalOptions().robustness_shifts == 20
    assert paper.cagi5_shifts == EvalOptions().cagi5_shifts


def test_changed_training_settings_retrain_the_cell(finished_run, registry):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "quantitative", 0)
    builds = BUILDS["fake-conv"]
    summary, _ = _run(
        _options(
            options.bundle,
            options.out,
            options.cache_dir,
            models=("fake-conv",),
            task="quantitative",
            max_epochs=2,
        ),
        registry,
    )
    assert _by_cell(summary)[("fake-conv", "quantitative")].status == "trained"
    assert BUILDS["fake-conv"] > builds
    record = read_record(folder / "record.json")
    assert record["hyperparameters"]["training"]["max_epochs"] == 2
    assert json.loads((folder / "train.json").read_text())["training"]["max_epochs"] == 2


def test_in_place_evaluation_on_another_dataset_is_refused(finished_run, registry, tmp_path):
    """`benchsuite evaluate` without --out never puts another dataset's record into a cell."""
    from benchsuite.run.evaluate import evaluate_checkpoint_to_record

    options, summary, _ = finished_run
    cell = cell_dir(summary.root, "fake-conv", "quantitative", 0)
    before = (cell / "record.json").read_bytes()
    ckpt = torch.load(cell / "checkpoint.ckpt", map_location="cpu", weights_only=True)
    ckpt["hyper_parameters"]["extra"]["dataset_fingerprint"] = "0" * 64  # "trained elsewhere"
    other = tmp_path / "other.ckpt"
    torch.save(ckpt, other)
    (tmp_path / "record.json").write_bytes(before)
    with pytest.raises(ConfigError) as info:
        evaluate_checkpoint_to_record(
            other,
            bundle=options.bundle,
            cache_dir=options.cache_dir,
            registry=registry,
            cagi5=False,
            motifs=False,
            progress=False,
        )
    assert info.value.source == "--out" and "000000000000" in str(info.value)
    assert (tmp_path / "record.json").read_bytes() == before
    assert not (tmp_path / "record.previous.json").exists()
    # with --out the record of the other dataset is written there
    record, path = evaluate_checkpoint_to_record(
        other,
        bundle=options.bundle,
        out=tmp_path / "elsewhere",
        cache_dir=options.cache_dir,
        registry=registry,
        cagi5=False,
        motifs=False,
        progress=False,
    )
    assert path == tmp_path / "elsewhere" / "record.json" and path.is_file()
    assert record["metrics"]["wholechrom.pearson"]["mean"] is not None
