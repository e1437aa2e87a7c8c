"""Which registrations the registry accepts: reserved built-in names and duplicate model names.

The built-in baselines (every model registered by the ``benchsuite-baselines`` distribution, and
anything benchsuite itself registers) are the reference every board is read against, so their
names are reserved: a third-party plugin registering one of them is refused and reported, and the
baseline stays. Any other name registered more than once is rejected altogether (load order is
not meaningful, so neither registration wins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.registry import RegisteredModel, Registry

__all__ = ["BUILTIN_DISTRIBUTIONS", "is_builtin", "resolve_names"]

#: distributions whose model names are reserved (normalised names)
BUILTIN_DISTRIBUTIONS: frozenset[str] = frozenset({"benchsuite-baselines", "benchsuite"})


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_builtin(model: RegisteredModel) -> bool:
    """Whether ``model`` comes from a built-in distribution (its name is reserved)."""
    return _normalize(model.distribution) in BUILTIN_DISTRIBUTIONS


def resolve_names(candidates: Sequence[RegisteredModel], registry: Registry) -> None:
    """Enter ``candidates`` into ``registry.models`` (sorted by name), applying the name policy.

    - a name registered once is accepted;
    - a name a built-in distribution registers once is accepted from it, and every third-party
      registration of it is refused (one ``"reserved"`` error per refused plugin);
    - any other name registered more than once is rejected for every registrant (one
      ``"duplicate"`` error naming them all).
    """
    from benchsuite.plugins.registry import ALLOW_ENV, PluginLoadError

    by_name: dict[str, list[RegisteredModel]] = {}
    for candidate in candidates:
        by_name.setdefault(candidate.name, []).append(candidate)
    for name in sorted(by_name):
        group = by_name[name]
        builtin = [g for g in group if is_builtin(g)]
        if len(group) == 1 or len(builtin) == 1:
            keep = group[0] if len(group) == 1 else builtin[0]
            registry.models[name] = keep
            for other in group:
                if other is keep:
                    continue
                registry.errors.append(
                    PluginLoadError(
                        f"model name {name!r} is reserved for the built-in baseline of "
                        f"{keep.distribution} {keep.version}".rstrip()
                        + f"; the registration by {other.label} is refused (the baseline stays)",
                        plugin=other.plugin,
                        distribution=other.distribution,
                        version=other.version,
                        stage="reserved",
                        source=f"model {name!r}",
                        hint="rename the plugin's model (built-in baseline names cannot be shadowed)",
                    )
                )
            continue
        who = "; ".join(g.label for g in group)
        message = f"model name {name!r} is registered {len(group)} times, by {who}; all of them are rejected"
        registry.rejected[name] = message
        registry.errors.append(
            PluginLoadError(
                message,
                plugin=", ".join(dict.fromkeys(g.plugin for g in group)),
                distribution=", ".join(dict.fromkeys(g.distribution for g in group)),
                stage="duplicate",
                source=f"model {name!r}",
                hint="rename one of the models, uninstall one of the distributions, "
                f"or load only one of them with {ALLOW_ENV}",
            )
        )
