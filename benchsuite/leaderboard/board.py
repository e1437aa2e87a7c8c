"""The board model: one board per dataset fingerprint, one row per (model, task), ceilings per bin.

A row aggregates the seeds of a (model, task): each metric is the mean over seeds of the
record's mean over targets, with the standard deviation over seeds when there are several and
the 95% bootstrap interval when the records carry one (:mod:`~benchsuite.leaderboard.intervals`).
Rows are ranked by :data:`~benchsuite.leaderboard.columns.SORT_METRIC` (whole-chromosome
Pearson at the common bin; best first, n/a last), and each row knows its output bin (a binary
model's "bin" is its input length: one value per sequence).

Ceilings (records with ``kind == "ceiling"``: oracle, replicate 2) come once per bin
(``hyperparameters.bin_size``; a record without one is at bin 1) and are reference rows that are
not ranked. :meth:`Board.ceiling_value` gives a ceiling at a row's own bin, for the own-bin
columns and the "% of ceiling" columns.

A metric is ``n/a`` when no record of the row reports it; the reason comes from the records'
``not_applicable`` (keyed by metric family, e.g. ``cagi5``, or by the full metric name).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchsuite.evaluate.registry import SEQUENCE_SET_RANKING_METRIC
from benchsuite.leaderboard.columns import (
    MAIN_METRICS,
    SORT_METRIC,
    grouped_columns,
    metric_columns,
    metric_family,
    reference_ceiling,
)
from benchsuite.leaderboard.gather import Refusal, SourcedRecord, record_bin, row_model_name
from benchsuite.leaderboard.intervals import (
    Tie,
    bootstrap_key,
    paired_tie,
    percentile_interval,
    record_interval,
    row_replicates,
)

__all__ = ["Board", "Cell", "Row", "bin_label", "build_boards", "cell_of"]

#: reference rows in this order (others after them, by name)
_CEILING_ORDER = ("oracle", "replicate2")


@dataclass(frozen=True)
class Cell:
    """One aggregated metric of a row."""

    value: float | None  # mean over seeds; None = n/a
    sd: float | None = None  # standard deviation over seeds (None with one seed)
    n: int = 0  # seeds that reported the metric
    reason: str | None = None  # why it is n/a
    lo: float | None = None  # 95% bootstrap interval of the (seed-mean) value
    hi: float | None = None


@dataclass
class Row:
    """A (model, task) of a board aggregated over its seeds; for a ceiling, one (ceiling, bin)."""

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
    bin_size: int | None = None  # output bin (binary models: the input length)
    bin_label: str = "n/a"
    ranking_replicates: np.ndarray | None = None  # seed-mean bootstrap replicates of SORT_METRIC
    bootstrap: tuple[Any, ...] | None = None  # (method, n_boot, seed) shared by the records
    tie: Tie | None = None  # paired comparison with the leader (None: leader or not comparable)

    @property
    def label(self) -> str:
        return f"{self.model} ({self.kind})" if self.kind == "ceiling" else self.model

    def value(self, metric: str) -> float | None:
        cell = self.cells.get(metric)
        return cell.value if cell else None

    @property
    def verification(self) -> str:
        """``"verified"`` (every record of the row re-trained and agreeing), ``"re-evaluated"``
        (every record verified, some only by re-evaluating their weights), ``"partial"`` (some)
        or ``"unverified"``."""
        count = sum(1 for it in self.records if it.verified)
        if self.records and count == len(self.records):
            retrained = all(it.verified_mode == "retrain" for it in self.records)
            return "verified" if retrained else "re-evaluated"
        return "partial" if count else "unverified"

    @property
    def signed_by(self) -> list[str]:
        """Key ids of the trusted keys that signed the row's records."""
        return sorted({it.signed_by for it in self.records if it.signed_by})

    @property
    def in_conflict(self) -> bool:
        """A record of the row was kept in an unresolved conflict."""
        return any(it.conflict for it in self.records)

    @property
    def trust_text(self) -> str:
        """The "verified" cell of the Markdown/HTML tables: ✓, k/n, signed-by and ⚠ conflict marks."""
        parts = []
        if self.verification == "verified":
            parts.append("✓")
        elif self.verification == "re-evaluated":
            parts.append("✓ weights")
        elif self.verification == "partial":
            parts.append(f"{sum(1 for it in self.records if it.verified)}/{len(self.records)}")
        if self.signed_by:
            parts.append("signed by " + ", ".join(self.signed_by))
        if self.in_conflict:
            parts.append("⚠ conflict")
        return " ".join(parts)


