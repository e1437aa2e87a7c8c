"""BenchsuiteModule: losses, optimiser, logging and NaN handling."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from benchsuite.errors import ConfigError, TrainingError
from benchsuite.train.module import (
    BenchsuiteModule,
    _BinnedAUROC,
    _StreamingPearson,
    task_from_dict,
    task_to_dict,
)

from .conftest import FakeDataModule, build_tiny

torch.set_num_threads(1)


def _trainer(**kwargs) -> L.Trainer:
    base = dict(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    base.update(kwargs)
    return L.Trainer(**base)


@pytest.mark.parametrize(("kind", "bin_size"), [("quantitative", 1), ("quantitative", 4), ("binary", 1)])
def test_tiny_model_learns(kind, bin_size):
    L.seed_everything(0, verbose=False)
    dm = FakeDataModule(kind, bin_size=bin_size)
    dm.setup("fit")
    task = dm.task_spec()
    module = BenchsuiteModule(build_tiny(task), task, lr=0.02, model_name="tiny")
    x, y = dm.val.tensors
    with torch.no_grad():
        before = module.loss_fn(module(x), y).item()
    trainer = _trainer(max_epochs=4)
    trainer.fit(module, datamodule=dm)
    with torch.no_grad():
        after = module.loss_fn(module(x), y).item()
    assert after < 0.9 * before
    logged = trainer.logged_metrics
    assert {"train/loss", "val/loss"} <= set(logged)
    metric = "val/auroc" if kind == "binary" else "val/pearson"
    assert metric in logged
    assert float(logged[metric]) > 0.6
    assert module.hparams["loss"] == ("bce" if kind == "binary" else "poisson")


def test_optimizer_is_adam_with_plateau_decay():
    dm = FakeDataModule()
    task = dm.task_spec()
    module = BenchsuiteModule(build_tiny(task), task, lr=0.003, lr_factor=0.2, lr_patience=3)
    conf = module.configure_optimizers()
    assert isinstance(conf["optimizer"], torch.optim.Adam)
    assert conf["optimizer"].param_groups[0]["lr"] == 0.003
    sched = conf["lr_scheduler"]["scheduler"]
    assert isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert sched.factor == 0.2 and sched.patience == 3
    assert conf["lr_scheduler"]["monitor"] == "val/loss"


def test_nan_loss_raises_training_error_naming_model():
    dm = FakeDataModule()
    dm.setup("fit")
    task = dm.task_spec()
    module = BenchsuiteModule(build_tiny(task, nan=True), task, model_name="nanmodel", plugin="fakeplug")
    with pytest.raises(TrainingError) as info:
        _trainer(max_epochs=1).fit(module, datamodule=dm)
    assert "nanmodel" in str(info.value)
    assert "fakeplug" in str(info.value)
    assert "nan" in str(info.value).lower()


def test_loss_must_fit_task():
    task = FakeDataModule("binary").task_spec()
    with pytest.raises(ConfigError, match="does not fit binary"):
        BenchsuiteModule(build_tiny(task), task, loss="poisson")


def test_task_dict_round_trip():
    task = FakeDataModule("quantitative", bin_size=4).task_spec()
    data = task_to_dict(task)
    assert data == {
        "kind": "quantitative",
        "input_length": 32,
        "num_targets": 2,
        "bin_size": 4,
        "target_names": ["t0", "t1"],
    }
    assert task_from_dict(data) == task


def test_streaming_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    pred = rng.random((10, 3, 8))
    true = pred + rng.normal(0, 0.5, pred.shape)
    metric = _StreamingPearson(3)
    for chunk in range(0, 10, 3):
        metric.update(torch.from_numpy(pred[chunk : chunk + 3]), torch.from_numpy(true[chunk : chunk + 3]))
    expected = np.mean([np.corrcoef(pred[:, t].ravel(), true[:, t].ravel())[0, 1] for t in range(3)])
    assert float(metric.compute()) == pytest.approx(expected, abs=1e-9)


def test_binned_auroc_matches_sklearn():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=(200, 2))
    logits = labels * 1.0 + rng.normal(0, 1.0, size=(200, 2))
    metric = _BinnedAUROC(2, bins=100000)
    metric.update(torch.from_numpy(logits), torch.from_numpy(labels).float())
    expected = np.mean([roc_auc_score(labels[:, t], logits[:, t]) for t in range(2)])
    assert float(metric.compute()) == pytest.approx(expected, abs=1e-3)
    # a target with only negatives is left out of the mean
    only_neg = _BinnedAUROC(2, bins=100000)
    lab = labels.copy()
    lab[:, 1] = 0
    only_neg.update(torch.from_numpy(logits), torch.from_numpy(lab).float())
    assert float(only_neg.compute()) == pytest.approx(roc_auc_score(lab[:, 0], logits[:, 0]), abs=1e-3)


def test_single_sequence_batch_is_skipped_not_fatal():
    class WithBatchNorm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(4, 2, 3, padding=1)
            self.bn = torch.nn.BatchNorm1d(2)
            self.seen: list[int] = []

        def forward(self, x):
            if self.training:
                self.seen.append(x.shape[0])
            # BatchNorm over (N, C) after pooling fails in training mode when N == 1
            return torch.nn.functional.softplus(self.bn(self.conv(x).mean(-1)))[..., None].expand(
                -1, -1, x.shape[-1]
            )

    dm = FakeDataModule("quantitative", n=33, batch_size=16)  # 16 + 16 + 1
    dm.setup("fit")
    task = dm.task_spec()
    model = WithBatchNorm()
    module = BenchsuiteModule(model, task)
    trainer = _trainer(max_epochs=1)
    trainer.fit(module, datamodule=dm)
    assert trainer.state.finished
    assert model.seen == [16, 16]  # the batch of one sequence never reached the model
