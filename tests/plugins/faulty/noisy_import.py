"""A plugin module that prints to stdout when imported (both ``print`` and fd 1) and whose model
prints in every forward call."""

from __future__ import annotations

import os

from benchsuite.plugins import hookimpl
from tests.plugins.faulty import NOISE, NoisyPlugin

print(NOISE, "print at import")
os.write(1, f"{NOISE} fd 1 at import\n".encode())


@hookimpl
def benchsuite_register_models(register):
    NoisyPlugin().benchsuite_register_models(register)
