"""The HTML tables of a board page: the leaderboard (column groups, intervals, ties, ceilings at
the row's bin, "% of ceiling") and the per-target table. Every string is escaped here."""

from __future__ import annotations

import html

from benchsuite.leaderboard.board import Board, Cell, Row
from benchsuite.leaderboard.columns import (
    CEILING_DESCRIPTIONS,
    LOWER_IS_BETTER,
    SORT_METRIC,
    column_tooltip,
    describe_metric,
    is_own_bin,
)
from benchsuite.leaderboard.formatting import (
    TIE_MARK,
    Derived,
    column_label,
    derived_columns,
    format_interval,
    format_percent,
    format_value,
    tie_text,
)

__all__ = ["esc", "leaderboard_table", "number_td", "per_target_table"]

_IDENTITY = 7  # rank, tie, model, task, bin, seeds, verified


def esc(value: object) -> str:
    """HTML-escape any value (quotes included, safe in text and attribute values)."""
    return html.escape(str(value), quote=True)


def _breakable(name: str) -> str:
    """Escaped text with line-break opportunities after dots and before brackets (narrow headers)."""
    return esc(name).replace(".", ".<wbr>").replace(" (", "<br>(")


def number_td(
    cell: Cell | None,
    *,
    best: bool = False,
    metric: str | None = None,
    ceiling: tuple[str, float] | None = None,
    extra_class: str = "",
) -> str:
    """A metric cell: the value (± SD over seeds), then the 95% interval and the ceiling at the
    same bin as small second lines; the title repeats them in words."""
    classes = [c for c in (extra_class, "best" if best else "") if c]
    if cell is None or cell.value is None:
        reason = cell.reason if cell is not None and cell.reason else "not applicable"
        classes.append("na")
        return f'<td class="{" ".join(classes)}" data-sort="" title="{esc(reason)}">n/a</td>'
    tips = [f"mean over targets and {cell.n} seed{'s' if cell.n != 1 else ''}"]
    if cell.sd is not None:
        tips.append(f"SD over seeds {format_value(cell.sd, metric=metric)}")
    lines = [f'<span class="v">{esc(format_value(cell.value, cell.sd, metric))}</span>']
    interval = format_interval(cell.lo, cell.hi, metric)
    if interval:
        lines.append(f'<span class="sub ci">{esc(interval)}</span>')
        tips.append(f"95% bootstrap interval {interval}")
    if ceiling is not None:
        text = f"{ceiling[0]} {format_value(ceiling[1], metric=metric)}"
        lines.append(f'<span class="sub ceil">{esc(text)}</span>')
        tips.append(f"{ceiling[0]} at the same bin: {format_value(ceiling[1], metric=metric)}")
    cls = f' class="{" ".join(classes)}"' if classes else ""
    sort_key = esc(repr(float(cell.value)))
    return f'<td{cls} data-sort="{sort_key}" title="{esc("; ".join(tips))}">{"".join(lines)}</td>'


def _best_values(board: Board) -> dict[str, float]:
    best: dict[str, float] = {}
    for metric in board.columns:
        values = [v for r in board.rows if (v := r.value(metric)) is not None]
        if values:
            best[metric] = min(values) if metric in LOWER_IS_BETTER else max(values)
    return best


def _head(board: Board, derived: dict[str, Derived]) -> str:
    groups = [f'<th class="group-blank" colspan="{_IDENTITY}"></th>']
    for label, cols in board.groups:
        span = len(cols) + sum(1 for m in cols if m in derived)
        groups.append(f'<th class="group g-start" colspan="{span}" scope="colgroup">{esc(label)}</th>')
    tie_tip = (
        f"{TIE_MARK}: tied with the leader (95% paired-bootstrap interval of the difference on "
        f"{SORT_METRIC} contains 0)"
    )
    cols = [
        '<th data-type="number" data-better="lower" title="rank by '
        f'{esc(SORT_METRIC)} (best first)">rank</th>',
        f'<th data-type="number" title="{esc(tie_tip)}">{TIE_MARK}</th>',
        '<th class="text" data-type="text">model</th>',
        '<th class="text" data-type="text">task</th>',
        '<th class="text" data-type="number" data-better="lower" title="output bin of the row: the '
        'own-bin columns are computed at it (binary models: one value per input sequence)">bin</th>',
        '<th data-type="number" title="number of seeds">seeds</th>',
        '<th class="text" data-type="text" title="✓: every record re-run by benchsuite verify and agreed; '
        'signed by KEY: signed by a trusted key; ⚠ conflict: an unresolved conflicting record exists">'
        "verified</th>",
    ]
    for _, metrics in board.groups:
        for i, m in enumerate(metrics):
            better = ' data-better="lower"' if m in LOWER_IS_BETTER else ""
            start = ' class="g-start"' if i == 0 else ""
            tip = column_tooltip(m, board.common_bin)
            text = _breakable(column_label(m, board.common_bin, board.threshold_counts))
            cols.append(f'<th data-type="number"{better}{start} title="{esc(tip)}">{text}</th>')
            if m in derived:
                d = derived[m]
                cols.append(f'<th data-type="number" title="{esc(d.tooltip)}">{_breakable(d.header)}</th>')
    return (
        '<thead><tr class="groups">'
        + "".join(groups)
        + '</tr><tr class="columns">'
        + "".join(cols)
        + "</tr></thead>"
    )


