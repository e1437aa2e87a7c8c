"""The public plugin API of benchsuite (contract: docs/ARCHITECTURE.md, "Plugin API";
walk-through: CONTRIBUTING.md, "Write a plugin in 5 minutes").

A plugin distribution declares an entry point in group ``benchsuite`` naming a module with a
hook implementation::

    # pyproject.toml
    [project.entry-points.benchsuite]
    my-plugin = "my_package.plugin"

    # my_package/plugin.py
    from benchsuite.plugins import ModelSpec, hookimpl

    @hookimpl
    def benchsuite_register_models(register):
        register(ModelSpec(name="my-model", build=build, tasks={"quantitative"}, bin_size=32))

``build(task: TaskSpec, **hparams)`` returns a ``torch.nn.Module`` mapping one-hot
``(N, 4, L)`` input to ``(N, T)`` logits (binary) or ``(N, T, L // bin_size)`` non-negative
coverage (quantitative). :func:`load_plugins` discovers the plugins (fault-isolated,
allow-listable with ``BENCHSUITE_PLUGINS``) and :func:`check_model_contract` verifies the
tensor contract on a dry batch.

An already-trained model (plugin API 1.1, :data:`API_VERSION`) gives ``load(task, **kw)`` and its
native ``input_length``, ``bin_size`` and ``output_tracks`` instead of (or besides) ``build``;
the suite scores it without training (``docs/pretrained.md``).

Importing this package does not import torch.
"""

from benchsuite.plugins.hookspecs import hookimpl
from benchsuite.plugins.manager import (
    ALLOW_ENV,
    ENTRY_POINT_GROUP,
    PluginInfo,
    PluginLoadError,
    RegisteredModel,
    Registry,
    check_model_contract,
    load_plugins,
)
from benchsuite.plugins.spec import API_VERSION, TASK_KINDS, ModelSpec, TaskSpec

__all__ = [
    "API_VERSION",
    "ALLOW_ENV",
    "ENTRY_POINT_GROUP",
    "TASK_KINDS",
    "ModelSpec",
    "TaskSpec",
    "hookimpl",
    "load_plugins",
    "Registry",
    "RegisteredModel",
    "PluginInfo",
    "PluginLoadError",
    "check_model_contract",
]
