"""Leaderboard tables: the board's CSV files, and the names the rest of benchsuite imports.

The board itself is built in :mod:`~benchsuite.leaderboard.board` (rows, ranking, ceilings per
bin, intervals and ties), its columns come from :mod:`~benchsuite.leaderboard.columns` (the
metric registry), the Markdown page is :mod:`~benchsuite.leaderboard.markdown`.

``leaderboard.csv`` has one row per (model, task) and one per (ceiling, bin), ranked rows first:
identity (rank, tie with the leader and the interval of the difference, kind, model, task,
bin), then per metric the mean over seeds with ``_lo`` / ``_hi`` (95% bootstrap interval) and
``_sd`` (over seeds), then the "% of oracle" columns and, for each own-bin main column, the
reference ceiling at the row's bin (``<metric>_<ceiling>_own_bin``).

Every CSV is safe to open in a spreadsheet: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading single quote (:func:`csv_text`); numbers (negative
ones included) are written as numbers.
"""

from __future__ import annotations

import csv
import io

from benchsuite.leaderboard.board import Board, Cell, Row, bin_label, build_boards
from benchsuite.leaderboard.columns import (
    LOWER_IS_BETTER,
    MAIN_METRICS,
    METRIC_DESCRIPTIONS,
    SORT_METRIC,
    describe_metric,
    is_own_bin,
    metric_columns,
    metric_family,
    reference_ceiling,
)
from benchsuite.leaderboard.formatting import (
    Provenance,
    derived_columns,
    format_value,
    machine_description,
    md_code,
    md_escape,
    na_notes,
    record_machines,
)
from benchsuite.leaderboard.markdown import ORIGIN_LEGEND, board_markdown, row_origin

__all__ = [
    "ORIGIN_LEGEND",
    "row_origin",
    "MAIN_METRICS",
    "LOWER_IS_BETTER",
    "METRIC_DESCRIPTIONS",
    "SORT_METRIC",
    "Cell",
    "Row",
    "Board",
    "Provenance",
    "bin_label",
    "build_boards",
    "metric_columns",
    "metric_family",
    "format_value",
    "board_csv",
    "records_csv",
    "per_target_csv",
    "board_markdown",
    "machine_description",
    "na_notes",
    "md_escape",
    "md_code",
    "describe_metric",
    "record_machines",
    "own_bin_ceiling_columns",
    "csv_text",
]

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Number(str):
    """A formatted number: written as is (only text cells are neutralised)."""


def csv_text(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with one of
    :data:`FORMULA_START` gets a leading ``'``; numbers (and :class:`_Number` text) are unchanged."""
    if isinstance(value, str) and not isinstance(value, _Number) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _SafeWriter:
    """``csv.writer`` whose rows go through :func:`csv_text`."""

    def __init__(self, buf: io.StringIO) -> None:
        self._writer = csv.writer(buf, lineterminator="\n")

    def writerow(self, fields: list) -> None:
        self._writer.writerow([csv_text(f) for f in fields])


def _csv_number(value: float | None) -> str:
    return "n/a" if value is None else _Number(repr(float(value)))


def _optional(value: float | None) -> str:
    return "" if value is None else _Number(repr(float(value)))


def _bin(row: Row) -> str:
    return "" if row.bin_size is None else str(row.bin_size)


def own_bin_ceiling_columns(board: Board) -> list[tuple[str, str]]:
    """(CSV column, metric) of the reference ceiling at the row's bin, for each own-bin main column."""
    return [(f"{m}_{reference_ceiling(m)}_own_bin", m) for m in board.columns if is_own_bin(m)]


def _tie_fields(row: Row) -> list[str]:
    if row.rank == 1:
        return ["leader", "", ""]
    if row.tie is None:
        return ["", "", ""]
    return ["tied" if row.tie.tied else "behind", _optional(row.tie.lo), _optional(row.tie.hi)]


def board_csv(board: Board) -> str:
    """The board as CSV: one row per (model, task), then per (ceiling, bin); every metric."""
    buf = io.StringIO()
    writer = _SafeWriter(buf)
    derived = derived_columns(board)
    ceilings = own_bin_ceiling_columns(board)
    header = ["rank", "tie", "tie_diff_lo", "tie_diff_hi", "kind", "model", "task", "bin_size", "bin"]
    header += ["plugin", "distribution", "version", "seeds"]
    for m in board.all_columns:
        header += [m, f"{m}_lo", f"{m}_hi", f"{m}_sd"]
    header += [d.key for d in derived] + [key for key, _ in ceilings]
    header += ["verified", "signed_by", "conflict"]
    writer.writerow(header)
    for row in board.all_rows:
        fields = ["ref" if row.rank is None else str(row.rank), *_tie_fields(row)]
        fields += [row.kind, row.model, row.task, _bin(row), row.bin_label]
        fields += [row.plugin, row.distribution, row.version, " ".join(str(s) for s in row.seeds)]
        for m in board.all_columns:
            cell = row.cells.get(m) or Cell(None)
            fields += [_csv_number(cell.value), _optional(cell.lo), _optional(cell.hi), _optional(cell.sd)]
        fields += [_optional(d.value(board, row)) for d in derived]
        for _, m in ceilings:
            found = board.own_bin_ceiling(row, m) if row.kind != "ceiling" else None
            fields.append(_optional(found[1] if found else None))
        fields += [row.verification, " ".join(row.signed_by), "true" if row.in_conflict else "false"]
        writer.writerow(fields)
    return buf.getvalue()


def records_csv(board: Board) -> str:
    """One row per record (seed) of the board: identity, bin, checksum and every metric mean."""
    buf = io.StringIO()
    writer = _SafeWriter(buf)
    writer.writerow(
        ["kind", "model", "task", "bin_size", "seed", "checksum", "created_at", *board.all_columns]
        + ["verified", "signed_by", "conflict"]
    )
    for row in board.all_rows:
        for item in row.records:
            rec = item.record
            means = [(rec["metrics"].get(m) or {}).get("mean") for m in board.all_columns]
            writer.writerow(
                [rec["kind"], row.model, row.task, _bin(row), rec["seed"], rec["checksum"]]
                + [rec["created_at"]]
                + [_csv_number(v) for v in means]
                + [str(item.verified).lower(), item.signed_by or "", str(item.conflict).lower()]
            )
    return buf.getvalue()


def per_target_csv(board: Board) -> str:
    """Long-format per-target values (mean over seeds): kind, model, task, bin, metric, target, value."""
    buf = io.StringIO()
    writer = _SafeWriter(buf)
    writer.writerow(["kind", "model", "task", "bin_size", "metric", "target", "value"])
    for row in board.all_rows:
        for metric in board.all_columns:
            for target, value in row.per_target.get(metric, {}).items():
                writer.writerow(
                    [
                        row.kind,
                        row.model,
                        row.task,
                        _bin(row),
                        metric,
                        target,
                        _csv_number(value),
                    ]
                )
    return buf.getvalue()
