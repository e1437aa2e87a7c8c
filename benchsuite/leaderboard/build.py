"""Write the leaderboard folder.

Layout of ``<out>/`` (default ``leaderboards/``)::

    index.html                 every board in <out>/ (read from their board.json)
    README.md                  the same, as Markdown
    <dataset>/                 one folder per dataset fingerprint (the dataset name, plus the
                               fingerprint prefix when two boards share a name); replaced atomically
        index.html             self-contained page: sortable table, per-target table, figures (base64)
        leaderboard.md         header (command, versions, fingerprint, machine), table, n/a reasons
        leaderboard.csv        one row per (model, task), then per (ceiling, bin): every metric (mean
                               over seeds, _lo/_hi 95% interval, _sd over seeds), ties, % of ceiling
        records.csv            one row per record (seed, ceiling bin) with its checksum, verified,
                               signed_by (trusted key id) and conflict
        per_target.csv         long format: kind, model, task, bin_size, metric, target, value
        board.json             provenance, ranking metric and common bin, column groups, rows (values,
                               intervals, ties, % of ceiling, verified/signed_by/conflict), the records
                               used (source, checksum, verified), refusals, conflicts (kept, resolved)
        figures/*.png          AUROC / CAGI5 / robustness scatters, best model's motif logos
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchsuite.io.atomic import atomic_directory, atomic_write
from benchsuite.leaderboard.board import Board, Row, build_boards
from benchsuite.leaderboard.columns import SORT_METRIC
from benchsuite.leaderboard.figures import make_figures
from benchsuite.leaderboard.formatting import (
    Derived,
    Provenance,
    derived_columns,
    md_code,
    md_escape,
    tie_text,
)
from benchsuite.leaderboard.gather import GatherResult
from benchsuite.leaderboard.html import render_board_html, render_index_html
from benchsuite.leaderboard.markdown import board_markdown
from benchsuite.leaderboard.tables import board_csv, per_target_csv, records_csv

__all__ = ["BOARD_FILES", "WrittenBoard", "write_board", "write_index", "write_leaderboards"]

log = logging.getLogger(__name__)

BOARD_FILES = (
    "index.html",
    "leaderboard.md",
    "leaderboard.csv",
    "records.csv",
    "per_target.csv",
    "board.json",
)


@dataclass(frozen=True)
class WrittenBoard:
    """A board and the folder it was written to."""

    board: Board
    folder: Path


def _row_json(board: Board, row: Row, derived: list[Derived]) -> dict:
    _, tie_note = tie_text(row.tie, row.rank, board.ranking_metric)
    return {
        "rank": row.rank,
        "kind": row.kind,
        "model": row.model,
        "task": row.task,
        "bin_size": row.bin_size,
        "bin": row.bin_label,
        "seeds": row.seeds,
        "values": {m: row.value(m) for m in board.all_columns},
        "ci95": {m: [c.lo, c.hi] for m, c in row.cells.items() if c.lo is not None and c.hi is not None},
        "sd": {m: c.sd for m, c in row.cells.items() if c.sd is not None},
        "derived": {d.key: d.value(board, row) for d in derived},
        "tie": None
        if row.tie is None
        else {"tied": row.tie.tied, "diff_ci95": [row.tie.lo, row.tie.hi], "n": row.tie.n},
        "tie_note": tie_note,
        "verified": row.verification,
        "signed_by": row.signed_by,
        "conflict": row.in_conflict,
    }


def _board_json(
    board: Board, provenance: Provenance, figures: dict[str, Path], gathered: GatherResult | None
) -> dict:
    best = board.best_row()
    derived = derived_columns(board)
    return {
        "board_format": 2,
        "title": provenance.title,
        "command": provenance.command,
        "benchsuite_version": provenance.benchsuite_version,
        "harness_version": provenance.harness_version,
        "machine": provenance.machine,
        "dataset": {
            "name": board.dataset_name,
            "names": board.dataset_names,
            "fingerprint": board.fingerprint,
            "profile": board.profile,
        },
        "slug": board.slug,
        "ranking": {
            "metric": SORT_METRIC,
            "common_bin": board.common_bin,
            "input_length": board.input_length,
            "oracle_at_common_bin": board.oracle_common(),
        },
        "columns": board.columns,
        "groups": [{"group": label, "columns": cols} for label, cols in board.groups],
        "best": None
        if best is None
        else {"model": best.model, "task": best.task, SORT_METRIC: best.value(SORT_METRIC)},
        "rows": [_row_json(board, row, derived) for row in board.all_rows],
        "records": [
            {
                "source": it.source,
                "origin": it.origin,
                "checksum": it.checksum,
                "verified": it.verified,
                "signed_by": it.signed_by,
                "conflict": it.conflict,
            }
            for row in board.all_rows
            for it in row.records
        ],
        "figures": {caption: f"figures/{path.name}" for caption, path in figures.items()},
        "sources": list(gathered.sources) if gathered else [],
        "duplicates": [list(d) for d in gathered.duplicates] if gathered else [],
        "refused": [{"source": r.source, "reason": r.reason} for r in board.refused],
        "superseded": [{"source": r.source, "reason": r.reason} for r in board.conflicts],
        "conflicts": [
            {
                "source": r.source,
                "reason": r.reason,
                "kept": getattr(r, "kept", ""),
                "resolved": bool(getattr(r, "resolved", False)),
            }
            for r in board.conflicts
        ],
        "verifications": gathered.trust_log if gathered else None,
    }


def write_board(
    board: Board, out: Path, provenance: Provenance, gathered: GatherResult | None = None
) -> Path:
    """Write one board folder ``<out>/<board.slug>/`` atomically (replacing an older one).

    Returns
    -------
    pathlib.Path
        The board folder.
    """
    target = Path(out) / board.slug
    with atomic_directory(target) as tmp:
        figures = make_figures(board, tmp / "figures")
        (tmp / "leaderboard.md").write_text(board_markdown(board, provenance, figures), encoding="utf-8")
        (tmp / "leaderboard.csv").write_text(board_csv(board), encoding="utf-8")
        (tmp / "records.csv").write_text(records_csv(board), encoding="utf-8")
        (tmp / "per_target.csv").write_text(per_target_csv(board), encoding="utf-8")
        downloads = ["leaderboard.csv", "per_target.csv", "records.csv", "leaderboard.md", "board.json"]
        (tmp / "index.html").write_text(
            render_board_html(board, provenance, figures, downloads), encoding="utf-8"
        )
        meta = _board_json(board, provenance, figures, gathered)
        (tmp / "board.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("board %s -> %s", board.dataset_name, target)
    return target


def _index_entries(out: Path) -> list[dict]:
    entries = []
    for meta_path in sorted(Path(out).glob("*/board.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            best = meta.get("best") or {}
            entries.append(
                {
                    "slug": meta_path.parent.name,
                    "dataset": meta["dataset"]["name"],
                    "fingerprint": meta["dataset"]["fingerprint"],
                    "profile": meta["dataset"].get("profile"),
                    "models": sum(1 for r in meta.get("rows", []) if r.get("kind") != "ceiling"),
                    "best_model": f"{best['model']} ({best['task']})" if best else None,
                    "best_value": best.get(SORT_METRIC) if best else None,
                }
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: not a board summary, left out of the index (%s)", meta_path, exc)
    return entries


def write_index(out: Path, provenance: Provenance) -> Path:
    """Write ``<out>/index.html`` and ``<out>/README.md`` listing every board folder in ``out``."""
    out = Path(out)
    entries = _index_entries(out)
    with atomic_write(out / "index.html", "w", encoding="utf-8") as handle:
        handle.write(render_index_html(entries, provenance))
    lines = [
        f"# {md_escape(provenance.title)}",
        "",
        f"Produced by {md_code(provenance.command)} (benchsuite {provenance.benchsuite_version}, "
        f"harness {provenance.harness_version}). Open `index.html` for the sortable pages with figures.",
        "",
        f"| dataset | profile | fingerprint | models | best model | {SORT_METRIC} |",
        "|:---|:---|:---|---:|:---|---:|",
    ]
    for e in entries:
        value = "n/a" if e["best_value"] is None else f"{e['best_value']:.3f}"
        lines.append(
            f"| [{md_escape(e['dataset'])}]({e['slug']}/leaderboard.md) | {md_escape(e['profile'] or '')} | "
            f"`{str(e['fingerprint'])[:12]}` | {e['models']} | "
            f"{md_escape(e['best_model'] or 'n/a')} | {value} |"
        )
    with atomic_write(out / "README.md", "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return out / "index.html"


def write_leaderboards(gathered: GatherResult, out: str | Path, provenance: Provenance) -> list[WrittenBoard]:
    """Build one board per dataset from gathered records and write them, plus the index.

    Parameters
    ----------
    gathered:
        Verified records and refusals (:func:`benchsuite.leaderboard.gather.gather_records`).
    out:
        The leaderboard folder (e.g. ``leaderboards/``).
    provenance:
        Header information (command, versions, machine, title).

    Returns
    -------
    list of WrittenBoard
        Empty when no record was valid (nothing is written then).
    """
    boards: Sequence[Board] = build_boards(gathered.records, gathered.refused, gathered.conflicts)
    out = Path(out)
    written = [WrittenBoard(b, write_board(b, out, provenance, gathered)) for b in boards]
    if written:
        write_index(out, provenance)
    return written
