"""Registers the baseline zoo with benchsuite (entry point ``baselines`` of group ``benchsuite``).

The baselines go through the very same plugin mechanism as any third-party model. Importing
this module is cheap: torch and the model modules are imported inside the build functions.

Profiles scale the models:

- ``smoke``: tiny models that train in seconds (tests, CI).
- ``default``: CPU-sized (about 15k-300k parameters) so that one (model, task) cell trains its
  800 steps of 32 sequences of 1,024 bp in 30-75 s on two CPU cores.
- ``paper``: the published-style sizes of the GOPHER study (2,048-bp inputs, 15 targets;
  meant for a GPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchsuite.plugins import ModelSpec, TaskSpec, hookimpl

__all__ = ["benchsuite_register_models", "SPECS"]

# --------------------------------------------------------------------------- builders
# Imports happen on first build so that `benchsuite --help` and plugin discovery stay fast.


def build_basset(task: TaskSpec, **hparams: Any):
    """Build :class:`benchsuite_baselines.basset.Basset`."""
    from benchsuite_baselines.basset import Basset

    return Basset(task, **hparams)


def build_cnn(task: TaskSpec, **hparams: Any):
    """Build :class:`benchsuite_baselines.cnn.CNNBaseline`."""
    from benchsuite_baselines.cnn import CNNBaseline

    return CNNBaseline(task, **hparams)


def build_residualbind_base(task: TaskSpec, **hparams: Any):
    """Build :class:`benchsuite_baselines.residualbind.ResidualBindBase`."""
    from benchsuite_baselines.residualbind import ResidualBindBase

    return ResidualBindBase(task, **hparams)


def build_residualbind_32(task: TaskSpec, **hparams: Any):
    """Build :class:`benchsuite_baselines.residualbind.ResidualBind32`."""
    from benchsuite_baselines.residualbind import ResidualBind32

    return ResidualBind32(task, **hparams)


def build_basenji(task: TaskSpec, **hparams: Any):
    """Build :class:`benchsuite_baselines.basenji.Basenji`."""
    from benchsuite_baselines.basenji import Basenji

    return Basenji(task, **hparams)


def build_bpnet(task: TaskSpec, **hparams: Any):
    """Build :class:`benchsuite_baselines.bpnet.BPNet`."""
    from benchsuite_baselines.bpnet import BPNet

    return BPNet(task, **hparams)


# --------------------------------------------------------------------------- profiles

BASSET = {
    "smoke": {"filters": (16, 16, 16), "kernels": (19, 11, 7), "pools": (8, 4, 4), "dense": 32},
    "default": {"filters": (64, 64, 64), "kernels": (19, 11, 7), "pools": (8, 4, 4), "dense": 128},
    "paper": {"filters": (300, 200, 200), "kernels": (19, 11, 7), "pools": (3, 4, 4), "dense": 1000},
}

CNN = {
    "smoke": {
        "filters": (16, 16, 24),
        "pools": (8, 4, 4),
        "bottleneck": 16,
        "units_per_bin": 4,
        "post_filters": 16,
    },
    "default": {
        "filters": (64, 64, 96),
        "pools": (8, 4, 4),
        "bottleneck": 96,
        "units_per_bin": 8,
        "post_filters": 64,
    },
    "paper": {
        "filters": (192, 256, 512),
        "pools": (8, 4, 4),
        "bottleneck": 256,
        "units_per_bin": 8,
        "post_filters": 256,
        "task_heads": True,
        "head_filters": 64,
    },
}

RESIDUALBIND_BASE = {
    "smoke": {
        "filters": (16, 16, 24),
        "residual_layers": (1, 1, 1),
        "bottleneck": 16,
        "units_per_bin": 4,
        "post_filters": 8,
        "post_residual_layers": 1,
    },
    "default": {
        "filters": (24, 48, 64),
        "residual_layers": (2, 3, 2),
        "bottleneck": 40,
        "units_per_bin": 4,
        "post_filters": 16,
        "post_residual_layers": 2,
    },
    "paper": {
        "filters": (192, 256, 512),
        "residual_layers": (5, 5, 4),
        "bottleneck": 512,
        "units_per_bin": 8,
        "post_filters": 256,
        "post_residual_layers": 5,
        "task_heads": True,
        "head_filters": 64,
    },
}

RESIDUALBIND_32 = {
    "smoke": {"filters": (16, 24, 32), "residual_layers": (1, 1, 1), "dense": 16},
    "default": {"filters": (32, 48, 96), "residual_layers": (2, 2, 2), "dense": 64},
    "paper": {
        "filters": (256, 512, 1024),
        "residual_layers": (5, 5, 3),
        "dropout": (0.2, 0.2, 0.5),
        "task_heads": True,
        "post_filters": 256,
        "head_filters": 64,
    },
}

BASENJI = {
    "smoke": {
        "filters": 16,
        "stem_pool": 4,
        "tower_filters": (16,),
        "tower_pools": (4,),
        "num_residual": 2,
        "final_filters": 32,
    },
    "default": {
        "filters": 64,
        "stem_pool": 4,
        "tower_filters": (64,),
        "tower_pools": (4,),
        "num_residual": 6,
        "final_filters": 128,
    },
    "paper": {
        "filters": 256,
        "stem_pool": 2,
        "tower_filters": (),
        "tower_pools": (),
        "num_residual": 11,
        "residual_dropout": 0.3,
        "final_filters": 2048,
    },
}

BPNET = {
    "smoke": {"filters": 8, "num_dilated": 3, "head_kernel": 7, "batch_norm": True},
    "default": {"filters": 24, "num_dilated": 7, "head_kernel": 7, "batch_norm": True},
    "paper": {"filters": 256, "num_dilated": 9, "head_kernel": 7},
}


def _with(profiles: Mapping[str, Mapping[str, Any]], **extra: Any) -> dict[str, dict[str, Any]]:
    return {name: {**hparams, **extra} for name, hparams in profiles.items()}


# Training defaults from the paper's Methods ("Training"): Adam, lr 1e-3 decayed by 0.2 after
# 3 epochs without improvement, up to 100 epochs, early stopping (patience 10 for CNN /
# ResidualBind, 6 for Basenji / BPNet), random shift + reverse complement augmentations
# except BPNet (reverse complement only). The runner caps max_epochs per profile.
_COMMON = {
    "loss": {"binary": "bce", "quantitative": "poisson"},
    "lr": 1e-3,
    "lr_factor": 0.2,
    "lr_patience": 3,
    "batch_size": 64,
    "max_epochs": 100,
    "patience": 10,
    "random_shift": True,
    "reverse_complement": True,
}


def _defaults(**changes: Any) -> dict[str, Any]:
    return {**_COMMON, **changes}


SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="basset",
        build=build_basset,
        tasks={"binary"},
        description="Basset: 3 conv blocks + 2 fully connected layers, one logit per target",
        defaults=_defaults(),
        profiles=_with(BASSET, first_activation="relu"),
        first_layer_activation="conv1.act",
    ),
    ModelSpec(
        name="cnn-baseline",
        build=build_cnn,
        tasks={"binary", "quantitative"},
        bin_size=32,
        description="CNN-baseline: 3 conv blocks, dense bottleneck, conv head (ReLU first layer)",
        defaults=_defaults(),
        profiles=_with(CNN, first_activation="relu"),
        first_layer_activation="conv1.act",
    ),
    ModelSpec(
        name="cnn-baseline-exp",
        build=build_cnn,
        tasks={"binary", "quantitative"},
        bin_size=32,
        description="CNN-baseline with an exponential first-layer activation",
        defaults=_defaults(),
        profiles=_with(CNN, first_activation="exponential"),
        first_layer_activation="conv1.act",
    ),
    ModelSpec(
        name="residualbind-base",
        build=build_residualbind_base,
        tasks={"binary", "quantitative"},
        bin_size=1,
        description="ResidualBind-base: conv + dilated residual blocks, bottleneck, base-resolution head",
        defaults=_defaults(),
        profiles=_with(RESIDUALBIND_BASE, first_activation="relu"),
        first_layer_activation="trunk.conv1.act",
    ),
    ModelSpec(
        name="residualbind-base-exp",
        build=build_residualbind_base,
        tasks={"binary", "quantitative"},
        bin_size=1,
        description="ResidualBind-base with an exponential first-layer activation",
        defaults=_defaults(),
        profiles=_with(RESIDUALBIND_BASE, first_activation="exponential"),
        first_layer_activation="trunk.conv1.act",
    ),
    ModelSpec(
        name="residualbind-32",
        build=build_residualbind_32,
        tasks={"quantitative"},
        bin_size=32,
        description="ResidualBind-32: conv + dilated residual blocks pooled to 32-bp bins, no bottleneck",
        defaults=_defaults(),
        profiles=_with(RESIDUALBIND_32, first_activation="relu"),
        first_layer_activation="trunk.conv1.act",
    ),
    ModelSpec(
        name="residualbind-32-exp",
        build=build_residualbind_32,
        tasks={"quantitative"},
        bin_size=32,
        description="ResidualBind-32 with an exponential first-layer activation",
        defaults=_defaults(),
        profiles=_with(RESIDUALBIND_32, first_activation="exponential"),
        first_layer_activation="trunk.conv1.act",
    ),
    ModelSpec(
        name="basenji-128",
        build=build_basenji,
        tasks={"binary", "quantitative"},
        bin_size=128,
        description="Basenji-like: GELU conv stem, dilated residual blocks (x1.5), 128-bp bins; "
        "binary via global average pool",
        defaults=_defaults(patience=6),
        profiles=BASENJI,
        first_layer_activation="stem.act",
    ),
    ModelSpec(
        name="basenji-32",
        build=build_basenji,
        tasks={"quantitative"},
        bin_size=32,
        description="Basenji-like: GELU conv stem, dilated residual blocks (x1.5), 32-bp bins",
        defaults=_defaults(patience=6),
        profiles=BASENJI,
        first_layer_activation="stem.act",
    ),
    ModelSpec(
        name="bpnet",
        build=build_bpnet,
        tasks={"quantitative"},
        bin_size=1,
        description="BPNet-like: dilated residual convs (2^k), per-task transposed-conv heads, "
        "base resolution",
        defaults=_defaults(patience=6, random_shift=False),
        profiles=BPNET,
        first_layer_activation="conv1.act",
    ),
)


@hookimpl
def benchsuite_register_models(register) -> None:
    """Register every baseline of the zoo."""
    for spec in SPECS:
        register(spec)
