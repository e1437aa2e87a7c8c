"""A test plugin whose model kills its process when built (``os._exit(3)``): a worker dying mid-cell."""

from __future__ import annotations

import os

from benchsuite.plugins import ModelSpec, hookimpl


def _exits(task, **hparams):
    os._exit(3)


class CrashPlugin:
    """Registers ``fake-crash`` (quantitative), whose build ends the process with exit code 3."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(ModelSpec(name="fake-crash", build=_exits, tasks={"quantitative"}, description="exits"))
