"""CLI: ``benchsuite verify`` — re-run result records from their pinned settings and compare."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from benchsuite.cli.output import echo_json, stdout_console, stdout_to_stderr

log = logging.getLogger(__name__)

VERIFY_HELP = (
    "Re-run each record's cell from its pinned settings and report whether its numbers agree."
    "\n\n"
    "--mode retrain (default) trains the cell again (same model, task, seed, profile, epoch budget, dataset) "
    "into a scratch folder and compares every metric entry and the hash of the trained weights; it refuses "
    "when the installed plugin's version or files hash, or the bundle's dataset fingerprint, is not the "
    "record's. --mode reevaluate needs the cell's checkpoint.ckpt beside the record: it checks the weights "
    "hash and re-runs the evaluation only. Values agree when |a - b| <= atol + rtol * |b|."
    "\n\n"
    "Each result is appended to the verification log (--log, JSON lines; default "
    "leaderboards/verifications.jsonl, where `benchsuite leaderboard --out leaderboards` reads it to mark "
    "verified rows). Exit status 0 only when every record was verified, 1 otherwise."
    "\n\n"
    '--json: {"results": [{"source", "verdict", "mode", "model", "task", "seed", "record_checksum", '
    '"max_abs_diff", "worst_metric", "weights_match", "reason"}], "log", "all_verified"}.'
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite verify`` to the root app."""
    app.command("verify", help=VERIFY_HELP)(verify)


def verify(
    records: list[Path] = typer.Argument(..., help="Record files (record.json) to verify."),
    bundle: Path | None = typer.Option(
        None, "--bundle", help="Bundle folder or manifest (default: the record's, or its simulated bundle)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Scratch folder of the re-run (default: a temporary folder, removed)."
    ),
    atol: float = typer.Option(1e-6, "--atol", help="Absolute tolerance."),
    rtol: float = typer.Option(1e-6, "--rtol", help="Relative tolerance (of the record's value)."),
    mode: str = typer.Option("retrain", "--mode", help="retrain or reevaluate."),
    log_file: Path = typer.Option(
        Path("leaderboards") / "verifications.jsonl",
        "--log",
        help="Verification log (JSON lines) to append to.",
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Dataset cache folder (default $BENCHSUITE_CACHE)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON document on stdout (shape: see above)."
    ),
) -> None:
    """Verify result records by re-running their cells."""
    from benchsuite.results.verifications import append_log
    from benchsuite.results.verify import verify_records

    with stdout_to_stderr(as_json):
        results = verify_records(
            list(records), mode=mode, bundle=bundle, out=out, atol=atol, rtol=rtol, cache_dir=cache
        )
    append_log(log_file, results)
    all_ok = all(r.ok for r in results)
    if as_json:
        echo_json(
            {
                "results": [
                    {
                        "source": r.source,
                        "verdict": r.verdict,
                        "mode": r.mode,
                        "model": r.model,
                        "task": r.task,
                        "seed": r.seed,
                        "record_checksum": r.checksum,
                        "max_abs_diff": r.max_abs_diff,
                        "worst_metric": r.worst_metric,
                        "weights_match": r.weights_match,
                        "reason": r.reason,
                    }
                    for r in results
                ],
                "log": str(log_file),
                "all_verified": all_ok,
            }
        )
    else:
        _print_table(results, log_file, atol, rtol)
    if not all_ok:
        raise typer.Exit(1)


def _print_table(results: list, log_file: Path, atol: float, rtol: float) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"verification (atol {atol:g}, rtol {rtol:g})"), title_justify="left")
    for name in ("record", "model", "task", "seed", "verdict", "worst metric", "max |diff|", "detail"):
        table.add_column(name, overflow="fold")
    for r in results:
        diff = "-" if r.max_abs_diff is None else f"{r.max_abs_diff:.3g}"
        table.add_row(
            *(
                Text(str(c))
                for c in (
                    r.source,
                    r.model or "-",
                    r.task or "-",
                    r.seed,
                    r.verdict,
                    r.worst_metric or "-",
                    diff,
                )
            ),
            Text(r.reason or ""),
        )
    console = stdout_console()
    console.print(table, markup=False)
    ok = sum(r.ok for r in results)
    console.print(
        f"{ok} of {len(results)} record(s) verified; log: {log_file}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
