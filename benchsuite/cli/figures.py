"""CLI: ``benchsuite figures CELL`` draws a cell's figures from the data its evaluation wrote."""

from __future__ import annotations

from pathlib import Path

import typer

FIGURES_HELP = (
    "Draw the figures of an evaluated cell (CELL: a cell folder of benchsuite run or evaluate, its "
    "figures/ folder or one figure's .json) as PNGs: motif logos, attribution logos, seqlets, interaction "
    "curves. Evaluation writes only the data they plot (figures/<family>/*.json, *.npz, filters.meme); the "
    "leaderboard draws the best model's logos itself. Prints the PNGs written (default: beside the data)."
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite figures`` to the root app."""

    @app.command("figures", help=FIGURES_HELP)
    def figures(
        cell: Path = typer.Argument(..., help="Cell folder, its figures/ folder, or one figure's .json."),
        out: Path = typer.Option(
            None, "--out", help="Folder for the PNGs (same layout as figures/; default: beside the data)."
        ),
    ) -> None:
        from benchsuite.cli.output import stdout_console
        from benchsuite.evaluate.figures_render import render_cell_figures

        written = render_cell_figures(cell, out)
        console = stdout_console()
        for name, path in written.items():
            console.print(f"{name}\t{path}", highlight=False, markup=False)
