"""Checks on output and cache folder options before anything is written.

:func:`require_directory` turns "this option names a file" into one clear
:class:`~benchsuite.errors.ConfigError` instead of a bare ``FileExistsError`` or
``NotADirectoryError`` traceback from deep inside a writer.
"""

from __future__ import annotations

from pathlib import Path

from benchsuite.errors import ConfigError

__all__ = ["require_directory"]


def require_directory(path: Path, *, option: str) -> Path:
    """Check that ``path`` can be (or already is) a directory; create nothing.

    Parameters
    ----------
    path:
        The folder an option names (it may not exist yet).
    option:
        The option or field that named it (e.g. ``"--cache"``), quoted in the error.

    Returns
    -------
    pathlib.Path
        ``path``, unchanged, so the call can wrap an assignment.

    Raises
    ------
    ConfigError
        ``path`` exists and is not a directory, or one of its parent components is a file.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"{path} is a file, not a directory",
            source=option,
            hint=f"give {option} a folder path (new or existing), or move the file {path} away",
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{path}: its parent {parent} is a file, not a directory",
                    source=option,
                    hint=f"give {option} a path under a folder, or move the file {parent} away",
                )
            break
    return path
