"""Plugin discovery and loading, fault-isolated, plus the model tensor-contract check.

:func:`load_plugins` walks the entry points of group ``benchsuite`` itself (rather than
pluggy's ``load_setuptools_entrypoints``) so that each plugin is imported, registered and
asked for its models in isolation: a plugin that fails to import, whose hook raises, or that
registers a bad spec is recorded in :attr:`Registry.errors` under its own name and skipped,
and every other plugin still loads.

The registry it fills (:class:`RegisteredModel`, :class:`Registry`, :class:`PluginLoadError`)
lives in :mod:`benchsuite.plugins.registry` and is re-exported here. Nothing here imports torch
at module level; :func:`check_model_contract` (in :mod:`benchsuite.plugins.contract`) and
:meth:`RegisteredModel.build` import it when called.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import logging
import os
import re
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from benchsuite.errors import PluginError
from benchsuite.plugins import hookspecs
from benchsuite.plugins.contract import check_model_contract
from benchsuite.plugins.policy import resolve_names
from benchsuite.plugins.registry import (
    ALLOW_ENV,
    DIRECT,
    PluginInfo,
    PluginLoadError,
    RegisteredModel,
    Registry,
    _plugin_label,
)
from benchsuite.plugins.spec import ModelSpec

__all__ = [
    "DIRECT",
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

_HOOK = "benchsuite_register_models"


def _normalize(name: str) -> str:
    """PEP 503 normalisation: case-insensitive, runs of ``-``, ``_``, ``.`` are equivalent."""
    return re.sub(r"[-_.]+", "-", name).lower()


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
