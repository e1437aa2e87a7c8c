"""Static, self-contained HTML leaderboard pages.

One page per board (figures embedded as base64 PNG, a sortable table: click a header to sort)
and an index page listing every board of the output folder. Security: every string that comes
from a record, a file name or the command line is passed through :func:`html.escape` (the page
is assembled from escaped fragments only), and the page carries a Content-Security-Policy that
allows nothing but its own inline style and script (by hash) and ``data:`` images, so even a
string that slipped through could not run a script.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from benchsuite.leaderboard.board import Board, Cell
from benchsuite.leaderboard.columns import SORT_METRIC
from benchsuite.leaderboard.formatting import Provenance, na_notes, record_machines
from benchsuite.leaderboard.html_table import esc, leaderboard_table, number_td, per_target_table
from benchsuite.leaderboard.markdown import board_legend

__all__ = ["esc", "render_page", "render_board_html", "render_index_html"]


@cache
def _asset(name: str) -> str:
    return resources.files("benchsuite.leaderboard").joinpath("templates").joinpath(name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(*, title: str, heading: str, provenance_html: str, content_html: str, version: str) -> str:
    """Fill the page template.

    ``title``, ``heading`` and ``version`` are plain text (escaped here); ``provenance_html`` and
    ``content_html`` must already be HTML built from escaped fragments.
    """
    style, script = _asset("page.css"), _asset("sort.js")
    csp = (
        "default-src 'none'; img-src data:; "
        f"style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    fragments = {
        "csp": esc(csp),
        "title": esc(title),
        "heading": esc(heading),
        "version": esc(version),
        "provenance": provenance_html,
        "content": content_html,
        "style": style,
        "script": script,
    }
    template = _asset("page.html")

    def fill(match: re.Match[str]) -> str:
        return fragments[match.group(1)]

    # a single pass: text inserted for one placeholder is never scanned for others
    return re.sub(r"\{\{(\w+)\}\}", fill, template)


def _provenance_html(items: Sequence[tuple[str, str, bool]]) -> str:
    parts = ['<dl class="provenance">']
    for label, value, code in items:
        body = f"<code>{esc(value)}</code>" if code else esc(value)
        parts.append(f"<dt>{esc(label)}</dt><dd>{body}</dd>")
    parts.append("</dl>")
    return "\n".join(parts)


def _figures_html(figures: Mapping[str, Path]) -> str:
    if not figures:
        return ""
    parts = ["<h2>Figures</h2>", '<div class="figures">']
    for caption, path in figures.items():
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        parts.append(
            f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _list_html(title: str, items: Sequence[str], note: str = "") -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{item}</li>" for item in items)
    note_html = f'<p class="note">{esc(note)}</p>' if note else ""
    return f'<h2>{esc(title)}</h2>{note_html}<ul class="compact">{lis}</ul>'


def render_board_html(
    board: Board, provenance: Provenance, figures: Mapping[str, Path], downloads: Sequence[str] = ()
) -> str:
    """The self-contained HTML page of one board.

    Parameters
    ----------
    board:
        The board.
    provenance:
        Command, versions, machine and title.
    figures:
        Caption -> PNG path (embedded as base64).
    downloads:
        File names in the board folder to link (CSV, Markdown).
    """
    prov = _provenance_html(
        [
            (
                "Dataset",
                ", ".join(board.dataset_names) + (f" (profile {board.profile})" if board.profile else ""),
                False,
            ),
            ("Fingerprint", board.fingerprint, True),
            ("Command", provenance.command, True),
            (
                "Versions",
                f"benchsuite {provenance.benchsuite_version}, harness {provenance.harness_version}",
                False,
            ),
            ("Board built on", provenance.machine, False),
            ("Records computed on", "; ".join(record_machines(board)), False),
        ]
    )
    legend = [*board_legend(board)]
    legend.append(
        "Binary and quantitative models share one table through task conversion. Bold: best model "
        "value per column. Small second lines: the 95% interval and, in own-bin columns, the ceiling "
        "at the row's bin. Hover a header for the metric's definition and its reference ceiling."
    )
    content = [
        "<h2>Leaderboard</h2>",
        *(f'<p class="note">{esc(sentence)}</p>' for sentence in legend),
        leaderboard_table(board),
        per_target_table(board, SORT_METRIC),
        _figures_html(figures),
        _list_html(
            "Not applicable",
            [f"<strong>{esc(who)}</strong>: {esc(what)}: {esc(why)}" for who, what, why in na_notes(board)],
        ),
        _list_html(
            "Refused records",
            [f"<code>{esc(r.source)}</code>: {esc(r.reason)}" for r in board.refused],
            "These records were found but not put on the board.",
        ),
        _list_html(
            "Conflicts",
            [
                ("" if getattr(r, "resolved", False) else "⚠ unresolved: ")
                + f"<code>{esc(r.source)}</code>: {esc(r.reason)}"
                for r in board.conflicts
            ],
            "Records left out because another record of the same cell, with other content, was kept "
            "(the verified one, else one signed by a trusted key, else the newer one).",
        ),
        _list_html("Downloads", [f'<a href="{esc(quote(name))}">{esc(name)}</a>' for name in downloads]),
    ]
    return render_page(
        title=f"{provenance.title}: {board.dataset_name}",
        heading=f"{provenance.title}: {board.dataset_name}",
        provenance_html=prov,
        content_html="\n".join(c for c in content if c),
        version=provenance.benchsuite_version,
    )


def render_index_html(entries: Sequence[Mapping], provenance: Provenance) -> str:
    """The index page listing boards.

    Parameters
    ----------
    entries:
        One mapping per board: ``slug``, ``dataset``, ``fingerprint``, ``profile``, ``models``
        (count), ``best_model``, ``best_value`` (the ranking metric or None).
    provenance:
        Title, command and versions.
    """
    head = (
        '<th class="text" data-type="text">dataset</th><th class="text" data-type="text">profile</th>'
        '<th class="text" data-type="text">fingerprint</th><th data-type="number">models</th>'
        f'<th class="text" data-type="text">best model</th><th data-type="number">{esc(SORT_METRIC)}</th>'
    )
    rows = []
    for e in entries:
        href = quote(str(e["slug"])) + "/index.html"
        best_value = e.get("best_value")
        value_td = number_td(
            Cell(best_value, n=1) if best_value is not None else Cell(None, reason="no models")
        )
        rows.append(
            "<tr>"
            f'<td class="text model"><a href="{esc(href)}">{esc(e["dataset"])}</a></td>'
            f'<td class="text">{esc(e.get("profile") or "")}</td>'
            f'<td class="text"><code>{esc(str(e["fingerprint"])[:12])}</code></td>'
            f'<td data-sort="{esc(e.get("models", 0))}">{esc(e.get("models", 0))}</td>'
            f'<td class="text">{esc(e.get("best_model") or "n/a")}</td>'
            f"{value_td}</tr>"
        )
    content = (
        "<h2>Boards</h2>"
        '<div class="table-wrap"><table class="sortable" id="boards">'
        f"<thead><tr>{head}</tr></thead><tbody>" + "\n".join(rows) + "</tbody></table></div>"
    )
    prov = _provenance_html(
        [
            ("Command", provenance.command, True),
            (
                "Versions",
                f"benchsuite {provenance.benchsuite_version}, harness {provenance.harness_version}",
                False,
            ),
        ]
    )
    return render_page(
        title=provenance.title,
        heading=provenance.title,
        provenance_html=prov,
        content_html=content,
        version=provenance.benchsuite_version,
    )
