"""Architects of ``benchsuite search``: ``random``, ``tpe`` (Optuna) and ``controller`` (REINFORCE).

:func:`make_architect` builds one by name; torch and optuna are imported only by the
architects that need them.
"""

from __future__ import annotations

from pathlib import Path

from benchsuite.errors import ConfigError
from benchsuite.search.architects.base import Architect, Trial
from benchsuite.search.space import SearchSpace

__all__ = ["ARCHITECTS", "Architect", "Trial", "make_architect"]

#: accepted values of ``--architect``
ARCHITECTS = ("random", "tpe", "controller")


def make_architect(
    name: str, space: SearchSpace, seed: int, folder: str | Path, *, tag: str = "", shard: int = 1
) -> Architect:
    """The architect ``name`` for ``space`` (TPE: shard ``shard``, its study in ``<folder>/tpe<tag>.db``)."""
    if name == "random":
        from benchsuite.search.architects.random_search import RandomArchitect

        return RandomArchitect(space, seed)
    if name == "tpe":
        from benchsuite.search.architects.tpe import TPEArchitect

        return TPEArchitect(space, seed, Path(folder) / f"tpe{tag}.db", shard=shard)
    if name == "controller":
        from benchsuite.search.architects.controller import ControllerArchitect

        return ControllerArchitect(space, seed)
    raise ConfigError(
        f"unknown architect {name!r}", source="--architect", hint=f"use one of {', '.join(ARCHITECTS)}"
    )
