"""The plugin module named by the ``benchsuite`` entry point of this distribution.

It registers the model with a :class:`~benchsuite.plugins.ModelSpec` from the
``benchsuite_register_models`` hook. Torch (via :mod:`benchsuite_example.model`) is imported
inside ``build`` so that discovering the plugin stays cheap.
"""

from __future__ import annotations

from benchsuite.plugins import ModelSpec, TaskSpec, hookimpl


def build(task: TaskSpec, **hparams):
    """Build the model for ``task``; ``hparams`` come from the selected profile."""
    from benchsuite_example.model import TinyConv

    return TinyConv(task, **hparams)


@hookimpl
def benchsuite_register_models(register) -> None:
    """Tell benchsuite about the model(s) of this plugin."""
    register(
        ModelSpec(
            name="example-tinyconv",
            build=build,
            tasks={"binary", "quantitative"},
            bin_size=32,
            description="Example plugin: a two-layer CNN (both tasks, 32-bp bins)",
            defaults={"loss": {"binary": "bce", "quantitative": "poisson"}, "lr": 1e-3, "max_epochs": 20},
            profiles={"smoke": {"filters": 8}, "default": {"filters": 16}, "paper": {"filters": 64}},
            first_layer_activation="conv1.act",
        )
    )
