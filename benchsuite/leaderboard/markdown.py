"""The board as a Markdown page (``leaderboard.md``): header, legend, the table, notes, figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from benchsuite.leaderboard.board import Board, Row, cell_of
from benchsuite.leaderboard.columns import CEILING_DESCRIPTIONS, SORT_METRIC, is_own_bin
from benchsuite.leaderboard.formatting import (
    TIE_MARK,
    Provenance,
    cell_text,
    column_label,
    derived_columns,
    format_percent,
    format_value,
    md_code,
    md_escape,
    na_notes,
    precision_note,
    record_machines,
    tie_text,
)

__all__ = ["ORIGIN_LEGEND", "board_legend", "board_markdown", "row_origin"]


#: how the board marks rows not trained by the suite, or not hand-designed (Markdown and HTML legends)
ORIGIN_LEGEND = (
    "pretrained: an already-trained model scored without training by the suite (its input adapted to "
    "the windows, its tracks mapped to the targets as its record states); probed: the same, with a "
    "ridge probe fitted on the training split mapping its outputs to the targets (not comparable to a "
    "mapped row as is); searched: an architecture found by benchsuite search on the train and "
    "validation splits (its record names the architect, space, budget and seed), trained from scratch "
    "like the baselines; tuned: a registered model trained with a tuned profile of benchsuite search "
    "--tune (run --tuned; the row name ends in +tuned- and 8 hex digits of the profile). Unmarked rows are "
    "hand-designed models trained by the suite. See docs/pretrained.md and docs/search.md."
)


def row_origin(row: Row) -> str | None:
    """``"probed"``, ``"pretrained"``, ``"searched"``, ``"tuned"`` or None (a hand-designed model
    trained by the suite with its own defaults).

    Read from the records: ``provenance.trained_by_suite: false`` marks a row pretrained,
    ``provenance.adaptation.row_kind: "probed"`` probed (a row mixing the two is marked probed);
    ``hyperparameters.build.search`` (an architecture document of ``benchsuite search``) searched;
    ``hyperparameters.tuned`` (``benchsuite run --tuned``) tuned.
    """
    kinds = set()
    for item in row.records:
        prov = item.record.get("provenance") or {}
        hyper = item.record.get("hyperparameters") or {}
        if prov.get("trained_by_suite") is False:
            kinds.add(str((prov.get("adaptation") or {}).get("row_kind") or "pretrained"))
        elif isinstance((hyper.get("build") or {}).get("search"), dict):
            kinds.add("searched")
        elif isinstance(hyper.get("tuned"), dict):
            kinds.add("tuned")
    for kind in ("probed", "pretrained", "searched", "tuned"):
        if kind in kinds:
            return kind
    return None


def board_legend(board: Board) -> list[str]:
    """The sentences that say how to read the board (Markdown and HTML share them)."""
    common = f"{board.common_bin} bp" if board.common_bin else "the common bin"
    ranked = (
        f"Ranked by {SORT_METRIC}: whole-chromosome Pearson r with predictions and truth averaged into "
        f"the common bin ({common}; paper Fig. 2c), comparable across output resolutions. "
        if board.ranking_metric == SORT_METRIC
        else f"Ranked by {board.ranking_metric}: a sequence-set dataset (labelled sequences without "
        "genome coordinates) or a bundle of peak files without coverage has no whole-chromosome "
        "metric, so rows are ranked by the AUROC of its labelled classes. "
    )
    return [
        ranked
        + "Own-bin columns are computed at each model's own output bin (the bin column; a binary model's "
        "is one value per input sequence) and are shown with the ceiling computed at the same bin.",
        "Values are means over targets and seeds: ± standard deviation over seeds when there are "
        "several, [lo, hi] the 95% block-bootstrap interval of the mean over targets.",
        f"{TIE_MARK} tied with the leader: the 95% paired-bootstrap interval of (row − leader) on "
        f"{SORT_METRIC} contains 0 (both rows scored on the same resamples of the test set). Rows "
        "without bootstrap replicates are not compared.",
        f"Oracle: {CEILING_DESCRIPTIONS['oracle']}. Replicate 2: {CEILING_DESCRIPTIONS['replicate2']}. "
        "Ceilings are reference rows, one per bin, and are not ranked; neither bounds every metric.",
        "verified: ✓ every record of the row was re-trained by `benchsuite verify` and agreed; ✓ weights: "
        "verified, some only by re-evaluating their weights (not how they were trained); k/n: some "
        "of them; empty: unverified. signed by KEY: signed by a trusted key. ⚠ conflict: another record "
        "of the same cell with other content exists and neither is verified or signed (see Conflicts). "
        "What each of these proves: docs/trust.md.",
        *([ORIGIN_LEGEND] if any(row_origin(r) for r in board.rows) else []),
        *([note] if (note := precision_note(board)) else []),
    ]


def _md_header(board: Board) -> tuple[list[str], list[str]]:
    derived = {d.after: d for d in derived_columns(board)}
    header = ["rank", TIE_MARK, "model", "task", "bin", "seeds", "verified"]
    align = ["---:", ":---:", ":---", ":---", ":---", "---:", ":---:"]
    for m in board.columns:
        header.append(column_label(m, board.common_bin, board.threshold_counts))
        align.append("---:")
        if m in derived:
            header.append(derived[m].header)
            align.append("---:")
    return header, align


def _md_row(board: Board, row: Row) -> list[str]:
    derived = {d.after: d for d in derived_columns(board)}
    mark, _ = tie_text(row.tie, row.rank, board.ranking_metric)
    label = md_escape(row.label)
    origin = row_origin(row)
    if origin:
        label += f" *({origin})*"
    cells = [
        str(row.rank) if row.rank is not None else "ref",
        mark,
        label if row.kind != "ceiling" else f"*{label}*",
        md_escape(row.task),
        md_escape(row.bin_label),
        str(len(row.seeds)),
        md_escape(row.trust_text),
    ]
    for m in board.columns:
        text = cell_text(cell_of(row, m), m)
        ceiling = board.own_bin_ceiling(row, m) if row.kind != "ceiling" and is_own_bin(m) else None
        if ceiling is not None and row.value(m) is not None:
            text += f" ({ceiling[0]} {format_value(ceiling[1], metric=m)})"
        cells.append(md_escape(text))
        if m in derived:
            cells.append(format_percent(derived[m].value(board, row)))
    return cells


def _groups_line(board: Board) -> str:
    parts = [
        f"**{md_escape(label)}**: " + ", ".join(md_escape(m) for m in cols) for label, cols in board.groups
    ]
    return "Column groups: " + " | ".join(parts) + "."


def board_markdown(board: Board, provenance: Provenance, figures: Mapping[str, Path] | None = None) -> str:
    """The board as a Markdown page: header, legend, table (ceilings at the bottom), n/a reasons,
    figures, refusals.

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
    ]
    for sentence in board_legend(board):
        lines += [md_escape(sentence), ""]
    lines += [_groups_line(board), ""]
    header, align = _md_header(board)
    lines.append("| " + " | ".join(md_escape(h) for h in header) + " |")
    lines.append("|" + "|".join(align) + "|")
    for row in board.all_rows:
        lines.append("| " + " | ".join(_md_row(board, row)) + " |")
    lines += _sections(board, figures)
    return "\n".join(lines).rstrip() + "\n"


def _sections(board: Board, figures: Mapping[str, Path] | None) -> list[str]:
    lines: list[str] = []
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
        lines += ["", "## Conflicts", ""]
        lines += [
            "Records left out because another record of the same cell, with other content, was kept:",
            "",
        ]
        lines += [
            f"- {'' if getattr(r, 'resolved', False) else '⚠ unresolved: '}{md_escape(r.source)}: "
            f"{md_escape(r.reason)}"
            for r in board.conflicts
        ]
    return lines
