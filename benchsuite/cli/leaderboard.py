"""CLI: ``benchsuite leaderboard`` builds tables, figures and HTML pages from result records."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import typer

log = logging.getLogger(__name__)

_DESCRIPTION = (
    "Build the leaderboard from result records.\n\n"
    "Records are gathered from local folders (--records, searched recursively for record.json and "
    "*.record.json), offline W&B run folders (--wandb-dir: wandb/offline-run-*/files/) and W&B projects "
    "(--wandb ENTITY/PROJECT, through the W&B API). Every record is verified (schema, checksum, harness "
    "version); refused records are listed with the reason.\n\n"
    "One board is written per dataset fingerprint into OUT/<dataset>/ (index.html, leaderboard.md, "
    "leaderboard.csv, records.csv, per_target.csv, board.json, figures/), plus OUT/index.html and "
    "OUT/README.md.\n\n"
    "Exit status: non-zero when no valid record remains, or with --strict when any record was refused."
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite leaderboard`` to the root app."""
    app.command("leaderboard", help=_DESCRIPTION)(leaderboard)


def _command_line(
    records: list[Path],
    wandb_dirs: list[Path],
    projects: list[str],
    out: Path,
    title: str | None,
    fingerprint: str | None,
    strict: bool,
) -> str:
    args: list[str] = []
    for path in records:
        args += ["--records", str(path)]
    for path in wandb_dirs:
        args += ["--wandb-dir", str(path)]
    for project in projects:
        args += ["--wandb", project]
    args += ["--out", str(out)]
    if title is not None:
        args += ["--title", title]
    if fingerprint:
        args += ["--fingerprint", fingerprint]
    if strict:
        args.append("--strict")
    return "benchsuite leaderboard " + shlex.join(args)


def leaderboard(
    records: list[Path] | None = typer.Option(
        None, "--records", help="Folder (or record file) searched recursively for result records; repeatable."
    ),
    wandb_dirs: list[Path] | None = typer.Option(
        None, "--wandb-dir", help="Folder holding W&B run folders (wandb/offline-run-*); repeatable."
    ),
    wandb_projects: list[str] | None = typer.Option(
        None, "--wandb", help="W&B project ENTITY/PROJECT read through the W&B API; repeatable."
    ),
    out: Path = typer.Option(Path("leaderboards"), "--out", help="Output folder of the boards."),
    title: str | None = typer.Option(None, "--title", help="Title of the pages and tables."),
    fingerprint: str | None = typer.Option(
        None, "--fingerprint", help="Only build the board of this dataset fingerprint (prefix allowed)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail (and write nothing) if any record is refused."),
) -> None:
    """Build the leaderboard from result records (local folders, W&B run folders, W&B projects)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from benchsuite.errors import ConfigError, RecordError
    from benchsuite.evaluate.registry import RANKING_METRIC, headline_metrics
    from benchsuite.leaderboard.build import write_leaderboards
    from benchsuite.leaderboard.gather import gather_records
    from benchsuite.leaderboard.tables import Provenance, format_value, machine_description
    from benchsuite.results.record import current_harness_version

    records = list(records or [])
    wandb_dirs = list(wandb_dirs or [])
    wandb_projects = list(wandb_projects or [])
    if not (records or wandb_dirs or wandb_projects):
        raise ConfigError(
            "no record source given",
            source="benchsuite leaderboard",
            hint="pass --records runs/ (the output folder of `benchsuite run`), --wandb-dir DIR "
            "or --wandb ENTITY/PROJECT",
        )
    gathered = gather_records(
        records=records, wandb_dirs=wandb_dirs, wandb_projects=wandb_projects, fingerprint=fingerprint
    )
    console = Console()
    sources = ", ".join(gathered.sources)
    if not gathered.records:
        detail = f"; {len(gathered.refused)} refused (see above)" if gathered.refused else ""
        raise RecordError(
            f"no valid result record found{detail}",
            source=sources,
            hint="run `benchsuite run` first, or point --records/--wandb-dir at its output folder",
        )
    if strict and gathered.refused:
        raise RecordError(
            f"{len(gathered.refused)} record(s) refused and --strict is set; nothing written",
            source=sources,
            hint="fix or remove the refused records listed above, or drop --strict",
        )
    provenance = Provenance(
        command=_command_line(records, wandb_dirs, wandb_projects, out, title, fingerprint, strict),
        harness_version=current_harness_version(),
        machine=machine_description(),
        title=title or "benchsuite leaderboard",
    )
    written = write_leaderboards(gathered, out, provenance)
    for item in written:
        board = item.board
        table = Table(title=Text(f"{board.dataset_name} ({board.fingerprint[:12]})"), title_justify="left")
        columns = list(dict.fromkeys([RANKING_METRIC, *headline_metrics()]))
        for name in ["rank", "model", "task", "bin", *columns]:
            if name in ("model", "task", "bin"):
                table.add_column(name, justify="left", overflow="fold", min_width=8)
            else:
                table.add_column(name, justify="right", overflow="fold")
        for row in board.all_rows:
            cells = ["ref" if row.rank is None else str(row.rank), row.label, row.task, row.bin_label]
            cells += [format_value(row.value(c), metric=c) for c in columns]
            table.add_row(*(Text(c) for c in cells))
        console.print(table, markup=False)
        console.print(
            f"board written to {item.folder}/ (open index.html)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"{len(gathered.records)} record(s) used, {len(gathered.refused)} refused, "
        f"{len(gathered.conflicts)} superseded, {len(gathered.duplicates)} duplicate(s) skipped; "
        f"index: {Path(out) / 'index.html'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
