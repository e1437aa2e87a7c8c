"""Entry point of the ``benchsuite`` command.

Each concern contributes its commands from its own module (``benchsuite.cli.<name>``),
which exposes ``register(app)``. Heavy imports (torch, Lightning) happen inside the
command functions so that ``benchsuite --help`` stays fast.

Every :class:`~benchsuite.errors.BenchsuiteError` raised by a command is printed as one
line on stderr and turned into a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer
from rich.console import Console

from benchsuite import __version__
from benchsuite.errors import BenchsuiteError

#: command modules, in the order their commands appear in ``--help``
COMMAND_MODULES = (
    "simulate",
    "data",
    "list",
    "run",
    "evaluate",
    "figures",
    "export",
    "verify",
    "leaderboard",
    "sign",
    "search",
)

app = typer.Typer(
    name="benchsuite",
    help="Benchmark deep learning models that predict regulatory genomic signal from DNA sequence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"benchsuite {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens in detail."),
) -> None:
    """benchsuite: train, evaluate and rank sequence-to-signal models on a fixed protocol."""
    from benchsuite.evaluate.motifs.tomtom import use_numba_cache
    from benchsuite.run.allocator import tune_allocator

    use_numba_cache()  # memelite's numba code compiled once per machine, not once per process
    tune_allocator()  # no page faults for every batch's activations (bit-identical numbers)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[_rich_handler()],
    )


def _rich_handler() -> logging.Handler:
    from rich.logging import RichHandler

    return RichHandler(console=err_console, show_path=False, show_time=False, markup=False)


for _name in COMMAND_MODULES:
    importlib.import_module(f"benchsuite.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; BenchsuiteErrors become a one-line message and exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except BenchsuiteError as exc:
        from rich.markup import escape

        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
