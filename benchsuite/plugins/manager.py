"""Plugin discovery and loading, fault-isolated, plus the model tensor-contract check.

:func:`load_plugins` walks the entry points of group ``benchsuite`` itself (rather than
pluggy's ``load_setuptools_entrypoints``) so that each plugin is imported, registered and
asked for its models in isolation: a plugin that fails to import, whose hook raises, or that
registers a bad spec is recorded in :attr:`Registry.errors` under its own name and skipped,
and every other plugin still loads.

Nothing here imports torch at module level; :func:`check_model_contract` (in
:mod:`benchsuite.plugins.contract`) and :meth:`RegisteredModel.build` import it when called.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.metadata
import logging
import os
import re
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy

from benchsuite.errors import BenchsuiteError, PluginError
from benchsuite.plugins import hookspecs
from benchsuite.plugins.contract import check_model_contract
from benchsuite.plugins.policy import resolve_names
from benchsuite.plugins.spec import TASK_KINDS, ModelSpec, TaskSpec

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "ENTRY_POINT_GROUP",
    "ALLOW_ENV",
    "PluginLoadError",
    "PluginInfo",
    "RegisteredModel",
    "Registry",
    "load_plugins",
    "check_model_contract",
]

logger = logging.getLogger(__name__)

#: entry-point group a plugin distribution declares its plugin module under
ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME

#: environment variable holding the comma-separated allow-list
ALLOW_ENV = "BENCHSUITE_PLUGINS"

#: distribution label of plugin objects passed directly through ``extra=``
DIRECT = "<direct>"

_HOOK = "benchsuite_register_models"


def _normalize(name: str) -> str:
    """PEP 503 normalisation: case-insensitive, runs of ``-``, ``_``, ``.`` are equivalent."""
    return re.sub(r"[-_.]+", "-", name).lower()


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


# --------------------------------------------------------------------------- loading


@dataclass
class _Plugin:
    name: str
    distribution: str
    version: str
    obj: object


@contextlib.contextmanager
def _guarded(registry: Registry, plugin: str, distribution: str, version: str, where: str) -> Iterator[None]:
    """Run plugin code with stdout sent to stderr; global state it changed is restored and reported."""
    from benchsuite.plugins.state import capture, describe_changes, redirect_stdout, restore

    before = capture()
    try:
        with redirect_stdout():
            yield
    finally:
        changes = describe_changes(before, capture())
        if changes:
            restore(before)
            registry.warnings.append(
                PluginLoadError(
                    f"changed {', '.join(changes)} {where}; restored",
                    plugin=plugin,
                    distribution=distribution,
                    version=version,
                    stage="global-state",
                    hint="a plugin must not change process-wide torch state (set it in the model, if at all)",
                )
            )


def _resolve_allow(allow: Sequence[str] | str | None) -> list[str] | None:
    if allow is None:
        env = os.environ.get(ALLOW_ENV, "")
        if not env.strip():
            return None
        allow = env
    if isinstance(allow, str):
        allow = re.split(r"[,\s]+", allow)
    return [a.strip() for a in allow if a and a.strip()]


def _entry_points() -> list[Any]:
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return list(eps)


def _ep_distribution(ep: Any) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "", ""
    name = getattr(dist, "name", None)
    if not name:
        try:
            name = dist.metadata["Name"]
        except Exception:  # noqa: BLE001 - broken metadata must not break loading
            name = ""
    try:
        version = dist.version or ""
    except Exception:  # noqa: BLE001
        version = ""
    return str(name or ""), str(version)


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    try:
        return dict(importlib.metadata.packages_distributions())
    except Exception:  # noqa: BLE001
        return {}


def _object_identity(obj: object) -> tuple[str, str, str]:
    """(name, distribution, version) of a plugin object passed through ``extra``."""
    name = getattr(obj, "__name__", None) or type(obj).__name__
    if not isinstance(obj, types.ModuleType):
        return str(name), DIRECT, ""
    top = obj.__name__.split(".")[0]
    dists = _packages_distributions().get(top, [])
    if dists:
        try:
            return str(name), dists[0], importlib.metadata.version(dists[0])
        except importlib.metadata.PackageNotFoundError:
            return str(name), dists[0], ""
    return str(name), DIRECT, ""


def _matches(entry: str, ep_name: str, distribution: str) -> bool:
    key = _normalize(entry)
    return key == _normalize(ep_name) or (bool(distribution) and key == _normalize(distribution))


def _short_repr(obj: object, limit: int = 60) -> str:
    text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_plugins(*, allow: Sequence[str] | str | None = None, extra: Sequence[object] = ()) -> Registry:
    """Discover, import and query every plugin; return the models they register.

    Parameters
    ----------
    allow:
        Allow-list of plugins to load from entry points. Each entry matches an entry-point
        name *or* a distribution name (case-insensitive; ``-``, ``_`` and ``.`` are
        equivalent), e.g. ``["baselines"]`` or ``["benchsuite-baselines"]``. ``None`` (the
        default) reads the comma-separated ``$BENCHSUITE_PLUGINS``; unset or blank means no
        restriction. An empty sequence loads no entry point at all (only ``extra``). A string
        is split on commas. Entries that match no installed plugin are reported as errors.
    extra:
        Plugin objects (modules, classes or instances with ``@hookimpl`` methods) registered
        directly, without installation; always loaded, regardless of ``allow``.

    Returns
    -------
    Registry
        The models (sorted by name) and the load errors. Loading never raises for a faulty
        plugin; each fault becomes one :class:`PluginLoadError` in ``Registry.errors``:

        - an entry point that fails to import (reported by entry-point name + distribution);
        - an object without a ``benchsuite_register_models`` hook implementation;
        - a hook that raises (every model it registered before raising is discarded);
        - a registration that is not a :class:`ModelSpec` or whose fields are invalid (that
          spec is skipped; the plugin's other models load);
        - a third-party registration of a name a built-in baseline registers (stage
          ``"reserved"``): refused, the baseline stays (:mod:`benchsuite.plugins.policy`);
        - any other model name registered more than once (by one or several plugins):
          **every** registration of that name is rejected, the error names all plugins and
          distributions involved, and ``Registry.get(name)`` explains the rejection. Neither
          wins because load order is not meaningful; rename the model or uninstall one
          distribution (or restrict loading with ``BENCHSUITE_PLUGINS``).

        Each import and each hook call runs with stdout sent to stderr and under a snapshot of
        the global torch / numpy / random state (:mod:`benchsuite.plugins.state`): what a plugin
        changed is restored and reported in ``Registry.warnings`` (the plugin still loads).
    """
    registry = Registry()
    allow_list = _resolve_allow(allow)
    registry.load_args = {"allow": None if allow_list is None else list(allow_list), "extra": tuple(extra)}
    used_allow: set[str] = set()

    plugins: list[_Plugin] = []
    try:
        eps = sorted(_entry_points(), key=lambda ep: (ep.name, _ep_distribution(ep)[0]))
    except Exception as exc:  # noqa: BLE001 - corrupt metadata of some distribution
        eps = []
        registry.errors.append(
            PluginLoadError(
                f"reading the installed entry points failed: {type(exc).__name__}: {exc}",
                plugin="(entry points)",
                stage="import",
                source=f"entry-point group {ENTRY_POINT_GROUP!r}",
                hint="reinstall the distribution with broken metadata (pip check may name it)",
            )
        )
    for ep in eps:
        dist, version = _ep_distribution(ep)
        if allow_list is not None:
            hits = [a for a in allow_list if _matches(a, ep.name, dist)]
            if not hits:
                registry.skipped.append(f"{ep.name} ({dist})" if dist else ep.name)
                continue
            used_allow.update(hits)
        try:
            with _guarded(registry, ep.name, dist, version, "at import"):
                obj = ep.load()
        except (Exception, SystemExit) as exc:
            logger.debug("importing plugin %s failed", ep.name, exc_info=True)
            registry.errors.append(
                PluginLoadError(
                    f"importing entry point {ep.name} = {getattr(ep, 'value', '?')} failed: "
                    f"{type(exc).__name__}: {exc}",
                    plugin=ep.name,
                    distribution=dist,
                    version=version,
                    stage="import",
                    hint="fix or reinstall the plugin distribution, or exclude it with "
                    f"{ALLOW_ENV}=<other plugins>",
                )
            )
            continue
        plugins.append(_Plugin(ep.name, dist, version, obj))

    if allow_list is not None:
        dists = {_ep_distribution(ep)[0] for ep in eps}
        installed = sorted({ep.name for ep in eps} | (dists - {""}))
        for entry in allow_list:
            if entry not in used_allow:
                registry.errors.append(
                    PluginLoadError(
                        f"the allow-list names {entry!r} but no installed plugin has that entry-point "
                        "or distribution name",
                        plugin=entry,
                        stage="allow-list",
                        source=f"{ALLOW_ENV} / allow",
                        hint=f"installed plugins: {', '.join(installed) or 'none'}",
                    )
                )

    for obj in extra:
        name, dist, version = _object_identity(obj)
        plugins.append(_Plugin(name, dist, version, obj))

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    candidates: list[RegisteredModel] = []
    for index, plugin in enumerate(plugins):
        registered = _query_plugin(pm, plugin, index, registry)
        if registered is None:
            continue
        candidates.extend(registered)
        registry.plugins.append(
            PluginInfo(plugin.name, plugin.distribution, plugin.version, tuple(r.name for r in registered))
        )

    resolve_names(candidates, registry)

    for problem in [*registry.errors, *registry.warnings]:
        logger.warning("%s", problem)
    return registry


def _query_plugin(
    pm: pluggy.PluginManager, plugin: _Plugin, index: int, registry: Registry
) -> list[RegisteredModel] | None:
    """Register one plugin object and call its hook alone; None if the plugin failed as a whole."""

    def fail(message: str, stage: str, hint: str) -> None:
        registry.errors.append(
            PluginLoadError(
                message,
                plugin=plugin.name,
                distribution=plugin.distribution,
                version=plugin.version,
                stage=stage,
                hint=hint,
            )
        )

    try:
        pm.register(plugin.obj, name=f"{index}:{plugin.distribution}:{plugin.name}")
    except Exception as exc:  # ValueError (registered twice), PluginValidationError (bad signature)
        fail(
            f"cannot register the plugin object: {type(exc).__name__}: {exc}",
            "register",
            f"hook implementations must have the signature {_HOOK}(register)",
        )
        return None

    impls = [impl for impl in pm.hook.benchsuite_register_models.get_hookimpls() if impl.plugin is plugin.obj]
    if not impls:
        others = sorted(hc.name for hc in (pm.get_hookcallers(plugin.obj) or []) if hc.name != _HOOK)
        detail = f" (it implements unknown hook(s) {', '.join(others)})" if others else ""
        fail(
            f"{_short_repr(plugin.obj)} defines no {_HOOK} hook implementation{detail}",
            "register",
            f"define `@hookimpl def {_HOOK}(register): ...` with `from benchsuite.plugins import hookimpl`",
        )
        return None

    collected: list[object] = []
    for impl in impls:
        if impl.hookwrapper or impl.wrapper:
            fail(
                f"{_HOOK} is declared as a hook wrapper",
                "register",
                "use a plain @hookimpl (no wrapper=True / hookwrapper=True)",
            )
            return None
        kwargs = {"register": collected.append}
        try:
            with _guarded(registry, plugin.name, plugin.distribution, plugin.version, f"in {_HOOK}"):
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except (Exception, SystemExit) as exc:
            logger.debug("hook of plugin %s raised", plugin.name, exc_info=True)
            discarded = [s.name for s in collected if isinstance(s, ModelSpec)]
            for name in discarded:
                registry.rejected.setdefault(name, f"{_plugin_label(plugin.name)} failed while registering")
            fail(
                f"{_HOOK} raised {type(exc).__name__}: {exc}"
                + (f" (discarded models: {', '.join(discarded)})" if discarded else ""),
                "hook",
                "fix the plugin; the other plugins were loaded",
            )
            return None
        if result is not None:
            fail(
                f"{_HOOK} returned {_short_repr(result)} instead of calling register(spec); "
                "the value is ignored",
                "spec",
                "call register(ModelSpec(...)) once per model and return None",
            )

    registered: list[RegisteredModel] = []
    for item in collected:
        if not isinstance(item, ModelSpec):
            fail(
                f"registered {_short_repr(item)} ({type(item).__name__}), not a ModelSpec; skipped",
                "spec",
                "call register(ModelSpec(...)) with `from benchsuite.plugins import ModelSpec`",
            )
            continue
        try:
            item._validate()
        except PluginError as exc:
            registry.rejected.setdefault(str(item.name), f"invalid spec: {exc.message}")
            fail(f"invalid spec for model {item.name!r}: {exc.message}; skipped", "spec", exc.hint or "")
            continue
        registered.append(RegisteredModel(item, plugin.name, plugin.distribution, plugin.version))
    return registered
