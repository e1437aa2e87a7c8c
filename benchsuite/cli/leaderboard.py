"""CLI: ``benchsuite leaderboard`` builds tables, figures and HTML pages from result records."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from benchsuite.cli.output import echo_json, stdout_console, stdout_to_stderr

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.leaderboard.build import WrittenBoard
    from benchsuite.leaderboard.gather import GatherResult

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
    "Rows whose records were re-run by `benchsuite verify` and agreed are marked verified (the log: "
    "--verifications FILE, default OUT/verifications.jsonl when it exists); --trusted-keys FILE (one base64 "
    "ed25519 public key per line) marks rows signed by those keys, and a record whose signature does not "
    "hold is refused. Of two records of the same cell with different content the verified one is kept, else "
    "the one signed by a trusted key, else the newer one; the others are listed under Conflicts and a row "
    "kept on age alone is marked '⚠ conflict' (see docs/trust.md).\n\n"
    "Exit status: non-zero when no valid record remains, or with --strict when any record was refused or "
    "any conflict is unresolved."
    "\n\n"
    "--json: stdout is one JSON document instead of the tables (logs go to stderr): "
    '{"ranking_metric", "index", "boards": [{"dataset", "fingerprint", "profile", "folder", '
    '"records_used", "rows": [{"rank" (null for a ceiling), "kind" (model or ceiling), "model", "task", '
    '"bin", "bin_size", "seeds": [INT], "value" (of the ranking metric, or null), "ci95": [LO, HI] or '
    'null, "verified" (verified, partial or unverified), "signed_by": [KEY ID], "conflict" (bool)}]}], '
    '"records": {"used", "refused", "superseded", "duplicates"}, "unresolved_conflicts": INT, "refused": '
    '[{"source", "reason"}], "conflicts": [{"source", "reason", "kept", "resolved"}]}.'
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
    verifications: Path | None = None,
    trusted_keys: Path | None = None,
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
    if verifications is not None:
        args += ["--verifications", str(verifications)]
    if trusted_keys is not None:
        args += ["--trusted-keys", str(trusted_keys)]
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
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Fail (and write nothing) if any record is refused or any conflict is unresolved.",
    ),
    verifications: Path | None = typer.Option(
        None,
        "--verifications",
        help="Verification log of `benchsuite verify` (default: OUT/verifications.jsonl when it exists).",
    ),
    trusted_keys: Path | None = typer.Option(
        None, "--trusted-keys", help="File of trusted ed25519 public keys (base64, one per line)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON document on stdout instead of the tables (shape: see above)."
    ),
) -> None:
    """Build the leaderboard from result records (local folders, W&B run folders, W&B projects)."""
    from benchsuite.errors import ConfigError, RecordError
    from benchsuite.leaderboard.build import write_leaderboards
    from benchsuite.leaderboard.gather import gather_records
    from benchsuite.leaderboard.tables import Provenance, machine_description
    from benchsuite.leaderboard.trust import load_trust
    from benchsuite.results.record import current_harness_version
    from benchsuite.results.verifications import LOG_NAME

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
    if verifications is None and (Path(out) / LOG_NAME).is_file():
        verifications = Path(out) / LOG_NAME
    trust = load_trust(verifications, trusted_keys)
    with stdout_to_stderr(as_json):
        gathered = gather_records(
            records=records,
            wandb_dirs=wandb_dirs,
            wandb_projects=wandb_projects,
            fingerprint=fingerprint,
            trust=trust,
        )
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
    if strict and gathered.unresolved:
        raise RecordError(
            f"{len(gathered.unresolved)} unresolved conflict(s) and --strict is set; nothing written: "
            + "; ".join(str(c) for c in gathered.unresolved),
            source=sources,
            hint="verify the record that should stand (`benchsuite verify`), sign it, or remove the other",
        )
    provenance = Provenance(
        command=_command_line(
            records, wandb_dirs, wandb_projects, out, title, fingerprint, strict, verifications, trusted_keys
        ),
        harness_version=current_harness_version(),
        machine=machine_description(),
        title=title or "benchsuite leaderboard",
    )
    with stdout_to_stderr(as_json):
        written = write_leaderboards(gathered, out, provenance)
    if as_json:
        echo_json(_leaderboard_json(written, gathered, out))
    else:
        _print_boards(written, gathered, out)


def _print_boards(written: list[WrittenBoard], gathered: GatherResult, out: Path) -> None:
    """The console tables of the boards (ranking metric first, then the headline metrics)."""
    from rich.table import Table
    from rich.text import Text

    from benchsuite.evaluate.registry import headline_metrics
    from benchsuite.leaderboard.tables import format_value

    console = stdout_console()
    for item in written:
        board = item.board
        table = Table(title=Text(f"{board.dataset_name} ({board.fingerprint[:12]})"), title_justify="left")
        columns = list(dict.fromkeys([board.ranking_metric, *headline_metrics()]))
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
        f"{len(gathered.conflicts)} superseded ({len(gathered.unresolved)} unresolved conflict(s)), "
        f"{len(gathered.duplicates)} duplicate(s) skipped; "
        f"index: {Path(out) / 'index.html'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _leaderboard_json(written: list[WrittenBoard], gathered: GatherResult, out: Path) -> dict[str, Any]:
    """The ``--json`` document of ``benchsuite leaderboard`` (shape: see :data:`_DESCRIPTION`)."""
    from benchsuite.evaluate.registry import RANKING_METRIC

    boards = []
    for item in written:
        board = item.board
        rows = []
        for row in board.all_rows:
            cell = row.cells.get(board.ranking_metric)
            has_interval = cell is not None and cell.lo is not None and cell.hi is not None
            rows.append(
                {
                    "rank": row.rank,
                    "kind": row.kind,
                    "model": row.model,
                    "task": row.task,
                    "bin": row.bin_label,
                    "bin_size": row.bin_size,
                    "seeds": list(row.seeds),
                    "value": row.value(board.ranking_metric),
                    "ci95": [cell.lo, cell.hi] if cell is not None and has_interval else None,
                    "verified": row.verification,
                    "signed_by": row.signed_by,
                    "conflict": row.in_conflict,
                }
            )
        boards.append(
            {
                "dataset": board.dataset_name,
                "fingerprint": board.fingerprint,
                "profile": board.profile,
                "ranking_metric": board.ranking_metric,
                "folder": str(item.folder),
                "records_used": sum(len(row.records) for row in board.all_rows),
                "rows": rows,
            }
        )
    return {
        "ranking_metric": RANKING_METRIC,
        "index": str(Path(out) / "index.html"),
        "boards": boards,
        "records": {
            "used": len(gathered.records),
            "refused": len(gathered.refused),
            "superseded": len(gathered.conflicts),
            "duplicates": len(gathered.duplicates),
        },
        "unresolved_conflicts": len(gathered.unresolved),
        "refused": [{"source": r.source, "reason": r.reason} for r in gathered.refused],
        "conflicts": [
            {
                "source": c.source,
                "reason": c.reason,
                "kept": getattr(c, "kept", ""),
                "resolved": bool(getattr(c, "resolved", False)),
            }
            for c in gathered.conflicts
        ],
    }
