"""The error family of benchsuite.

Every problem a user can fix (a malformed file, a bad option, a faulty plugin) is raised
as a :class:`BenchsuiteError`. Its message names the offending file, plugin or option and
says how to fix it; the CLI prints it on one line and exits non-zero without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class BenchsuiteError(Exception):
    """Base class of all user-facing benchsuite errors.

    Parameters
    ----------
    message:
        What is wrong, in one sentence.
    source:
        The file, plugin or option at fault (rendered first in the message).
    hint:
        How to fix it.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, source: str | Path | None = None, hint: str | None = None):
        self.message = message
        self.source = str(source) if source is not None else None
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.source}: {self.message}" if self.source else self.message
        if self.hint:
            text += f" (fix: {self.hint})"
        return text


class InputFileError(BenchsuiteError):
    """A genome, track, interval or variant file is missing, malformed or inconsistent."""


class ChromosomeNameError(InputFileError):
    """Chromosome names of two files do not match (e.g. ``chr1`` vs ``1``)."""


class ManifestError(BenchsuiteError):
    """A bundle manifest is missing, malformed or names files that do not exist."""


class DatasetError(BenchsuiteError):
    """A dataset cannot be built or opened (e.g. empty selection after thresholding)."""


class ConfigError(BenchsuiteError):
    """A command-line option or configuration value is invalid."""


class PluginError(BenchsuiteError):
    """A model plugin failed to import, register or behave according to the contract."""


class ModelContractError(PluginError):
    """A model's output does not match the tensor contract (shape, dtype, sign, NaN)."""


class TrainingError(BenchsuiteError):
    """Training of a (model, task) cell failed (e.g. NaN loss)."""


class RecordError(BenchsuiteError):
    """A result record is invalid, tampered with or does not fit the board being built."""
