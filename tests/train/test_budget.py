"""Step budgets on small datasets: rounds repeat passes, the passes are reported, a warning."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
import torch

from benchsuite.train import fit as fit_mod
from benchsuite.train.budget import MANY_PASSES, RepeatedLoader
from benchsuite.train.fit import TRAIN_INFO_NAME, fit_cell, model_size_profile, resolve_training

from .conftest import FakeDataModule, registry_with, tiny_spec

torch.set_num_threads(1)

CPU = {"accelerator": "cpu", "devices": 1}


def _fit(tmp_path, settings, *, n=32, profile="smoke", name="cell"):
    spec = tiny_spec()
    registered = next(iter(registry_with(spec)))
    dm = FakeDataModule("quantitative", n=n, batch_size=16)
    fit_cell(
        registered,
        "quantitative",
        dm,
        tmp_path / name,
        profile=profile,
        trainer_kwargs=CPU,
        settings=settings,
        progress=False,
    )
    return json.loads((tmp_path / name / TRAIN_INFO_NAME).read_text()), dm


def test_repeated_loader_yields_exactly_length_batches():
    assert list(RepeatedLoader([1, 2, 3], 7)) == [1, 2, 3, 1, 2, 3, 1]
    assert len(RepeatedLoader([1, 2, 3], 7)) == 7
    assert list(RepeatedLoader([], 4)) == []  # an empty loader never loops forever


def test_small_dataset_still_trains_the_whole_step_budget(tmp_path):
    """2 batches per pass, rounds of 5 steps, 3 rounds: 15 steps (was 3 x 2 = 6), 7.5 passes."""
    settings = dataclasses.replace(
        resolve_training(tiny_spec(), "quantitative", "smoke"),
        max_epochs=3,
        limit_train_batches=5,
        early_stopping=False,
    )
    assert settings.max_steps == 15
    info, dm = _fit(tmp_path, settings)
    assert info["global_steps"] == 15
    assert info["epochs_trained"] == 3
    assert info["data_passes"] == 7.5
    assert "train_dataloader" not in vars(dm)  # the datamodule is left as it was


def test_large_dataset_keeps_the_first_batches_of_each_shuffle(tmp_path):
    """8 batches per pass, rounds of 2: nothing repeats, 3 rounds = 6 steps = 0.75 passes."""
    settings = dataclasses.replace(
        resolve_training(tiny_spec(), "quantitative", "smoke"),
        max_epochs=3,
        limit_train_batches=2,
        early_stopping=False,
    )
    info, _ = _fit(tmp_path, settings, n=128)
    assert info["global_steps"] == 6 and info["data_passes"] == 0.75


def test_many_passes_warn_with_the_fix(tmp_path, caplog):
    steps = int(2 * MANY_PASSES) + 2  # 2 batches per pass -> MANY_PASSES + 1 passes
    settings = dataclasses.replace(
        resolve_training(tiny_spec(), "quantitative", "smoke"),
        max_epochs=1,
        limit_train_batches=steps,
        early_stopping=False,
    )
    with caplog.at_level(logging.WARNING, logger="benchsuite.train.budget"):
        info, _ = _fit(tmp_path, settings)
    assert info["global_steps"] == steps
    warning = [r.getMessage() for r in caplog.records if r.name == "benchsuite.train.budget"]
    assert len(warning) == 1
    assert f"budget of {steps} steps is 26 passes over the 2 batches of 32 training sequences" in warning[0]
    assert "--profile converge" in warning[0]


def test_many_passes_with_early_stopping_do_not_warn(tmp_path, caplog):
    """With early stopping (converge) the step budget is only a cap: no warning."""
    settings = dataclasses.replace(
        resolve_training(tiny_spec(), "quantitative", "smoke"),
        max_epochs=1,
        limit_train_batches=int(2 * MANY_PASSES) + 2,
        early_stopping=True,
    )
    with caplog.at_level(logging.WARNING, logger="benchsuite.train.budget"):
        _fit(tmp_path, settings)
    assert not [r for r in caplog.records if r.name == "benchsuite.train.budget"]


def test_few_passes_do_not_warn(tmp_path, caplog):
    settings = dataclasses.replace(
        resolve_training(tiny_spec(), "quantitative", "smoke"), max_epochs=1, limit_train_batches=4
    )
    with caplog.at_level(logging.WARNING, logger="benchsuite.train.budget"):
        _fit(tmp_path, settings)
    assert not [r for r in caplog.records if r.name == "benchsuite.train.budget"]


def test_converge_profile_early_stops_with_a_step_cap():
    spec = tiny_spec(defaults={"max_epochs": 100, "patience": 10, "lr": 1e-3})
    converge = resolve_training(spec, "quantitative", "converge")
    assert converge.early_stopping is True
    assert converge.patience == 5
    assert converge.max_steps == 100 * 50 == 5000
    assert converge.batch_size == 32
    assert converge.limit_val_batches == 20
    assert converge.lr == pytest.approx(3e-3)
    assert model_size_profile("converge") == "default"
    assert model_size_profile("paper") == "paper" and model_size_profile("smoke") == "smoke"
    assert set(fit_mod.TRAINING_PROFILES) == {"smoke", "default", "converge", "primer", "paper"}


def test_primer_profile_is_200_steps_of_32_with_smoke_sizes():
    spec = tiny_spec(defaults={"max_epochs": 100, "patience": 10, "lr": 1e-3})
    primer = resolve_training(spec, "binary", "primer")
    assert primer.max_steps == 10 * 20 == 200
    assert primer.batch_size == 32 and primer.early_stopping is False
    assert primer.limit_val_batches == 12  # the primer's 375 validation sequences, all of them
    assert primer.lr == pytest.approx(3e-3)
    assert model_size_profile("primer") == "smoke"


def test_converge_builds_the_default_model_size(tmp_path):
    settings = dataclasses.replace(
        resolve_training(tiny_spec(), "quantitative", "converge"), max_epochs=2, limit_train_batches=2
    )
    info, _ = _fit(tmp_path, settings, profile="converge")
    assert info["build_hparams"] == {"channels": 8}  # tiny_spec's "default" size
    assert info["profile"] == "converge"
    assert info["global_steps"] <= 4
