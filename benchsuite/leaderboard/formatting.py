"""What every board output shares: provenance, number formats, column labels and the derived
"% of ceiling" columns, Markdown escaping and the n/a notes."""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from benchsuite import __version__
from benchsuite.evaluate.registry import metric_spec
from benchsuite.leaderboard.board import Board, Cell, Row
from benchsuite.leaderboard.columns import LOWER_IS_BETTER, SORT_METRIC, is_own_bin, metric_family
from benchsuite.leaderboard.intervals import Tie

__all__ = [
    "TIE_MARK",
    "Derived",
    "Provenance",
    "cell_text",
    "column_label",
    "derived_columns",
    "format_interval",
    "format_percent",
    "format_value",
    "machine_description",
    "md_code",
    "md_escape",
    "na_notes",
    "precision_note",
    "record_precision",
    "record_machines",
    "tie_text",
]

#: the mark of a row tied with the leader
TIE_MARK = "≈"
OWN_BIN_PCT = "wholechrom.pearson"  # the own-bin metric that gets a "% of oracle (own bin)" column


@dataclass(frozen=True)
class Provenance:
    """Header of every output: how, with what and where the board was made."""

    command: str
    benchsuite_version: str = __version__
    harness_version: str = ""
    machine: str = ""
    title: str = "benchsuite leaderboard"


def machine_description() -> str:
    """The machine building the board: platform, CPU model and count, Python."""
    from benchsuite.results.record import environment_info

    env = environment_info()
    cpu = env.get("cpu") or {}
    return (
        f"{platform.system()} {platform.machine()}, {cpu.get('model', '?')} x{cpu.get('count', '?')}, "
        f"Python {env.get('python')}"
    )


def _record_machine(record: Mapping) -> str:
    env = record.get("environment") or {}
    cpu = env.get("cpu") or {}
    gpus = env.get("gpu") or []
    text = f"{cpu.get('model', '?')} x{cpu.get('count', '?')}"
    if gpus:
        text += " + " + ", ".join(sorted(set(gpus)))
    return f"{text}; torch {env.get('torch')}"


def record_machines(board: Board) -> list[str]:
    """Distinct machines (CPU/GPU/torch) on which the board's records were computed."""
    return sorted({_record_machine(r.record) for row in board.all_rows for r in row.records})


def record_precision(record: Mapping) -> str:
    """The training precision of a model record (``hyperparameters.trainer.precision``, e.g.
    ``32-true`` or ``bf16-mixed``); ``"?"`` when it was not recorded."""
    trainer = (record.get("hyperparameters") or {}).get("trainer") or {}
    return str(trainer.get("precision") or "?") if isinstance(trainer, Mapping) else "?"


