"""Environment variables in manifest paths: ``${NAME}``, ``$NAME``, ``${NAME:-default}``, ``$$``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from benchsuite.errors import ManifestError

__all__ = ["expand_path_variables"]

_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_path_variables(text: str, *, field_name: str = "path", source: str | Path | None = None) -> str:
    """Expand environment variables in a manifest path.

    ``${NAME}`` and ``$NAME`` are replaced by the variable's value, ``${NAME:-default}`` by the
    value or, when the variable is unset or empty, ``default``; ``$$`` is a literal ``$``.
    A leading ``~`` is left for :meth:`pathlib.Path.expanduser`.

    Parameters
    ----------
    text:
        The path as written in the manifest.
    field_name:
        Manifest field (for the error message).
    source:
        The manifest file (for the error message).

    Returns
    -------
    str
        The expanded path.

    Raises
    ------
    ManifestError
        A variable without default is not set; the message names the field and the variable.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        default = match.group(2)
        value = os.environ.get(name)
        if default is not None:
            return value if value else default
        if value is None:
            raise ManifestError(
                f"field '{field_name}': environment variable {name} is not set (path {text!r})",
                source=source,
                hint=f"export {name}=... before running benchsuite, or write the path without ${{{name}}}",
            )
        return value

    return _VARIABLE.sub(replace, text)
