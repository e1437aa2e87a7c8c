"""Output for people and for machines: the stdout console (tables never truncated when piped) and
``--json`` documents (one JSON document on stdout; logs and progress go to stderr)."""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

__all__ = ["PIPE_WIDTH", "echo_json", "jsonable", "stdout_console", "stdout_to_stderr"]

#: console width when stdout is not a terminal: wide enough that no table cell is folded or cut
PIPE_WIDTH = 4096


def stdout_console() -> Console:
    """The console of a command's human output on stdout.

    On a terminal it has the terminal's width. Piped or redirected (``benchsuite list | grep``), it is
    :data:`PIPE_WIDTH` wide, so tables take their natural width: every name and value stays whole
    on one line instead of being folded or ellipsised to 80 columns.
    """
    from rich.console import Console

    console = Console()
    if console.is_terminal:
        return console
    return Console(width=PIPE_WIDTH)


@contextlib.contextmanager
def stdout_to_stderr(enabled: bool = True) -> Iterator[None]:
    """Send whatever is written to stdout to stderr instead (progress bars, stray prints of plugins),
    so that a ``--json`` document is the only thing on stdout.

    Both ``sys.stdout`` and file descriptor 1 are redirected (C extensions and child processes
    writing to fd 1 follow), and both are restored afterwards.
    """
    if not enabled:
        yield
        return
    from benchsuite.plugins.state import redirect_stdout

    with redirect_stdout(sys.stderr):
        yield


def jsonable(value: Any) -> Any:
    """``value`` as strict JSON data: paths as strings, NaN and infinities as ``null``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return jsonable(value.item())
    return value


def echo_json(document: Mapping[str, Any]) -> None:
    """Print ``document`` as one indented JSON document on stdout."""
    import typer

    typer.echo(json.dumps(jsonable(document), indent=2, allow_nan=False))
