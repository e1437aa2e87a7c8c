"""A plugin module for subprocess CLI tests (``BENCHSUITE_TEST_EXTRA_PLUGINS=tests.adapt.cli_plugin``):
an evaluate-only echo model reading 1,024 bp (see :mod:`tests.adapt.conftest`)."""

from __future__ import annotations

from benchsuite.plugins import hookimpl
from tests.adapt.conftest import echo_spec


@hookimpl
def benchsuite_register_models(register):
    register(echo_spec("echo-cli", input_length=1024, tasks={"quantitative"}))
