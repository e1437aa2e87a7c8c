"""CLI: ``benchsuite export CELL --out DIR`` — a trained cell as an evaluate-only plugin package."""

from __future__ import annotations

from pathlib import Path

import typer

EXPORT_HELP = (
    "Write a trained cell (CELL: a cell folder of benchsuite run, or its checkpoint.ckpt) as an installable "
    "evaluate-only plugin package in DIR: pyproject.toml with a benchsuite entry point, a plugin module "
    "with ModelSpec(load=...), the weights and spec.json (task, input length, bin size, track names, build "
    "hyperparameters, the source record's dataset fingerprint and metrics). `pip install DIR`, then "
    "`benchsuite evaluate --model NAME --bundle OTHER --out DIR2` scores it on another bundle."
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite export`` to the root app."""

    @app.command("export", help=EXPORT_HELP)
    def export(
        cell: Path = typer.Argument(..., help="Cell folder (or its checkpoint.ckpt)."),
        out: Path = typer.Option(..., "--out", help="Package folder to write (new or empty)."),
        name: str = typer.Option(
            None, "--name", help="Name of the exported model (default <model>.<fingerprint[:8]>)."
        ),
    ) -> None:
        from benchsuite.adapt.export import export_cell
        from benchsuite.cli.output import stdout_console

        module = export_cell(cell, out, name=name)
        stdout_console().print(f"plugin package written to {out} (module {module})", highlight=False)
