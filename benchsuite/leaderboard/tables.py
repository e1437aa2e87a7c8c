"""Leaderboard tables: one board per dataset fingerprint, one row per (model, task).

A row aggregates the seeds of a (model, task): each metric is the mean over seeds of the
record's mean over targets (the standard deviation over seeds is shown when there are several).
Ceilings (records with ``kind == "ceiling"``: oracle, replicate 2) are reference rows at the
bottom and are not ranked. Rows are sorted by ``wholechrom.pearson`` (best first; n/a last).

A metric is ``n/a`` when no record of the row reports it; the reason comes from the records'
``not_applicable`` (keyed by metric family, e.g. ``cagi5``, or by the full metric name).
"""

from __future__ import annotations

import csv
import io
import math
import platform
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchsuite import __version__
from benchsuite.evaluate.registry import METRICS, board_metrics
from benchsuite.leaderboard.gather import Refusal, SourcedRecord

__all__ = [
    "MAIN_METRICS",
    "LOWER_IS_BETTER",
    "METRIC_DESCRIPTIONS",
    "Cell",
    "Row",
    "Board",
    "Provenance",
    "build_boards",
    "metric_columns",
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
]

#: the leaderboard's columns, in order (from the metric registry); ``thresholded.pearson@*`` stands
#: for every threshold and goes after perseq.pearson
MAIN_METRICS: tuple[str, ...] = board_metrics()
SORT_METRIC = "wholechrom.pearson"
#: metrics where a smaller value is better (sort direction, figure axes), from the registry
LOWER_IS_BETTER = frozenset(m.name for m in METRICS if not m.higher_is_better)
#: one-sentence definitions (header tooltips), from the registry; thresholds share one entry
METRIC_DESCRIPTIONS: dict[str, str] = {m.name.partition("@")[0]: m.definition for m in METRICS}


def metric_family(name: str) -> str:
    """``"cagi5.robust"`` -> ``"cagi5"``; ``"thresholded.pearson@2"`` -> ``"thresholded"``."""
    return name.split(".", 1)[0].split("@", 1)[0]


def describe_metric(name: str) -> str:
    """One-line description of a metric (for table header tooltips), from the metric registry."""
    base, _, threshold = name.partition("@")
    text = METRIC_DESCRIPTIONS.get(base, name)
    return f"{text} (threshold {threshold})" if threshold else text


def _threshold_key(name: str) -> tuple[float, str]:
    _, _, t = name.partition("@")
    try:
        return (float(t), name)
    except ValueError:
        return (math.inf, name)


def metric_columns(names: Iterable[str], *, include_extra: bool) -> list[str]:
    """Order metric names: the main columns first (thresholds sorted numerically), then the rest.

    Parameters
    ----------
    names:
        Metric names present in the records.
    include_extra:
        Append metrics that are not main columns (sorted by name).
    """
    present = set(names)
    thresholds = sorted((n for n in present if n.startswith("thresholded.pearson@")), key=_threshold_key)
    cols: list[str] = []
    for m in MAIN_METRICS:
        cols.extend(thresholds if m == "thresholded.pearson@*" else [m])
    if include_extra:
        cols.extend(sorted(present - set(cols)))
    return cols


@dataclass(frozen=True)
class Cell:
    """One aggregated metric of a row."""

    value: float | None  # mean over seeds; None = n/a
    sd: float | None = None  # standard deviation over seeds (None with one seed)
    n: int = 0  # seeds that reported the metric
    reason: str | None = None  # why it is n/a


@dataclass
class Row:
    """A (model, task) of a board, aggregated over its seeds."""

    kind: str
    model: str
    task: str
    plugin: str
    distribution: str
    version: str
    seeds: list[int]
    cells: dict[str, Cell]
    records: list[SourcedRecord]
    per_target: dict[str, dict[str, float | None]]  # metric -> target -> mean over seeds
    rank: int | None = None

    @property
    def label(self) -> str:
        return f"{self.model} ({self.kind})" if self.kind == "ceiling" else self.model

    def value(self, metric: str) -> float | None:
        cell = self.cells.get(metric)
        return cell.value if cell else None


