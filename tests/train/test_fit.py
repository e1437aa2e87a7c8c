"""fit_cell: checkpoints, reloading, seeds, contract checks and training settings."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from benchsuite.errors import ConfigError, InputFileError, ModelContractError, PluginError
from benchsuite.train import fit as fit_mod
from benchsuite.train.fit import (
    CHECKPOINT_NAME,
    TRAIN_INFO_NAME,
    fit_cell,
    read_train_info,
    resolve_training,
    trainer_options,
)
from benchsuite.train.module import load_trained_model

from .conftest import FakeDataModule, registry_with, tiny_spec

torch.set_num_threads(1)

CPU = {"accelerator": "cpu", "devices": 1}


def _fit(tmp_path, name="cell", *, spec=None, kind="quantitative", seed=0, max_epochs=2, **kwargs):
    registry = registry_with(spec or tiny_spec())
    registered = next(iter(registry))
    dm = FakeDataModule(kind, seed=0)
    ckpt = fit_cell(
        registered,
        kind,
        dm,
        tmp_path / name,
        profile="smoke",
        seed=seed,
        trainer_kwargs=CPU,
        max_epochs=max_epochs,
        progress=False,
        **kwargs,
    )
    return ckpt, registry, dm


def test_best_checkpoint_and_marker_written(tmp_path):
    ckpt, registry, dm = _fit(tmp_path, extra={"dataset_fingerprint": "abc123"})
    cell = tmp_path / "cell"
    assert ckpt == cell / CHECKPOINT_NAME and ckpt.is_file()
    info = json.loads((cell / TRAIN_INFO_NAME).read_text())
    assert info["status"] == "trained"
    assert info["model"] == "tiny"
    assert info["build_hparams"] == {"channels": 4}  # the smoke profile's hparams
    assert info["training"]["loss"] == "poisson"
    assert info["training"]["max_epochs"] == 2
    assert info["extra"] == {"dataset_fingerprint": "abc123"}
    assert read_train_info(cell) == info
    # Lightning's scratch folder is gone; no temporary files are left behind
    assert not (cell / fit_mod.SCRATCH_NAME).exists()
    assert not [p for p in cell.iterdir() if p.name.startswith(".")]
    assert (cell / "logs" / "metrics.csv").is_file()


def test_reloaded_model_reproduces_best_validation_loss(tmp_path):
    ckpt, registry, dm = _fit(tmp_path, max_epochs=3)
    info = json.loads((tmp_path / "cell" / TRAIN_INFO_NAME).read_text())
    model, task, meta = load_trained_model(ckpt, registry=registry)
    assert task == dm.task_spec()
    assert meta["model"] == "tiny" and meta["build_hparams"] == {"channels": 4}
    assert meta["extra"]["profile"] == "smoke" and meta["extra"]["seed"] == 0
    assert not model.training
    # the validation loss of the reloaded weights is the best validation loss Lightning saw
    # (on the first limit_val_batches batches; all batches have the same size here)
    n_val = info["training"]["limit_val_batches"] * dm.batch_size
    x, y = dm.val.tensors[0][:n_val], dm.val.tensors[1][:n_val]
    with torch.no_grad():
        pred = model(x)
    loss = torch.nn.functional.poisson_nll_loss(pred, y, log_input=False, eps=1e-8).item()
    assert loss == pytest.approx(info["best_val_loss"], rel=1e-5)
    # two reloads give identical predictions
    model2, _, _ = load_trained_model(ckpt, registry=registry)
    with torch.no_grad():
        assert torch.equal(model2(x), pred)


def test_same_seed_same_weights_other_seed_differs(tmp_path):
    a, registry, _ = _fit(tmp_path, "a", seed=7)
    b, _, _ = _fit(tmp_path, "b", seed=7)
    c, _, _ = _fit(tmp_path, "c", seed=8)
    wa = load_trained_model(a, registry=registry)[0].state_dict()
    wb = load_trained_model(b, registry=registry)[0].state_dict()
    wc = load_trained_model(c, registry=registry)[0].state_dict()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_binary_cell_uses_bce(tmp_path):
    ckpt, registry, _ = _fit(tmp_path, kind="binary", max_epochs=1)
    _, task, meta = load_trained_model(ckpt, registry=registry)
    assert task.kind == "binary" and meta["loss"] == "bce"


def test_interrupted_copy_leaves_no_checkpoint(tmp_path, monkeypatch):
    def broken_copy(src, dst, length=0):
        dst.write(src.read(100))
        raise OSError("disk full")

    monkeypatch.setattr(fit_mod.shutil, "copyfileobj", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        _fit(tmp_path, max_epochs=1)
    cell = tmp_path / "cell"
    assert not (cell / CHECKPOINT_NAME).exists()
    assert not (cell / TRAIN_INFO_NAME).exists()
    assert read_train_info(cell) is None


def test_stale_marker_removed_before_training(tmp_path):
    cell = tmp_path / "cell"
    cell.mkdir()
    (cell / TRAIN_INFO_NAME).write_text('{"status": "trained"}')
    (cell / CHECKPOINT_NAME).write_bytes(b"old")

    def boom(task, **hp):
        raise RuntimeError("kaboom")

    with pytest.raises(PluginError, match="kaboom"):
        _fit(tmp_path, spec=tiny_spec(build=boom))
    assert not (cell / TRAIN_INFO_NAME).exists()
    assert read_train_info(cell) is None


def test_contract_error_before_training(tmp_path):
    class WrongShape(torch.nn.Module):
        def __init__(self, task, **hp):
            super().__init__()
            self.lin = torch.nn.Linear(4, 3)

        def forward(self, x):
            return self.lin(x.mean(-1))  # (N, 3) instead of (N, 2, L)

    spec = tiny_spec(name="wrong", build=lambda task, **hp: WrongShape(task))
    with pytest.raises(ModelContractError) as info:
        _fit(tmp_path, spec=spec)
    msg = str(info.value)
    assert "FakePlugin" in msg and "'wrong'" in msg and "(2, 3)" in msg and "(2, 2, 32)" in msg
    assert not (tmp_path / "cell" / CHECKPOINT_NAME).exists()


def test_load_trained_model_errors(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        load_trained_model(tmp_path / "missing.ckpt", registry=registry_with(tiny_spec()))
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"\x80\x02garbage")
    with pytest.raises(InputFileError, match="cannot read checkpoint") as info:
        load_trained_model(bad, registry=registry_with(tiny_spec()))
    assert "\n" not in str(info.value) and "Please file an issue" not in str(info.value)  # one line
    text = tmp_path / "text.ckpt"
    text.write_text("x\n")
    with pytest.raises(InputFileError, match=r"cannot read checkpoint \(not a PyTorch checkpoint\)"):
        load_trained_model(text, registry=registry_with(tiny_spec()))
    ckpt, _, _ = _fit(tmp_path, max_epochs=1)
    with pytest.raises(PluginError, match="'tiny' is not registered"):
        load_trained_model(ckpt, registry=registry_with(tiny_spec(name="other")))
    truncated = tmp_path / "trunc.ckpt"
    truncated.write_bytes(ckpt.read_bytes()[:200])
    with pytest.raises(InputFileError):
        load_trained_model(truncated, registry=registry_with(tiny_spec()))
    shutil.rmtree(tmp_path / "cell")


def test_resolve_training_profiles():
    spec = tiny_spec(defaults={"loss": "pearson_mse", "max_epochs": 50, "patience": 6, "lr": 0.002})
    smoke = resolve_training(spec, "quantitative", "smoke")
    assert smoke.loss == "pearson_mse"
    assert smoke.lr == pytest.approx(0.002 * fit_mod.TRAINING_PROFILES["smoke"]["lr_scale"])
    assert smoke.max_epochs == fit_mod.TRAINING_PROFILES["smoke"]["max_epochs"]
    paper = resolve_training(spec, "quantitative", "paper")
    assert paper.max_epochs == 50 and paper.patience == 6
    assert paper.lr == 0.002 and paper.lr_scale == 1.0  # the paper profile keeps the model's rate
    assert paper.limit_train_batches == 1.0
    # a quantitative default loss does not leak into the binary task
    assert resolve_training(spec, "binary", "paper").loss == "bce"
    # per-task defaults
    per_task = tiny_spec(defaults={"lr": {"binary": 0.1, "quantitative": 0.2}})
    assert resolve_training(per_task, "binary", "paper").lr == 0.1
    assert resolve_training(tiny_spec(), "binary", "paper", max_epochs=4).max_epochs == 4
    with pytest.raises(ConfigError) as info:
        resolve_training(spec, "binary", "huge")
    assert info.value.source == "--profile"
    with pytest.raises(ConfigError):
        resolve_training(spec, "binary", "smoke", max_epochs=0)


def test_trainer_options_pass_through():
    assert trainer_options() == {}
    opts = trainer_options(accelerator="cpu", devices="2", num_nodes=1, strategy="ddp")
    assert opts == {"accelerator": "cpu", "devices": 2, "num_nodes": 1, "strategy": "ddp"}
    assert trainer_options(devices="0,1")["devices"] == [0, 1]
    assert trainer_options(devices="auto")["devices"] == "auto"
    with pytest.raises(ConfigError) as info:
        trainer_options(devices="gpu0")
    assert info.value.source == "--devices"


def test_default_profile_is_a_fixed_step_budget():
    """No wall-clock or CPU-time component: the budget is steps x batch, the same on any machine."""
    spec = tiny_spec(defaults={"batch_size": 128, "max_epochs": 100, "lr": 1e-3})
    budget = fit_mod.TRAINING_PROFILES["default"]
    default = resolve_training(spec, "quantitative", "default")
    assert default.max_steps == budget["max_epochs"] * budget["limit_train_batches"] == 800
    assert default.early_stopping is False  # every model trains exactly max_steps
    assert default.batch_size == budget["batch_size"] == 32  # the profile's, not the model's 128
    assert default.to_dict()["max_steps"] == 800
    assert not any("time" in key for key in budget)
    paper = resolve_training(spec, "quantitative", "paper")
    assert paper.batch_size == 128 and paper.max_steps is None  # full epochs, the model's batch
    assert paper.early_stopping is True


def test_step_budget_is_honoured(tmp_path):
    import dataclasses

    spec = tiny_spec()
    settings = dataclasses.replace(
        resolve_training(spec, "quantitative", "smoke"), max_epochs=3, limit_train_batches=2, patience=5
    )
    assert settings.max_steps == 6
    _fit(tmp_path, spec=spec, settings=settings, max_epochs=None)
    info = json.loads((tmp_path / "cell" / TRAIN_INFO_NAME).read_text())
    assert info["global_steps"] == 6 and info["epochs_trained"] == 3
    assert info["training"]["max_steps"] == 6


def test_without_early_stopping_the_whole_budget_runs(tmp_path):
    """lr = 0 keeps the validation loss flat: patience 1 stops at once, early_stopping=False never."""
    import dataclasses

    spec = tiny_spec()
    base = dataclasses.replace(
        resolve_training(spec, "quantitative", "smoke"),
        max_epochs=4,
        limit_train_batches=2,
        patience=1,
        lr=0.0,
    )
    _fit(tmp_path, "stops", spec=spec, settings=base, max_epochs=None)
    stopped = json.loads((tmp_path / "stops" / TRAIN_INFO_NAME).read_text())
    assert stopped["global_steps"] == 4 and stopped["early_stopped"] is True
    _fit(
        tmp_path, "runs", spec=spec, settings=dataclasses.replace(base, early_stopping=False), max_epochs=None
    )
    ran = json.loads((tmp_path / "runs" / TRAIN_INFO_NAME).read_text())
    assert ran["global_steps"] == 8 and ran["early_stopped"] is False
    assert ran["training"]["early_stopping"] is False
