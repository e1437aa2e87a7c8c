"""``python -m tests.run.fake_cli run ...``: the real ``benchsuite`` CLI with the fake test plugin.

The fake plugin of ``tests/run/conftest.py`` is added to every registry the CLI loads (installed
plugins are excluded), so subprocess tests exercise the whole command line without installing
a package. Every fake model build is appended to ``$BENCHSUITE_TEST_BUILD_LOG`` when set.
``$BENCHSUITE_TEST_EXTRA_PLUGINS`` (comma-separated modules) adds plugin modules, imported
when the CLI loads its plugins (so what they print at import happens then).
"""

from __future__ import annotations

import importlib
import os
import sys

import torch

import benchsuite.plugins as plugins
from tests.run import conftest

_real_load_plugins = plugins.load_plugins


def _load_plugins(*, allow=None, extra=()):
    modules = [m for m in os.environ.get("BENCHSUITE_TEST_EXTRA_PLUGINS", "").split(",") if m]
    more = [importlib.import_module(m) for m in modules]
    return _real_load_plugins(allow=[], extra=[*extra, conftest.FakeRunPlugin(), *more])


if __name__ == "__main__":
    torch.set_num_threads(1)
    plugins.load_plugins = _load_plugins
    from benchsuite.cli.main import main

    main(sys.argv[1:])
