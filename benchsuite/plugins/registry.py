"""The registry of loaded models: :class:`RegisteredModel` (a spec and the plugin that
registered it), :class:`Registry` (every model, and what failed to load) and
:class:`PluginLoadError`. :func:`benchsuite.plugins.manager.load_plugins` fills a registry.

Nothing here imports torch at module level; :meth:`RegisteredModel.build` imports it when called.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from benchsuite.errors import BenchsuiteError, PluginError
from benchsuite.plugins.contract import check_model_contract
from benchsuite.plugins.spec import TASK_KINDS, ModelSpec, TaskSpec

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["ALLOW_ENV", "DIRECT", "PluginInfo", "PluginLoadError", "RegisteredModel", "Registry"]

logger = logging.getLogger("benchsuite.plugins.manager")

#: environment variable holding the comma-separated allow-list
ALLOW_ENV = "BENCHSUITE_PLUGINS"

#: distribution label of plugin objects passed directly through ``extra=``
DIRECT = "<direct>"


def _plugin_label(plugin: str, distribution: str = "", version: str = "") -> str:
    label = f"plugin {plugin!r}"
    if distribution:
        label += f" (distribution {distribution}{' ' + version if version else ''})"
    return label


class PluginLoadError(PluginError):
    """One plugin (or model) that could not be loaded; collected in :attr:`Registry.errors`.

    Attributes
    ----------
    plugin, distribution, version:
        Who is at fault (entry-point name, distribution name and version; for duplicate model
        names, the plugins and distributions involved, comma-separated).
    stage:
        ``"import"`` (entry point failed to import), ``"register"`` (not a valid plugin
        object), ``"hook"`` (the hook raised), ``"spec"`` (an invalid registration),
        ``"duplicate"`` (a model name registered twice) or ``"allow-list"`` (an allow-list
        entry that matches no installed plugin).
    reason:
        The message without the source prefix.
    """

    def __init__(
        self,
        message: str,
        *,
        plugin: str,
        stage: str,
        distribution: str = "",
        version: str = "",
        hint: str | None = None,
        source: str | None = None,
    ):
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        self.stage = stage
        super().__init__(message, source=source or _plugin_label(plugin, distribution, version), hint=hint)

    @property
    def reason(self) -> str:
        return self.message


@dataclass(frozen=True)
class PluginInfo:
    """A plugin that loaded (possibly with some of its specs rejected)."""

    name: str
    distribution: str
    version: str
    models: tuple[str, ...]


@dataclass(frozen=True)
class RegisteredModel:
    """A model spec together with the plugin that registered it.

    Attributes
    ----------
    spec:
        The validated :class:`ModelSpec`.
    plugin:
        Entry-point name of the plugin (or the object's name for ``extra`` plugins).
    distribution, version:
        The installed distribution providing the plugin (``"<direct>"`` / ``""`` when the
        plugin object was passed directly and is not part of an installed distribution).
    tuned:
        The tuned profile applied to ``spec`` (``benchsuite run --tuned``; see
        :mod:`benchsuite.run.tuned`), or None.
    """

    spec: ModelSpec
    plugin: str
    distribution: str
    version: str
    tuned: Mapping[str, Any] | None = None

    @property
    def name(self) -> str:
        """The model name."""
        return self.spec.name

    @property
    def label(self) -> str:
        """``plugin 'x' (distribution d 1.0)`` for messages."""
        return _plugin_label(self.plugin, self.distribution, self.version)

    @property
    def tag(self) -> str:
        """``plugin d 1.0`` (distribution and version; the plugin's name when not installed),
        appended to the failures of the model's cells."""
        if self.distribution and self.distribution != DIRECT:
            return f"plugin {self.distribution}{' ' + self.version if self.version else ''}"
        return f"plugin {self.plugin}"

    def build(
        self, task: TaskSpec, *, profile: str = "default", check: bool = False, **overrides: Any
    ) -> torch.nn.Module:
        """Build the model for ``task`` with the hyperparameters of ``profile``.

        Parameters
        ----------
        task:
            What to predict; ``task.kind`` must be in ``spec.tasks`` and, for quantitative
            tasks, ``task.bin_size`` must equal ``spec.bin_size``.
        profile:
            Key of ``spec.profiles`` (a missing profile builds with ``build``'s defaults).
        check:
            Also run :func:`check_model_contract` on a dry batch.
        **overrides:
            Hyperparameters overriding the profile's.

        Raises
        ------
        PluginError
            Unsupported task, wrong bin size, or ``build`` raised / returned no module.
        ModelContractError
            With ``check=True``, when the output breaks the tensor contract.
        """
        import torch

        spec = self.spec
        if spec.build is None:
            raise PluginError(
                f"model {spec.name!r} is evaluate-only (it gives load, not build) and cannot be trained",
                source=self.label,
                hint="score it without training (benchsuite run / benchsuite evaluate --model NAME)",
            )
        if task.kind not in spec.tasks:
            raise PluginError(
                f"model {spec.name!r} does not support the {task.kind!r} task",
                source=self.label,
                hint=f"it supports: {', '.join(sorted(spec.tasks))}",
            )
        if task.kind == "quantitative" and task.bin_size != spec.bin_size:
            raise PluginError(
                f"model {spec.name!r} predicts at bin size {spec.bin_size}, "
                f"the task asks for {task.bin_size}",
                source=self.label,
                hint=f"build it with TaskSpec(bin_size={spec.bin_size}) (ModelSpec.task_spec does this)",
            )
        if spec.profiles and profile not in spec.profiles:
            logger.info(
                "model %s defines no %r profile; building with its default hyperparameters",
                spec.name,
                profile,
            )
        hparams = {**spec.hparams(profile), **overrides}
        try:
            model = spec.build(task, **hparams)
        except BenchsuiteError:
            raise
        except Exception as exc:
            raise PluginError(
                f"building model {spec.name!r} for the {task.kind} task (input_length={task.input_length}, "
                f"num_targets={task.num_targets}, bin_size={task.bin_size}) failed: "
                f"{type(exc).__name__}: {exc}",
                source=self.label,
                hint="fix the plugin's build function or the hyperparameters passed to it",
            ) from exc
        if not isinstance(model, torch.nn.Module):
            raise PluginError(
                f"build of model {spec.name!r} returned {type(model).__name__}, not a torch.nn.Module",
                source=self.label,
                hint="return the torch.nn.Module from build(task, **hparams)",
            )
        if check:
            check_model_contract(model, spec, task, plugin=self.plugin)
        return model

    def load(self, kind: str, *, check: bool = True, **kwargs: Any) -> tuple[torch.nn.Module, TaskSpec]:
        """Load an evaluate-only model (``ModelSpec.load``) for the task ``kind``, in eval mode.

        Returns the module and its native :class:`TaskSpec` (the spec's ``input_length``,
        ``bin_size`` and ``output_tracks``). With ``check`` (default) the tensor contract is
        verified on a dry batch of the native geometry.

        Raises
        ------
        PluginError
            The spec has no ``load``, the task is unsupported, or ``load`` raised / returned
            no module.
        ModelContractError
            The loaded module breaks the tensor contract of its native geometry.
        """
        import torch

        spec = self.spec
        task = spec.native_task(kind)
        assert spec.load is not None  # native_task checked it
        try:
            model = spec.load(task, **kwargs)
        except BenchsuiteError:
            raise
        except Exception as exc:
            raise PluginError(
                f"loading the trained model {spec.name!r} ({kind} task) failed: {type(exc).__name__}: {exc}",
                source=self.label,
                hint="check the weights path or cache folder the plugin reads",
            ) from exc
        if not isinstance(model, torch.nn.Module):
            raise PluginError(
                f"load of model {spec.name!r} returned {type(model).__name__}, not a torch.nn.Module",
                source=self.label,
                hint="return the trained torch.nn.Module from load(task, **kw)",
            )
        model.eval()
        if check:
            check_model_contract(model, spec, task, plugin=self.plugin)
        return model, task


@dataclass
class Registry:
    """The models every loaded plugin registered, and what went wrong while loading.

    Attributes
    ----------
    models:
        Model name -> :class:`RegisteredModel`, sorted by name (a deterministic order, so the
        (model, task) matrix shards the same way everywhere).
    errors:
        One :class:`PluginLoadError` per failed plugin, rejected spec or duplicate name.
    plugins:
        The plugins that loaded.
    skipped:
        Entry points not loaded because the allow-list excludes them (``"name (distribution)"``).
    rejected:
        Model name -> why it is unavailable (duplicate name, failing plugin, invalid spec).
    warnings:
        Problems that did not stop a plugin from loading: global state (default dtype, grad
        mode, thread count, RNG states...) a plugin changed at import or in its hook, which was
        restored (stage ``"global-state"``).
    load_args:
        The resolved ``allow`` and the ``extra`` objects of the :func:`load_plugins` call, so a
        worker process can load the same plugins (``benchsuite run --isolate process``).
    """

    models: dict[str, RegisteredModel] = field(default_factory=dict)
    errors: list[PluginLoadError] = field(default_factory=list)
    plugins: list[PluginInfo] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    warnings: list[PluginLoadError] = field(default_factory=list)
    load_args: dict[str, Any] = field(default_factory=dict)

    @property
    def tasks(self) -> dict[str, tuple[str, ...]]:
        """Task kind -> names of the models supporting it (every kind present, sorted names)."""
        return {kind: tuple(n for n, m in self.models.items() if kind in m.spec.tasks) for kind in TASK_KINDS}

    @property
    def names(self) -> tuple[str, ...]:
        """All model names, sorted."""
        return tuple(self.models)

    def __contains__(self, name: object) -> bool:
        return name in self.models

    def __iter__(self) -> Iterator[RegisteredModel]:
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)

    def get(self, name: str) -> RegisteredModel:
        """The registered model called ``name``.

        Raises
        ------
        PluginError
            For an unknown name: says why it was rejected if it was, else suggests close matches.
        """
        try:
            return self.models[name]
        except KeyError:
            pass
        if name in self.rejected:
            raise PluginError(
                f"model {name!r} is not available: {self.rejected[name]}",
                source=f"model {name!r}",
                hint="see `benchsuite list` for the plugins that failed to load",
            )
        close = difflib.get_close_matches(name, list(self.models), n=3, cutoff=0.5)
        if close:
            hint = f"did you mean {' or '.join(map(repr, close))}?"
        elif self.models:
            hint = f"available models: {', '.join(self.models)}"
        else:
            hint = "no model is registered; install a plugin (pip install -e plugins/benchsuite-baselines)"
        if self.skipped:
            hint += f"; {ALLOW_ENV} excluded: {', '.join(self.skipped)}"
        raise PluginError(f"unknown model {name!r}", source=f"model {name!r}", hint=hint)
