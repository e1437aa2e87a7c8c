"""Hook specifications of the ``benchsuite`` pluggy project.

A plugin is a module (named by an entry point of group ``benchsuite``) or any object with
methods decorated by :data:`hookimpl`::

    from benchsuite.plugins import ModelSpec, hookimpl

    @hookimpl
    def benchsuite_register_models(register):
        register(ModelSpec(name="my-model", build=build, tasks={"quantitative"}, bin_size=32))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.spec import ModelSpec

__all__ = ["PROJECT_NAME", "hookspec", "hookimpl", "benchsuite_register_models"]

#: the pluggy project name (also the entry-point group)
PROJECT_NAME = "benchsuite"

#: marker for hook specifications (used by benchsuite itself)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

#: marker plugin authors put on their hook implementations
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def benchsuite_register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register the models this plugin offers.

    Parameters
    ----------
    register:
        Call ``register(ModelSpec(...))`` once per model. Specs are validated after the hook
        returns; an invalid one is reported under the plugin's name and skipped. If the hook
        raises, every model it registered is discarded and the error is reported.
    """