@dataclass
class Board:
    """The leaderboard of one dataset (one fingerprint)."""

    dataset_name: str
    fingerprint: str
    profile: str | None
    rows: list[Row]  # ranked models
    reference_rows: list[Row]  # ceilings, one row per (ceiling, bin)
    columns: list[str]  # main columns (Markdown/HTML), ranking metric first, then by group
    all_columns: list[str]  # every metric present (CSV)
    targets: list[str]
    slug: str = ""
    refused: list[Refusal] = field(default_factory=list)
    conflicts: list[Refusal] = field(default_factory=list)
    dataset_names: list[str] = field(default_factory=list)  # all names seen for this fingerprint
    common_bin: int | None = None
    input_length: int | None = None
    #: test tiles behind each ``thresholded.pearson@{t}`` column (threshold text -> count)
    threshold_counts: dict[str, int] = field(default_factory=dict)
    #: what rows are ranked by: SORT_METRIC, or SEQUENCE_SET_RANKING_METRIC on a sequence-set board
    ranking_metric: str = SORT_METRIC

    @property
    def all_rows(self) -> list[Row]:
        return [*self.rows, *self.reference_rows]

    @property
    def groups(self) -> list[tuple[str, list[str]]]:
        """The main columns as (group label, columns) runs."""
        return grouped_columns(self.columns)

    def best_row(self) -> Row | None:
        """The rank-1 model (None when the board has no model rows)."""
        return self.rows[0] if self.rows else None

    def ceiling_row(self, name: str, bin_size: int | None) -> Row | None:
        """The reference row of ceiling ``name`` at ``bin_size`` (None when it was not computed)."""
        if bin_size is None:
            return None
        return next((r for r in self.reference_rows if r.model == name and r.bin_size == bin_size), None)

    def ceiling_value(self, name: str, bin_size: int | None, metric: str) -> float | None:
        """Ceiling ``name``'s value of ``metric`` at ``bin_size``."""
        row = self.ceiling_row(name, bin_size)
        return row.value(metric) if row is not None else None

    def own_bin_ceiling(self, row: Row, metric: str) -> tuple[str, float] | None:
        """(ceiling name, value): the metric's reference ceiling at the row's own bin."""
        name = reference_ceiling(metric)
        value = self.ceiling_value(name, row.bin_size, metric)
        return None if value is None else (name, value)

    def oracle_common(self) -> float | None:
        """The oracle's ranking metric at the common bin (any oracle bin when that one is missing)."""
        value = self.ceiling_value("oracle", self.common_bin, self.ranking_metric)
        if value is not None:
            return value
        values = (r.value(self.ranking_metric) for r in self.reference_rows if r.model == "oracle")
        return next((v for v in values if v is not None), None)

    def pct_of_oracle(self, row: Row) -> float | None:
        """The row's ranking metric in percent of the oracle's at the common bin."""
        return _percent(row.value(self.ranking_metric), self.oracle_common())

    def pct_of_own_oracle(self, row: Row, metric: str = "wholechrom.pearson") -> float | None:
        """The row's own-bin ``metric`` in percent of the oracle's at the same bin."""
        return _percent(row.value(metric), self.ceiling_value("oracle", row.bin_size, metric))


def _percent(value: float | None, ceiling: float | None) -> float | None:
    if value is None or ceiling is None or ceiling <= 0:
        return None
    return 100.0 * value / ceiling


def bin_label(bin_size: int | None, task: str, input_length: int | None) -> str:
    """``"128 bp"``, or ``"per sequence (1,024 bp)"`` for binary models (and the ceilings at the
    input length); ``"n/a"`` when unknown."""
    if task == "binary" or (bin_size is not None and bin_size == input_length):
        length = input_length if input_length else bin_size
        return f"per sequence ({length:,} bp)" if length else "per sequence"
    return "n/a" if bin_size is None else f"{bin_size:,} bp"


