"""Training: the Lightning module wrapping any plugin model, the losses, and :func:`fit_cell`.

Heavy modules (torch, Lightning) are imported on first use of the names that need them.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "BenchsuiteModule",
    "load_trained_model",
    "read_checkpoint_hparams",
    "fit_cell",
    "resolve_training",
    "TrainingSettings",
    "TRAINING_PROFILES",
    "LOSSES",
    "get_loss",
]

_LAZY = {
    "BenchsuiteModule": "benchsuite.train.module",
    "load_trained_model": "benchsuite.train.module",
    "read_checkpoint_hparams": "benchsuite.train.module",
    "fit_cell": "benchsuite.train.fit",
    "resolve_training": "benchsuite.train.fit",
    "TrainingSettings": "benchsuite.train.fit",
    "TRAINING_PROFILES": "benchsuite.train.fit",
    "LOSSES": "benchsuite.train.losses",
    "get_loss": "benchsuite.train.losses",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'benchsuite.train' has no attribute {name!r}")
