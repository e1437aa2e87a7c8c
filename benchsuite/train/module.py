"""The Lightning module that trains any plugin model, and checkpoint reloading.

:class:`BenchsuiteModule` wraps the ``torch.nn.Module`` a plugin's ``ModelSpec.build`` returns.
It adds the loss (:mod:`benchsuite.train.losses`), Adam with the paper's learning-rate decay
(factor 0.2 after 3 epochs without improvement of the validation loss), per-epoch logging of
``train/loss``, ``val/loss`` and a cheap validation metric (``val/pearson`` for quantitative
models: per-target Pearson over every validation bin; ``val/auroc`` for binary models), and
turns a non-finite loss into a :class:`~benchsuite.errors.TrainingError` naming the model.

Its hyperparameters (model name, plugin, task spec as a dict, the ``build`` hyperparameters,
loss and optimiser settings, plus free-form ``extra`` provenance) are stored in every
checkpoint, so :func:`load_trained_model` can rebuild the model through the plugin registry
and load the trained weights without any other file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import numpy as np
import torch
from torchmetrics import Metric

from benchsuite.errors import InputFileError, PluginError, TrainingError
from benchsuite.train.losses import DEFAULT_LOSS, get_loss

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.manager import Registry
    from benchsuite.plugins.spec import TaskSpec

__all__ = [
    "BenchsuiteModule",
    "load_trained_model",
    "read_checkpoint_hparams",
    "task_to_dict",
    "task_from_dict",
]

#: prefix of the wrapped model's parameters in the Lightning state dict
_MODEL_PREFIX = "model."


def task_to_dict(task: Any) -> dict[str, Any]:
    """A ``TaskSpec`` (or a mapping with its fields) as a plain, JSON-friendly dict."""
    if dataclasses.is_dataclass(task) and not isinstance(task, type):
        data = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)}
    elif isinstance(task, Mapping):
        data = dict(task)
    else:
        raise TypeError(f"expected a TaskSpec or a mapping, got {type(task).__name__}")
    if "target_names" in data:
        data["target_names"] = [str(n) for n in data["target_names"]]
    return data


def task_from_dict(data: Mapping[str, Any]) -> TaskSpec:
    """Rebuild a ``TaskSpec`` from :func:`task_to_dict` output (unknown keys are ignored)."""
    from benchsuite.plugins.spec import TaskSpec

    names = {f.name for f in dataclasses.fields(TaskSpec)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if "target_names" in kwargs:
        kwargs["target_names"] = tuple(kwargs["target_names"])
    return TaskSpec(**kwargs)


class _StreamingPearson(Metric):
    """Mean over targets of the Pearson r over every (sequence, bin) of an epoch.

    Each validation batch is summarised by the harness's moments kernel
    (:class:`benchsuite.evaluate.stats.Moments`: counts, means and centred second moments in
    float64); the summaries are concatenated across batches and processes (DDP) and merged
    with the kernel's pairwise update in ``compute``, so training-time and harness Pearson are
    one implementation.
    """

    full_state_update = False
    _FIELDS = ("n", "mean_x", "mean_y", "m2x", "m2y", "cxy", "scale_x", "scale_y", "sse", "scale_d")

    def __init__(self, num_targets: int) -> None:
        super().__init__()
        self.num_targets = int(num_targets)
        self.add_state("moments", default=[], dist_reduce_fx="cat")

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        from benchsuite.evaluate.stats import Moments, masked_rows

        p = pred.detach().to("cpu", torch.float64).numpy()
        t = target.detach().to("cpu", torch.float64).numpy()
        m = Moments.from_rows(*masked_rows(p, t))
        stacked = torch.from_numpy(np.stack([getattr(m, f) for f in self._FIELDS]))
        self.moments.append(stacked[None].to(pred.device))  # (1, fields, T)

    def compute(self) -> torch.Tensor:
        from benchsuite.evaluate.stats import Moments, nanmean_or_none

        parts = self.moments if isinstance(self.moments, list) else [self.moments]
        if not parts:
            return torch.tensor(float("nan"), dtype=torch.float64)
        rows = torch.cat([p.reshape(-1, len(self._FIELDS), self.num_targets) for p in parts]).cpu().numpy()
        total = Moments.empty(self.num_targets)
        for row in rows:
            total = total.merge(Moments(*(row[i] for i in range(len(self._FIELDS)))))
        value = nanmean_or_none(total.pearson().tolist())
        return torch.tensor(float("nan") if value is None else value, dtype=torch.float64)


class _BinnedAUROC(Metric):
    """Per-target AUROC from score histograms (sigmoid of the logits in ``bins`` bins), macro mean.

    Targets without both positives and negatives in the epoch are left out of the mean.
    Binning makes memory O(targets x bins) and the result exact up to ties within a bin.
    """

    full_state_update = False

    def __init__(self, num_targets: int, bins: int = 1000) -> None:
        super().__init__()
        self.bins = bins
        self.add_state(
            "pos", default=torch.zeros(num_targets, bins, dtype=torch.float64), dist_reduce_fx="sum"
        )
        self.add_state(
            "neg", default=torch.zeros(num_targets, bins, dtype=torch.float64), dist_reduce_fx="sum"
        )

    def update(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        score = torch.sigmoid(logits.detach().to(torch.float64))
        idx = (score * self.bins).long().clamp(0, self.bins - 1)  # (N, T)
        positive = labels.detach() > 0.5
        for t in range(idx.shape[1]):
            self.pos[t] += torch.bincount(idx[positive[:, t], t], minlength=self.bins).to(torch.float64)
            self.neg[t] += torch.bincount(idx[~positive[:, t], t], minlength=self.bins).to(torch.float64)

    def compute(self) -> torch.Tensor:
        n_pos = self.pos.sum(1)
        n_neg = self.neg.sum(1)
        # P(score_pos > score_neg) + 0.5 P(tie): negatives strictly below each bin + half within it
        neg_below = torch.cumsum(self.neg, dim=1) - self.neg
        wins = (self.pos * (neg_below + 0.5 * self.neg)).sum(1)
        ok = (n_pos > 0) & (n_neg > 0)
        if not bool(ok.any()):
            return torch.tensor(float("nan"), dtype=torch.float64)
        return (wins[ok] / (n_pos[ok] * n_neg[ok])).mean()


class BenchsuiteModule(L.LightningModule):
    """Train a plugin model with the benchmark's loss, optimiser and logging.

    Parameters
    ----------
    model:
        The plugin's ``torch.nn.Module`` (output ``(N, T)`` logits or ``(N, T, B)`` coverage).
    task:
        The ``TaskSpec`` (or its dict form) the model was built for.
    loss:
        ``"poisson"``, ``"mse"``, ``"pearson_mse"`` or ``"bce"``; default: Poisson NLL for
        quantitative, BCE-with-logits for binary tasks.
    lr:
        Adam learning rate (paper: 1e-3, other Adam parameters default).
    lr_factor, lr_patience:
        ``ReduceLROnPlateau`` on the validation loss (paper: factor 0.2, patience 3).
    model_name, plugin:
        Registry name of the model and the plugin that registered it (for reloading and
        error messages).
    build_hparams:
        Keyword arguments that were passed to ``ModelSpec.build`` (stored for reloading).
    extra:
        Free-form, JSON-friendly provenance stored in the checkpoint (profile, seed, dataset
        fingerprint, bundle path, training settings).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        task: Any,
        loss: str | None = None,
        lr: float = 1e-3,
        lr_factor: float = 0.2,
        lr_patience: int = 3,
        *,
        model_name: str = "model",
        plugin: str = "",
        build_hparams: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        task_dict = task_to_dict(task)
        kind = task_dict["kind"]
        loss = loss or DEFAULT_LOSS[kind]
        self.loss_fn = get_loss(loss, kind)
        self.save_hyperparameters(
            {
                "model_name": model_name,
                "plugin": plugin,
                "task": task_dict,
                "build_hparams": dict(build_hparams or {}),
                "loss": loss,
                "lr": float(lr),
                "lr_factor": float(lr_factor),
                "lr_patience": int(lr_patience),
                "extra": dict(extra or {}),
            }
        )
        self.model = model
        self.task_kind = kind
        num_targets = int(task_dict["num_targets"])
        self.val_metric: Metric = (
            _BinnedAUROC(num_targets) if kind == "binary" else _StreamingPearson(num_targets)
        )
        self.val_metric_name = "val/auroc" if kind == "binary" else "val/pearson"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the wrapped model."""
        return self.model(x)

    def _loss(self, batch: Any, stage: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = batch[0], batch[1]
        pred = self.model(x)
        loss = self.loss_fn(pred, y.to(pred.dtype))
        if not torch.isfinite(loss).item():
            raise TrainingError(
                f"{stage} loss is {loss.item()} at epoch {self.current_epoch}, step {self.global_step}",
                source=f"model {self.hparams['model_name']}"
                + (f" (plugin {self.hparams['plugin']})" if self.hparams["plugin"] else ""),
                hint="lower the learning rate in the model's defaults, or check that the output head "
                "gives finite values (quantitative heads must be non-negative, e.g. softplus)",
            )
        return loss, pred, y

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor | None:
        """One optimisation step; logs ``train/loss`` per epoch.

        A trailing batch of a single sequence is skipped (``None``): batch normalisation cannot
        train on it, and one sequence out of an epoch changes nothing.
        """
        if batch[0].shape[0] < 2:
            return None
        loss, _, y = self._loss(batch, "training")
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=y.shape[0])
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        """Validation loss and the streaming validation metric."""
        loss, pred, y = self._loss(batch, "validation")
        self.val_metric.update(pred.float(), y.float())
        self.log(
            "val/loss",
            loss,
            on_step=False,
            on_epoch=True,
            prog_bar=True,
            sync_dist=True,
            batch_size=y.shape[0],
        )
        return loss

    def on_validation_epoch_end(self) -> None:
        """Log ``val/pearson`` or ``val/auroc`` for the epoch."""
        value = self.val_metric.compute()
        self.val_metric.reset()
        self.log(self.val_metric_name, value.float(), prog_bar=True)

    def configure_optimizers(self) -> dict[str, Any]:
        """Adam + ReduceLROnPlateau on ``val/loss``."""
        optimizer = torch.optim.Adam(self.model.parameters(), lr=self.hparams["lr"])
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=self.hparams["lr_factor"], patience=self.hparams["lr_patience"]
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss", "interval": "epoch"},
        }


def _read_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputFileError(
            "checkpoint not found", source=path, hint="pass the checkpoint.ckpt of a trained cell"
        )
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        detail = (
            "not a PyTorch checkpoint"
            if "Unpickler" in str(exc)
            else f"{type(exc).__name__}: {first.split('. ')[0][:160]}"
        )
        raise InputFileError(
            f"cannot read checkpoint ({detail})",
            source=path,
            hint="the file is truncated or not a benchsuite checkpoint; retrain it with `benchsuite run`",
        ) from exc
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "hyper_parameters" not in ckpt:
        raise InputFileError(
            "not a benchsuite checkpoint (no state_dict/hyper_parameters)",
            source=path,
            hint="pass a checkpoint.ckpt written by `benchsuite run`",
        )
    hp = ckpt["hyper_parameters"]
    if not isinstance(hp, Mapping) or "model_name" not in hp or "task" not in hp:
        raise InputFileError(
            "checkpoint lacks the benchsuite hyperparameters (model_name, task)",
            source=path,
            hint="pass a checkpoint.ckpt written by `benchsuite run`",
        )
    return ckpt


def read_checkpoint_hparams(checkpoint: str | Path) -> dict[str, Any]:
    """The benchsuite hyperparameters stored in a checkpoint (no model is built).

    Returns
    -------
    dict
        ``model_name``, ``plugin``, ``task`` (dict), ``build_hparams``, ``loss``, ``lr``,
        ``lr_factor``, ``lr_patience`` and ``extra`` (profile, seed, dataset fingerprint, bundle, ...).

    Raises
    ------
    InputFileError
        The checkpoint is missing, truncated or not a benchsuite checkpoint.
    """
    return dict(_read_checkpoint(Path(checkpoint))["hyper_parameters"])


def load_trained_model(
    checkpoint: str | Path, *, registry: Registry | None = None
) -> tuple[torch.nn.Module, TaskSpec, dict[str, Any]]:
    """Rebuild a trained model from a benchsuite checkpoint.

    The model is rebuilt through the plugin registry by its registered name with the stored
    ``build`` hyperparameters, then the trained weights are loaded (strictly).

    Parameters
    ----------
    checkpoint:
        A ``checkpoint.ckpt`` written by :func:`benchsuite.train.fit.fit_cell`.
    registry:
        The plugin registry to build from (default: :func:`benchsuite.plugins.load_plugins`).

    Returns
    -------
    (model, task, info)
        The model in eval mode on CPU, its ``TaskSpec``, and a dict with ``model``, ``plugin``,
        ``distribution``, ``version``, ``loss``, ``lr``, ``build_hparams``, ``extra``,
        ``checkpoint`` and ``registered`` (the ``RegisteredModel``).

    Raises
    ------
    InputFileError
        The checkpoint is missing, truncated or not a benchsuite checkpoint.
    PluginError
        The model's plugin is not installed / not allowed, or the weights do not fit the
        rebuilt model.
    """
    path = Path(checkpoint)
    ckpt = _read_checkpoint(path)
    hp = dict(ckpt["hyper_parameters"])
    name = str(hp["model_name"])
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    registered = registry.models.get(name)
    if registered is None:
        raise PluginError(
            f"the checkpoint's model {name!r} is not registered by any loaded plugin",
            source=path,
            hint=f"install the plugin that provides {name!r} (plugin {hp.get('plugin') or 'unknown'}) "
            "and check BENCHSUITE_PLUGINS",
        )
    task = task_from_dict(hp["task"])
    build_hparams = dict(hp.get("build_hparams") or {})
    from benchsuite.train.fit import model_size_profile  # converge builds the default sizes

    profile = str((hp.get("extra") or {}).get("profile", "default"))
    model = registered.build(task, profile=model_size_profile(profile), **build_hparams)
    state = {k[len(_MODEL_PREFIX) :]: v for k, v in ckpt["state_dict"].items() if k.startswith(_MODEL_PREFIX)}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise PluginError(
            f"the checkpoint's weights do not fit model {name!r} as built now: {exc}",
            source=path,
            hint="the plugin's architecture changed since training; retrain the cell or install the "
            f"plugin version {hp.get('extra', {}).get('distribution_version', 'used for training')}",
        ) from exc
    model.eval()
    info = {
        "model": name,
        "plugin": registered.plugin,
        "distribution": registered.distribution,
        "version": registered.version,
        "loss": hp.get("loss"),
        "lr": hp.get("lr"),
        "build_hparams": build_hparams,
        "extra": dict(hp.get("extra") or {}),
        "checkpoint": str(path),
        "registered": registered,
    }
    if not all(math.isfinite(float(p.detach().abs().sum())) for p in model.parameters()):
        raise InputFileError(
            "checkpoint weights contain NaN/inf", source=path, hint="retrain the cell with `benchsuite run`"
        )
    return model, task, info