@dataclass
class Board:
    """The leaderboard of one dataset (one fingerprint)."""

    dataset_name: str
    fingerprint: str
    profile: str | None
    rows: list[Row]  # ranked models
    reference_rows: list[Row]  # ceilings
    columns: list[str]  # main columns (Markdown/HTML)
    all_columns: list[str]  # every metric present (CSV)
    targets: list[str]
    slug: str = ""
    refused: list[Refusal] = field(default_factory=list)
    conflicts: list[Refusal] = field(default_factory=list)
    dataset_names: list[str] = field(default_factory=list)  # all names seen for this fingerprint

    @property
    def all_rows(self) -> list[Row]:
        return [*self.rows, *self.reference_rows]

    def best_row(self) -> Row | None:
        """The rank-1 model (None when the board has no model rows)."""
        return self.rows[0] if self.rows else None


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


def _na_reason(records: Sequence[SourcedRecord], metric: str) -> str:
    for item in records:
        na = item.record.get("not_applicable") or {}
        for key in (metric, metric.partition("@")[0], metric_family(metric)):
            if key in na:
                return str(na[key])
    return "not reported by the record"


def _aggregate(records: list[SourcedRecord], metrics: Iterable[str]) -> tuple[dict, dict]:
    cells: dict[str, Cell] = {}
    per_target: dict[str, dict[str, float | None]] = {}
    for metric in metrics:
        values: list[float] = []
        targets: dict[str, list[float]] = {}
        for item in records:
            entry = item.record["metrics"].get(metric)
            if not entry:
                continue
            if entry.get("mean") is not None:
                values.append(float(entry["mean"]))
            for target, v in (entry.get("per_target") or {}).items():
                if v is not None:
                    targets.setdefault(target, []).append(float(v))
        if values:
            cells[metric] = Cell(
                value=math.fsum(values) / len(values),
                sd=statistics.stdev(values) if len(values) > 1 else None,
                n=len(values),
            )
        else:
            cells[metric] = Cell(value=None, reason=_na_reason(records, metric))
        if targets:
            per_target[metric] = {t: math.fsum(v) / len(v) for t, v in sorted(targets.items())}
    return cells, per_target