def precision_note(board: Board) -> str | None:
    """A warning when the ranked rows were trained at more than one precision (which rows at
    which), else None: a reduced precision moves results, so a mixed ranking must say so."""
    by_precision: dict[str, list[str]] = {}
    for row in board.rows:
        if row.kind == "ceiling":
            continue
        for precision in sorted({record_precision(r.record) for r in row.records}):
            by_precision.setdefault(precision, []).append(f"{row.label} / {row.task}")
    if len(by_precision) < 2:
        return None
    parts = [
        f"{precision}: {len(rows)} row{'s' if len(rows) != 1 else ''}"
        + (f" ({', '.join(rows)})" if len(rows) <= 6 else "")
        for precision, rows in sorted(by_precision.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return (
        "⚠ Mixed training precisions in this ranking: "
        + "; ".join(parts)
        + ". Reduced precision (e.g. bf16-mixed) changes the numbers, so rows of different precisions "
        "are not strictly comparable; rerun them at one precision (--precision) to compare them."
    )


def _number(x: float, metric: str | None) -> str:
    if metric in LOWER_IS_BETTER or abs(x) >= 1e4:
        return f"{x:.3g}"
    return f"{x:.3f}"


def format_value(value: float | None, sd: float | None = None, metric: str | None = None) -> str:
    """Human-readable number; ``n/a`` for None.

    Correlations, AUROC/AUPR and ratios (bounded scores) get 3 decimals; unbounded or
    lower-is-better quantities (variation, MSE, q-values: see :data:`LOWER_IS_BETTER`) get 3
    significant digits, so small values stay readable. ``sd``: `` ± sd`` over seeds.
    """
    if value is None:
        return "n/a"
    return f"{_number(value, metric)} ± {_number(sd, metric)}" if sd is not None else _number(value, metric)


def format_interval(lo: float | None, hi: float | None, metric: str | None = None) -> str:
    """``[lo, hi]`` in the metric's number format ('' without an interval)."""
    if lo is None or hi is None:
        return ""
    return f"[{_number(lo, metric)}, {_number(hi, metric)}]"


def format_percent(value: float | None) -> str:
    """``"87.1%"``; ``n/a`` for None."""
    return "n/a" if value is None else f"{value:.1f}%"


def cell_text(cell: Cell, metric: str) -> str:
    """A cell as text: value (± SD over seeds) and its 95% interval, e.g. ``0.712 [0.690, 0.730]``."""
    text = format_value(cell.value, cell.sd, metric)
    interval = format_interval(cell.lo, cell.hi, metric) if cell.value is not None else ""
    return f"{text} {interval}" if interval else text


def tie_text(tie: Tie | None, rank: int | None, metric: str = SORT_METRIC) -> tuple[str, str]:
    """(mark, explanation) of a row's comparison with the leader on ``metric`` (the ranking one)."""
    if rank == 1:
        return "", f"the leader on {metric}"
    if tie is None:
        return "", "no paired bootstrap replicates: not compared with the leader"
    verdict = "tied with the leader" if tie.tied else "behind the leader"
    detail = f"95% interval of the difference to the leader [{tie.lo:+.3f}, {tie.hi:+.3f}]"
    return (TIE_MARK if tie.tied else ""), f"{verdict}: {detail}"


def column_label(metric: str, common_bin: int | None, threshold_counts: dict[str, int] | None = None) -> str:
    """Header text: the metric with its resolution (``own bin`` or the common bin in bp); a
    thresholded Pearson also says how many test tiles it rests on (``n=303``)."""
    if is_own_bin(metric):
        threshold = metric.partition("@")[2]
        if threshold and threshold_counts and threshold in threshold_counts:
            return f"{metric} (own bin, n={threshold_counts[threshold]:,})"
        return f"{metric} (own bin)"
    spec = metric_spec(metric)
    if spec is not None and spec.resolution == "common bin":
        return f"{metric} ({common_bin} bp)" if common_bin else f"{metric} (common bin)"
    return metric


@dataclass(frozen=True)
class Derived:
    """A column computed from the board (not stored in a record): follows metric column ``after``."""

    key: str  # CSV column name
    header: str
    tooltip: str
    after: str
    value: Callable[[Board, Row], float | None]


def derived_columns(board: Board) -> list[Derived]:
    """The "% of ceiling" columns: the ranking metric against the oracle at the common bin, the
    own-bin whole-chromosome Pearson against the oracle at the row's own bin."""
    out: list[Derived] = []
    if board.ranking_metric == SORT_METRIC and SORT_METRIC in board.columns:
        common = f"{board.common_bin} bp" if board.common_bin else "the common bin"
        out.append(
            Derived(
                f"{SORT_METRIC}_pct_oracle",
                "% of oracle",
                f"{SORT_METRIC} in percent of the oracle's at the common bin ({common}); the oracle is "
                "the simulator's noise-free expected coverage",
                SORT_METRIC,
                lambda b, r: b.pct_of_oracle(r),
            )
        )
    if OWN_BIN_PCT in board.columns:
        out.append(
            Derived(
                f"{OWN_BIN_PCT}_pct_oracle_own_bin",
                "% of oracle (own bin)",
                f"{OWN_BIN_PCT} in percent of the oracle's at the row's own bin (the oracle computed "
                "at that bin)",
                OWN_BIN_PCT,
                lambda b, r: b.pct_of_own_oracle(r, OWN_BIN_PCT),
            )
        )
    return out


def md_escape(text: object) -> str:
    """Escape text for a Markdown table cell (HTML-special characters, pipes, emphasis, backticks)."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace("\\", "\\\\")
    for ch in "|`*_[]":
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ").replace("\r", " ")


def md_code(text: str) -> str:
    if "`" in text or "\n" in text:
        return md_escape(text)
    return f"`{text}`"


def na_notes(board: Board) -> list[tuple[str, str, str]]:
    """(row label/task, metric family, reason) for every n/a main column, one per family; a
    ceiling's note names the bins it holds for unless it holds for all of them."""
    notes: dict[tuple[str, str, str], list[str]] = {}
    bins_of: dict[str, set[str]] = {}
    for row in board.all_rows:
        who = f"{row.label} / {row.task}"
        bins_of.setdefault(who, set()).add(row.bin_label)
        seen: set[str] = set()
        for m in board.columns:
            cell = row.cells.get(m)
            family = metric_family(m)
            if cell is None or cell.value is not None or family in seen:
                continue
            seen.add(family)
            notes.setdefault((who, family, cell.reason or "not reported"), []).append(row.bin_label)
    out = []
    for (who, family, reason), bins in notes.items():
        if len(bins_of[who]) > 1 and set(bins) != bins_of[who]:
            who = f"{who} at {', '.join(bins)}"
        out.append((who, family, reason))
    return out
