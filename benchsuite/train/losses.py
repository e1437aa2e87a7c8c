"""Training losses of benchsuite.

All losses take the model output ``pred`` and the target ``target`` of the same shape and
return a scalar (mean over every element):

- quantitative outputs are ``(N, T, B)`` non-negative coverage *rates* (the plugin tensor
  contract: softplus/exp heads), so the Poisson NLL is evaluated on rates, not log-rates;
- binary outputs are ``(N, T)`` *logits* (pre-sigmoid).

========================  ============================================================
name                      loss
========================  ============================================================
``"poisson"``             Poisson negative log-likelihood on rates (default quantitative):
                          ``mean(pred - target * log(pred + eps))`` (Stirling term omitted,
                          identical to ``torch.nn.functional.poisson_nll_loss(log_input=False)``)
``"mse"``                 mean squared error
``"pearson_mse"``         ``(1 - mean_r) + mse_weight * mse`` where ``mean_r`` is the Pearson
                          correlation along the length (bin) axis, computed per sequence and
                          target and averaged; ``mse_weight`` defaults to 1
``"bce"``                 binary cross-entropy on logits (default binary)
========================  ============================================================
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from benchsuite.errors import ConfigError

__all__ = [
    "LOSSES",
    "DEFAULT_LOSS",
    "LOSSES_FOR_TASK",
    "poisson_nll",
    "mse",
    "pearson_correlation",
    "pearson_mse",
    "bce_with_logits",
    "get_loss",
]

#: default loss per task kind
DEFAULT_LOSS = {"quantitative": "poisson", "binary": "bce"}


def poisson_nll(pred: torch.Tensor, target: torch.Tensor, *, eps: float = 1e-8) -> torch.Tensor:
    """Poisson negative log-likelihood of counts ``target`` under non-negative rates ``pred``.

    Parameters
    ----------
    pred:
        Predicted rates (>= 0), any shape.
    target:
        Observed coverage, same shape.
    eps:
        Added to the rate inside the logarithm so a zero rate stays finite.

    Returns
    -------
    torch.Tensor
        Scalar ``mean(pred - target * log(pred + eps))``.
    """
    return F.poisson_nll_loss(pred, target, log_input=False, full=False, eps=eps, reduction="mean")


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over every element."""
    return F.mse_loss(pred, target, reduction="mean")


def pearson_correlation(pred: torch.Tensor, target: torch.Tensor, *, eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation along the last axis, for every leading index.

    A 2-D input ``(N, T)`` (one value per sequence and target) is correlated along the batch
    axis instead, per target. A constant row gives 0 (not NaN) thanks to ``eps``.

    Parameters
    ----------
    pred, target:
        Tensors of the same shape, ``(N, T, B)`` or ``(N, T)``.
    eps:
        Added to the product of standard deviations.

    Returns
    -------
    torch.Tensor
        Correlations of shape ``(N, T)`` (3-D input) or ``(T,)`` (2-D input).
    """
    if pred.dim() == 2:
        pred, target = pred.transpose(0, 1), target.transpose(0, 1)
    pc = pred - pred.mean(dim=-1, keepdim=True)
    tc = target - target.mean(dim=-1, keepdim=True)
    cov = (pc * tc).sum(dim=-1)
    denom = torch.sqrt((pc * pc).sum(dim=-1) * (tc * tc).sum(dim=-1)) + eps
    return cov / denom


def pearson_mse(pred: torch.Tensor, target: torch.Tensor, *, mse_weight: float = 1.0) -> torch.Tensor:
    """``(1 - mean Pearson along the length axis) + mse_weight * MSE``.

    The correlation term rewards the right *shape* of each profile; the MSE term anchors the
    scale, which the correlation alone leaves free. With the default weight 1 both terms are
    of comparable size for coverage of order one.
    """
    r = pearson_correlation(pred, target)
    return (1.0 - r.mean()) + mse_weight * mse(pred, target)


def bce_with_logits(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of labels ``target`` (0/1) given logits ``pred``."""
    return F.binary_cross_entropy_with_logits(pred, target, reduction="mean")


LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "poisson": poisson_nll,
    "mse": mse,
    "pearson_mse": pearson_mse,
    "bce": bce_with_logits,
}

#: losses that make sense for each task kind
LOSSES_FOR_TASK = {
    "quantitative": ("poisson", "mse", "pearson_mse"),
    "binary": ("bce",),
}


def get_loss(name: str, task_kind: str | None = None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Look up a loss by name.

    Parameters
    ----------
    name:
        One of ``"poisson"``, ``"mse"``, ``"pearson_mse"``, ``"bce"``.
    task_kind:
        When given (``"binary"`` or ``"quantitative"``), the loss must suit that task.

    Raises
    ------
    ConfigError
        Unknown loss, or a loss that does not fit the task (e.g. Poisson on logits).
    """
    if name not in LOSSES:
        raise ConfigError(
            f"unknown loss {name!r}", source="loss", hint=f"choose one of {', '.join(sorted(LOSSES))}"
        )
    if task_kind is not None and name not in LOSSES_FOR_TASK.get(task_kind, ()):
        raise ConfigError(
            f"loss {name!r} does not fit {task_kind} outputs",
            source="loss",
            hint=f"use one of {', '.join(LOSSES_FOR_TASK.get(task_kind, ()))} for the {task_kind} task",
        )
    return LOSSES[name]