def _threshold_counts(records: Iterable[SourcedRecord]) -> dict[str, int]:
    """Test tiles selected by each threshold (the same for every record of a dataset)."""
    for item in records:
        counts = ((item.record.get("tables") or {}).get("thresholded") or {}).get("n_sequences")
        if isinstance(counts, dict) and counts:
            return {str(k): int(v) for k, v in counts.items()}
    return {}


def _geometry(records: Iterable[SourcedRecord], key: str) -> int | None:
    values: Counter[int] = Counter()
    for item in records:
        value = ((item.record.get("tables") or {}).get("evaluation") or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            values[value] += 1
    return values.most_common(1)[0][0] if values else None


def _na_reason(records: Sequence[SourcedRecord], metric: str) -> str:
    for item in records:
        na = item.record.get("not_applicable") or {}
        for key in (metric, metric.partition("@")[0], metric_family(metric)):
            if key in na:
                return str(na[key])
    return "not reported by the record"


def _cell(records: Sequence[SourcedRecord], metric: str) -> tuple[Cell, dict[str, float]]:
    values: list[float] = []
    targets: dict[str, list[float]] = {}
    entries = []
    for item in records:
        entry = item.record["metrics"].get(metric)
        if not entry:
            continue
        entries.append(entry)
        if entry.get("mean") is not None:
            values.append(float(entry["mean"]))
        for target, v in (entry.get("per_target") or {}).items():
            if v is not None:
                targets.setdefault(target, []).append(float(v))
    per_target = {t: math.fsum(v) / len(v) for t, v in sorted(targets.items())}
    if not values:
        return Cell(value=None, reason=_na_reason(records, metric)), per_target
    interval = None
    if len(records) == 1 and entries:
        interval = record_interval(entries[0])
    elif len(values) == len(records):
        reps = row_replicates([it.record for it in records], metric)
        interval = percentile_interval(reps) if reps is not None else None
    cell = Cell(
        value=math.fsum(values) / len(values),
        sd=statistics.stdev(values) if len(values) > 1 else None,
        n=len(values),
        lo=interval[0] if interval else None,
        hi=interval[1] if interval else None,
    )
    return cell, per_target


def _make_row(
    group: list[SourcedRecord], columns: Sequence[str], input_length: int | None, ranking: str = SORT_METRIC
) -> Row:
    group.sort(key=lambda it: (int(it.record["seed"]), it.record["created_at"]))
    first = group[0].record
    cells: dict[str, Cell] = {}
    per_target: dict[str, dict[str, float | None]] = {}
    for metric in columns:
        cells[metric], targets = _cell(group, metric)
        if targets:
            per_target[metric] = dict(targets)
    bins = {record_bin(it.record) for it in group}
    bin_size = next(iter(bins)) if len(bins) == 1 else None
    records = [it.record for it in group]
    return Row(
        kind=first["kind"],
        model=row_model_name(first),
        task=first["task"],
        plugin=first["model"]["plugin"],
        distribution=first["model"]["distribution"],
        version=first["model"]["version"],
        seeds=[int(it.record["seed"]) for it in group],
        cells=cells,
        records=group,
        per_target=per_target,
        bin_size=bin_size,
        bin_label=bin_label(bin_size, first["task"], input_length) if len(bins) == 1 else "mixed",
        ranking_replicates=row_replicates(records, ranking),
        bootstrap=bootstrap_key(records),
    )


def _row_sort_key(row: Row, metric: str = SORT_METRIC) -> tuple:
    v = row.value(metric)
    return (v is None, -(v if v is not None else 0.0), row.model, row.task)


def _ceiling_sort_key(row: Row) -> tuple:
    order = _CEILING_ORDER.index(row.model) if row.model in _CEILING_ORDER else len(_CEILING_ORDER)
    return (order, row.model, row.bin_size if row.bin_size is not None else math.inf)


def _mark_ties(models: list[Row], metric: str = SORT_METRIC) -> None:
    """Each row's paired bootstrap comparison with the leader on the ranking metric."""
    if not models or models[0].value(metric) is None:
        return
    leader = models[0]
    for row in models[1:]:
        if row.value(metric) is None or row.bootstrap != leader.bootstrap:
            continue
        row.tie = paired_tie(row.ranking_replicates, leader.ranking_replicates)


def _build_board(
    fp: str, items: list[SourcedRecord], refused: list[Refusal], conflicts: list[Refusal]
) -> Board:
    names = sorted({it.record["dataset"]["name"] for it in items})
    profiles = sorted(
        {str(it.record["dataset"]["profile"]) for it in items if it.record["dataset"]["profile"]}
    )
    metric_names = {m for it in items for m in it.record["metrics"]}
    groups: dict[tuple[str, str, str, int | None], list[SourcedRecord]] = {}
    for it in items:
        rec = it.record
        bin_key = record_bin(rec) if rec["kind"] == "ceiling" else None
        groups.setdefault((rec["kind"], row_model_name(rec), rec["task"], bin_key), []).append(it)
    all_columns = metric_columns(metric_names, include_extra=True)
    main_columns = metric_columns(
        metric_names | (set(MAIN_METRICS) - {"thresholded.pearson@*"}), include_extra=False
    )
    input_length = _geometry(items, "input_length")
    ranking = _ranking_metric(items)
    rows = [
        _make_row(group, list(dict.fromkeys([*all_columns, *main_columns])), input_length, ranking)
        for group in groups.values()
    ]
    models = sorted((r for r in rows if r.kind != "ceiling"), key=lambda r: _row_sort_key(r, ranking))
    for rank, row in enumerate(models, start=1):
        row.rank = rank
    _mark_ties(models, ranking)
    return Board(
        dataset_name=names[0],
        dataset_names=names,
        fingerprint=fp,
        profile=profiles[0] if len(profiles) == 1 else (", ".join(profiles) or None),
        rows=models,
        reference_rows=sorted((r for r in rows if r.kind == "ceiling"), key=_ceiling_sort_key),
        columns=main_columns,
        all_columns=all_columns,
        targets=sorted({t for r in rows for per in r.per_target.values() for t in per}),
        refused=refused,
        conflicts=conflicts,
        common_bin=_geometry(items, "common_bin"),
        input_length=input_length,
        threshold_counts=_threshold_counts(items),
        ranking_metric=ranking,
    )


def _ranking_metric(items: list[SourcedRecord]) -> str:
    """SORT_METRIC, or the sequence-set ranking metric when every record comes from a sequence set
    or a bundle of peak files only (``tables.evaluation.bundle_kind`` ``sequences`` / ``peaks``):
    there no whole-chromosome metric exists."""
    kinds = {((it.record.get("tables") or {}).get("evaluation") or {}).get("bundle_kind") for it in items}
    return SEQUENCE_SET_RANKING_METRIC if kinds and kinds <= {"sequences", "peaks"} else SORT_METRIC


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
        Sorted by dataset name; each with ranked model rows (ties with the leader marked),
        ceiling reference rows per bin, and a unique folder name (``slug``: the dataset name,
        plus the fingerprint prefix when two boards share a name).
    """
    by_fp: dict[str, list[SourcedRecord]] = {}
    for item in records:
        by_fp.setdefault(item.record["dataset"]["fingerprint"], []).append(item)
    boards = [_build_board(fp, items, list(refused), list(conflicts)) for fp, items in by_fp.items()]
    boards.sort(key=lambda b: (b.dataset_name, b.fingerprint))
    slugs = [_slugify(b.dataset_name) for b in boards]
    for board, slug in zip(boards, slugs, strict=True):
        board.slug = slug if slugs.count(slug) == 1 else f"{slug}-{board.fingerprint[:12]}"
    return boards


def cell_of(row: Row, metric: str) -> Cell:
    """The row's cell of ``metric`` (an n/a cell when absent)."""
    return row.cells.get(metric) or Cell(None, reason="not reported by the record")