def _slugify(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")
    return slug[:80] or "dataset"


def build_boards(
    records: Sequence[SourcedRecord], refused: Sequence[Refusal] = (), conflicts: Sequence[Refusal] = ()
) -> list[Board]:
    """Group verified records by dataset fingerprint and build one board per dataset.

    Parameters
    ----------
    records:
        Verified, deduplicated records (:attr:`GatherResult.records`).
    refused:
        Refusals to attach to every board (they are listed on each page).
    conflicts:
        Superseded records to attach to every board (listed on each page).

    Returns
    -------
    list of Board
        Sorted by dataset name; each with ranked model rows and ceiling reference rows, and a
        unique folder name (``slug``: the dataset name, plus the fingerprint prefix when two
        boards share a name).
    """
    by_fp: dict[str, list[SourcedRecord]] = {}
    for item in records:
        by_fp.setdefault(item.record["dataset"]["fingerprint"], []).append(item)
    boards: list[Board] = []
    for fp, items in by_fp.items():
        names = sorted({it.record["dataset"]["name"] for it in items})
        profiles = sorted(
            {str(it.record["dataset"]["profile"]) for it in items if it.record["dataset"]["profile"]}
        )
        metric_names = {m for it in items for m in it.record["metrics"]}
        groups: dict[tuple[str, str, str], list[SourcedRecord]] = {}
        for it in items:
            rec = it.record
            groups.setdefault((rec["kind"], rec["model"]["name"], rec["task"]), []).append(it)
        all_columns = metric_columns(metric_names, include_extra=True)
        main_columns = metric_columns(
            metric_names | (set(MAIN_METRICS) - {"thresholded.pearson@*"}), include_extra=False
        )
        rows: list[Row] = []
        for (kind, model, task), group in groups.items():
            group.sort(key=lambda it: (int(it.record["seed"]), it.record["created_at"]))
            first = group[0].record["model"]
            cells, per_target = _aggregate(group, all_columns)
            for m in main_columns:
                if m not in cells:
                    cells[m] = Cell(value=None, reason=_na_reason(group, m))
            rows.append(
                Row(
                    kind=kind,
                    model=model,
                    task=task,
                    plugin=first["plugin"],
                    distribution=first["distribution"],
                    version=first["version"],
                    seeds=[int(it.record["seed"]) for it in group],
                    cells=cells,
                    records=group,
                    per_target=per_target,
                )
            )
        models = sorted((r for r in rows if r.kind != "ceiling"), key=_row_sort_key)
        for rank, row in enumerate(models, start=1):
            row.rank = rank
        ceilings = sorted((r for r in rows if r.kind == "ceiling"), key=_row_sort_key)
        targets = sorted({t for r in rows for per in r.per_target.values() for t in per})
        boards.append(
            Board(
                dataset_name=names[0],
                dataset_names=names,
                fingerprint=fp,
                profile=profiles[0] if len(profiles) == 1 else (", ".join(profiles) or None),
                rows=models,
                reference_rows=ceilings,
                columns=main_columns,
                all_columns=all_columns,
                targets=targets,
                refused=list(refused),
                conflicts=list(conflicts),
            )
        )
    boards.sort(key=lambda b: (b.dataset_name, b.fingerprint))
    slugs = [_slugify(b.dataset_name) for b in boards]
    for board, slug in zip(boards, slugs, strict=True):
        board.slug = slug if slugs.count(slug) == 1 else f"{slug}-{board.fingerprint[:12]}"
    return boards


def _row_sort_key(row: Row) -> tuple:
    v = row.value(SORT_METRIC)
    return (v is None, -(v if v is not None else 0.0), row.model, row.task)


def format_value(value: float | None, sd: float | None = None, metric: str | None = None) -> str:
    """Human-readable number; ``n/a`` for None.

    Correlations, AUROC/AUPR and ratios (bounded scores) get 3 decimals; unbounded or
    lower-is-better quantities (variation, MSE, q-values: see :data:`LOWER_IS_BETTER`) get 3
    significant digits, so small values stay readable.
    """
    if value is None:
        return "n/a"
    significant = metric in LOWER_IS_BETTER

    def fmt(x: float) -> str:
        if significant or abs(x) >= 1e4:
            return f"{x:.3g}"
        return f"{x:.3f}"

    return f"{fmt(value)} ± {fmt(sd)}" if sd is not None else fmt(value)


def _csv_number(value: float | None) -> str:
    return "n/a" if value is None else repr(float(value))


def board_csv(board: Board) -> str:
    """The board as CSV: one row per (model, task), every metric (mean over seeds), ceilings last."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        ["rank", "kind", "model", "task", "plugin", "distribution", "version", "seeds", *board.all_columns]
    )
    for row in board.all_rows:
        writer.writerow(
            [
                row.rank if row.rank is not None else "ref",
                row.kind,
                row.model,
                row.task,
                row.plugin,
                row.distribution,
                row.version,
                " ".join(str(s) for s in row.seeds),
                *(_csv_number(row.value(m)) for m in board.all_columns),
            ]
        )
    return buf.getvalue()


def records_csv(board: Board) -> str:
    """One row per record (seed) of the board: identity, checksum and every metric mean."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["kind", "model", "task", "seed", "checksum", "created_at", *board.all_columns])
    for row in board.all_rows:
        for item in row.records:
            rec = item.record
            means = [(rec["metrics"].get(m) or {}).get("mean") for m in board.all_columns]
            writer.writerow(
                [rec["kind"], row.model, row.task, rec["seed"], rec["checksum"], rec["created_at"]]
                + [_csv_number(v) for v in means]
            )
    return buf.getvalue()


def per_target_csv(board: Board) -> str:
    """Long-format per-target values (mean over seeds): kind, model, task, metric, target, value."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["kind", "model", "task", "metric", "target", "value"])
    for row in board.all_rows:
        for metric in board.all_columns:
            for target, value in row.per_target.get(metric, {}).items():
                writer.writerow([row.kind, row.model, row.task, metric, target, _csv_number(value)])
    return buf.getvalue()


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


def board_markdown(board: Board, provenance: Provenance, figures: Mapping[str, Path] | None = None) -> str:
    """The board as a Markdown page: header, table (ceilings at the bottom), n/a reasons, figures, refusals.

    Parameters
    ----------
    board:
        The board.
    provenance:
        Command, versions and machine for the header.
    figures:
        ``name -> path`` of figure files, linked relative to the board folder.
    """
    lines = [f"# {md_escape(provenance.title)}: {md_escape(board.dataset_name)}", ""]
    lines += [
        f"- Produced by: {md_code(provenance.command)}",
        f"- benchsuite {md_escape(provenance.benchsuite_version)}, "
        f"harness {md_escape(provenance.harness_version)}",
        f"- Dataset: {md_escape(', '.join(board.dataset_names))}"
        + (f" (profile {md_escape(board.profile)})" if board.profile else "")
        + f", fingerprint `{board.fingerprint}`",
        f"- Board built on: {md_escape(provenance.machine)}",
        "- Records computed on: " + "; ".join(md_escape(m) for m in record_machines(board)),
        "",
        f"Sorted by `{SORT_METRIC}` (best first); values are means over targets and seeds "
        "(± standard deviation over seeds when there are several). Ceilings are reference rows (`ref`). "
        "`robustness.variation`: lower is better.",
        "",
    ]
    header = ["rank", "model", "task", "seeds", *board.columns]
    lines.append("| " + " | ".join(md_escape(h) for h in header) + " |")
    lines.append("|" + "|".join(["---:", ":---", ":---", "---:"] + ["---:"] * len(board.columns)) + "|")
    for row in board.all_rows:
        cells = [
            str(row.rank) if row.rank is not None else "ref",
            md_escape(row.label) if row.kind != "ceiling" else f"*{md_escape(row.label)}*",
            md_escape(row.task),
            str(len(row.seeds)),
        ]
        for m in board.columns:
            cell = row.cells.get(m) or Cell(None)
            cells.append(format_value(cell.value, cell.sd, m))
        lines.append("| " + " | ".join(cells) + " |")
    notes = na_notes(board)
    if notes:
        lines += ["", "## Not applicable", ""]
        lines += [f"- {md_escape(who)}: {md_escape(what)}: {md_escape(why)}" for who, what, why in notes]
    if figures:
        lines += ["", "## Figures", ""]
        for name, path in figures.items():
            lines += [f"![{md_escape(name)}](figures/{Path(path).name})", ""]
    if board.refused:
        lines += ["", "## Refused records", ""]
        lines += [f"- {md_escape(r.source)}: {md_escape(r.reason)}" for r in board.refused]
    if board.conflicts:
        lines += ["", "## Superseded records", ""]
        lines += [f"- {md_escape(r.source)}: {md_escape(r.reason)}" for r in board.conflicts]
    return "\n".join(lines).rstrip() + "\n"


def na_notes(board: Board) -> list[tuple[str, str, str]]:
    """(row label/task, metric family, reason) for every n/a main column, one per family."""
    notes: list[tuple[str, str, str]] = []
    for row in board.all_rows:
        seen: set[str] = set()
        for m in board.columns:
            cell = row.cells.get(m)
            if cell is None or cell.value is not None:
                continue
            family = metric_family(m)
            if family in seen:
                continue
            seen.add(family)
            notes.append((f"{row.label} / {row.task}", family, cell.reason or "not reported"))
    return notes