def _origin_html(row: Row) -> str:
    """`` <span class="origin">pretrained</span>`` for a row not trained by the suite, else empty."""
    from benchsuite.leaderboard.markdown import row_origin

    origin = row_origin(row)
    return f' <span class="origin">({esc(origin)})</span>' if origin else ""


def _row_html(board: Board, row: Row, best: dict[str, float], derived: dict[str, Derived]) -> str:
    reference = row.kind == "ceiling"
    mark, tie_tip = tie_text(row.tie, row.rank, board.ranking_metric)
    tie_key = "" if row.tie is None else ("1" if row.tie.tied else "0")
    model_tip = f"{row.plugin} ({row.distribution} {row.version})"
    if reference:
        model_tip = CEILING_DESCRIPTIONS.get(row.model, model_tip)
    rank = "ref" if row.rank is None else str(row.rank)
    cells = [
        f'<td data-sort="{"" if row.rank is None else row.rank}">{esc(rank)}</td>',
        f'<td class="tie" data-sort="{tie_key}" title="{esc(tie_tip)}">{esc(mark)}</td>',
        f'<td class="text model" title="{esc(model_tip)}">{esc(row.label)}{_origin_html(row)}</td>',
        f'<td class="text">{esc(row.task)}</td>',
        f'<td class="text" data-sort="{esc(row.bin_size or "")}">{esc(row.bin_label)}</td>',
        f'<td data-sort="{len(row.seeds)}" title="{esc("seeds " + ", ".join(map(str, row.seeds)))}">'
        f"{len(row.seeds)}</td>",
        f'<td class="text verified" data-sort="{esc(row.verification)}">{esc(row.trust_text)}</td>',
    ]
    for _, metrics in board.groups:
        for i, m in enumerate(metrics):
            cell = row.cells.get(m)
            value = cell.value if cell is not None else None
            is_best = not reference and value is not None and best.get(m) == value
            ceiling = None if reference or not is_own_bin(m) else board.own_bin_ceiling(row, m)
            start = "g-start" if i == 0 else ""
            cells.append(number_td(cell, best=is_best, metric=m, ceiling=ceiling, extra_class=start))
            if m in derived:
                pct = derived[m].value(board, row)
                key = "" if pct is None else esc(repr(pct))
                cells.append(f'<td class="pct" data-sort="{key}">{esc(format_percent(pct))}</td>')
    cls = ' class="tied"' if mark else ""
    return f"<tr{cls}>" + "".join(cells) + "</tr>"


def leaderboard_table(board: Board) -> str:
    """The leaderboard table: ranked rows, then the ceilings (one row per bin) in their own body."""
    derived = {d.after: d for d in derived_columns(board)}
    best = _best_values(board)
    width = _IDENTITY + len(board.columns) + len(derived)
    parts = [
        '<div class="table-wrap"><table class="board sortable" id="leaderboard">',
        _head(board, derived),
        '<tbody id="board-rows">'
        + "\n".join(_row_html(board, r, best, derived) for r in board.rows)
        + "</tbody>",
    ]
    if board.reference_rows:
        parts.append(
            '<tbody class="reference" id="reference-rows">'
            f'<tr class="separator"><th colspan="{width}">'
            "Reference ceilings at each bin (not ranked)</th></tr>"
            + "\n".join(_row_html(board, r, best, derived) for r in board.reference_rows)
            + "</tbody>"
        )
    parts.append("</table></div>")
    return "\n".join(parts)


def per_target_table(board: Board, metric: str) -> str:
    """One row per board row that reports ``metric`` per target ('' when none does)."""
    rows = [r for r in board.all_rows if r.per_target.get(metric)]
    if not rows or not board.targets:
        return ""
    head = [
        '<th class="text" data-type="text">model</th>',
        '<th class="text" data-type="text">task</th>',
        '<th data-type="number">bin</th>',
    ]
    head += [f'<th data-type="number">{esc(t)}</th>' for t in board.targets]
    body = []
    for row in rows:
        values = row.per_target[metric]
        tds = [
            f'<td class="text model">{esc(row.label)}</td>',
            f'<td class="text">{esc(row.task)}</td>',
            f'<td class="text" data-sort="{esc(row.bin_size or "")}">{esc(row.bin_label)}</td>',
        ]
        for target in board.targets:
            v = values.get(target)
            cell = Cell(v, n=1) if v is not None else Cell(None, reason="not reported")
            tds.append(number_td(cell, metric=metric))
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (
        f"<h2>{esc(metric)} per target</h2>"
        f'<p class="note">{esc(describe_metric(metric))}; mean over seeds.</p>'
        '<div class="table-wrap"><table class="sortable" id="per-target">'
        "<thead><tr>" + "".join(head) + "</tr></thead>"
        "<tbody>" + "\n".join(body) + "</tbody></table></div>"
    )
