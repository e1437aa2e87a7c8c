"""Leaderboard figures (matplotlib, Agg backend).

- ``auroc_vs_pearson.png``: peak AUROC vs whole-chromosome Pearson r at the common bin (the
  ranking metric; the paper's Fig. 4 view of task conversion), binary and quantitative models
  in different colours;
- ``cagi5_vs_pearson.png``: CAGI5 robust effect correlation vs the ranking metric;
- ``attribution_vs_pearson.png`` and ``grammar_vs_pearson.png``: the interpretation family's
  saliency AUROC of the planted sites and GIA Spearman against the oracle vs the ranking metric
  (does accuracy imply the right biology?);
- ``robustness_vs_perseq.png``: robustness variation (lower is better) vs per-sequence Pearson r
  (both at each model's own bin);
- ``best_model_motifs.png``: the first-layer motif logos of the rank-1 model, drawn from the
  figure data its record references (``motif_logos.json`` and ``filters.meme``, see
  :mod:`benchsuite.evaluate.figures_render`), or copied from the PNG an older record references
  (when the files are still reachable inside that record's own folder: paths outside it, ``..``
  and symlinks pointing out are refused and logged). No other model's logos are drawn.

Ceilings are drawn as black stars labelled with their bin: at the common bin when both axes
are common-bin or per-sequence metrics, at each bin a plotted model uses when an axis is an
own-bin metric. Point labels are placed by ``adjustText`` so that they do not overlap. A
scatter with no point having both values is not drawn.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchsuite.leaderboard.board import Board, Row
from benchsuite.leaderboard.columns import SORT_METRIC, is_own_bin

__all__ = ["SCATTERS", "find_motif_figure", "label_overlaps", "make_figures", "place_labels"]

log = logging.getLogger(__name__)

#: file stem -> (x metric, y metric, title)
SCATTERS: dict[str, tuple[str, str, str]] = {
    "auroc_vs_pearson": (
        SORT_METRIC,
        "peak.auroc",
        "Peak AUROC vs whole-chromosome Pearson r (common bin)",
    ),
    "cagi5_vs_pearson": (
        SORT_METRIC,
        "cagi5.robust",
        "CAGI5 (robust) vs whole-chromosome Pearson r (common bin)",
    ),
    "attribution_vs_pearson": (
        SORT_METRIC,
        "interpret.saliency_auroc",
        "Attribution of the planted sites (saliency AUROC) vs whole-chromosome Pearson r (common bin)",
    ),
    "grammar_vs_pearson": (
        SORT_METRIC,
        "interpret.gia_spearman",
        "Motif importance vs the oracle's (GIA Spearman) vs whole-chromosome Pearson r (common bin)",
    ),
    "robustness_vs_perseq": (
        "perseq.pearson",
        "robustness.variation",
        "Robustness variation (lower is better) vs per-sequence Pearson r (own bin)",
    ),
}
_TASK_COLOURS = {"binary": "#d95f02", "quantitative": "#1b9e77"}
_OTHER_COLOUR = "#7570b3"


def _plain_text(text: str) -> str:
    """Text for matplotlib labels: no mathtext (``$``) interpretation."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _points(board: Board, x: str, y: str) -> list[tuple[Row, float, float]]:
    """Model rows with both values, then the ceilings at the bins that compare with them."""
    points = [
        (r, vx, vy) for r in board.rows if (vx := r.value(x)) is not None and (vy := r.value(y)) is not None
    ]
    if is_own_bin(x) or is_own_bin(y):
        bins = {r.bin_size for r, _, _ in points}
    else:
        bins = {board.common_bin} if board.common_bin else {r.bin_size for r in board.reference_rows}
    for r in board.reference_rows:
        vx, vy = r.value(x), r.value(y)
        if r.bin_size in bins and vx is not None and vy is not None:
            points.append((r, vx, vy))
    return points


def _label(row: Row) -> str:
    return f"{row.model} @ {row.bin_label}" if row.kind == "ceiling" else row.model


def _join_labels(labels: list[str]) -> str:
    """``["oracle @ 1 bp", "oracle @ 32 bp", "cnn"]`` -> ``"oracle @ 1 bp, 32 bp, cnn"``; at most 3 names."""
    by_name: dict[str, list[str]] = {}
    for label in dict.fromkeys(labels):
        name, sep, where = label.partition(" @ ")
        by_name.setdefault(name, []).append(where if sep else "")
    names = [f"{n} @ {', '.join(w)}" if all(w) else n for n, w in by_name.items()]
    return ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")


def _merge_coincident(points: list[tuple[str, float, float]], ax: Any) -> list[tuple[str, float, float]]:
    """One label per group of points closer than 1% of the axes in both directions (their labels
    joined), so that coincident points (e.g. a ceiling at several bins) get one readable label."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    tol_x, tol_y = 0.01 * abs(x1 - x0) or 1e-12, 0.01 * abs(y1 - y0) or 1e-12
    merged: list[tuple[list[str], float, float]] = []
    for label, x, y in points:
        for names, mx, my in merged:
            if abs(mx - x) <= tol_x and abs(my - y) <= tol_y:
                names.append(label)
                break
        else:
            merged.append(([label], x, y))
    return [(_join_labels(names), x, y) for names, x, y in merged]


#: adjustText settings, tried in turn until no label overlaps another label or a marker (the
#: last one may widen the axes to make room)
_ADJUST: tuple[dict[str, Any], ...] = (
    {"expand": (1.2, 1.5), "force_text": (0.4, 0.8), "iter_lim": 2000, "max_move": (20, 20)},
    {"expand": (1.3, 1.8), "force_text": (0.8, 1.2), "force_explode": (0.4, 1.0), "iter_lim": 4000},
    {"expand": (1.3, 1.8), "force_text": (0.8, 1.2), "iter_lim": 4000, "expand_axes": True},
)
#: marker area (points^2) that labels keep clear of: the ceilings' stars
MARKER_AREA = 160.0


def _nudge(ax: Any, index: int) -> float:
    """A small deterministic vertical start offset (alternating up and down): labels of points at
    exactly the same height would otherwise only ever be pushed sideways."""
    y0, y1 = ax.get_ylim()
    return (1 if index % 2 else -1) * 0.01 * (index % 3 + 1) * abs(y1 - y0)


def label_overlaps(texts: list[Any], points: Sequence[tuple[str, float, float]] = ()) -> int:
    """Overlapping pairs among the drawn text artists, plus labels overlapping the markers of
    ``points`` (most of a :data:`MARKER_AREA` marker around each point)."""
    from matplotlib.transforms import Bbox

    if not texts:
        return 0
    ax = texts[0].axes
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    count = sum(1 for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b))
    radius = 0.8 * math.sqrt(MARKER_AREA) / 2 * ax.figure.dpi / 72
    for _, x, y in points:
        px, py = ax.transData.transform((x, y))
        marker = Bbox.from_extents(px - radius, py - radius, px + radius, py + radius)
        count += sum(1 for b in boxes if b.overlaps(marker))
    return count


def _attempt(ax: Any, placed: list, points: list, shield: Any, settings: dict) -> tuple[list, list]:
    """Draw the labels and let adjustText move them: (texts, the joining lines it added)."""
    from adjustText import adjust_text

    before = set(ax.patches)
    texts = [
        ax.text(x, y + _nudge(ax, i), _plain_text(label), fontsize=7, zorder=4)
        for i, (label, x, y) in enumerate(placed)
    ]
    adjust_text(
        texts,
        x=[x for _, x, _ in points],
        y=[y for _, _, y in points],
        objects=shield,
        ax=ax,
        arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.5},
        **settings,
    )
    return texts, [patch for patch in ax.patches if patch not in before]


def place_labels(ax: Any, points: list[tuple[str, float, float]]) -> list[Any]:
    """Annotate the points with their labels (coincident points share one), moved by
    ``adjustText`` until no label overlaps another label or a marker; a thin line joins a moved
    label to its point. The attempt with the fewest overlaps is kept. Call after the axes
    limits are final. Returns the text artists."""
    placed = _merge_coincident(points, ax)
    # an invisible copy of every marker at the star's size: labels keep clear of markers
    size = MARKER_AREA * 1.25
    shield = ax.scatter([x for _, x, _ in points], [y for _, _, y in points], s=size, alpha=0.0)
    limits = (ax.get_xlim(), ax.get_ylim())
    best: tuple[int, list, list, tuple] | None = None
    for settings in _ADJUST:
        ax.set_xlim(limits[0])
        ax.set_ylim(limits[1])
        texts, lines = _attempt(ax, placed, points, shield, settings)
        score = label_overlaps(texts, points)
        if best is None or score < best[0]:
            if best is not None:
                for artist in [*best[1], *best[2]]:
                    artist.remove()
            best = (score, texts, lines, (ax.get_xlim(), ax.get_ylim()))
        else:
            for artist in [*texts, *lines]:
                artist.remove()
        if score == 0:
            break
    shield.remove()
    assert best is not None
    ax.set_xlim(best[3][0])
    ax.set_ylim(best[3][1])
    return best[1]


#: figures whose y metric is comparable only at equal bin: one figure per bin
SPLIT_BY_BIN = frozenset({"robustness_vs_perseq"})


def _scatter(board: Board, x: str, y: str, title: str, path: Path, bin_size: int | None = None) -> bool:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    points = _points(board, x, y)
    if bin_size is not None:
        points = [p for p in points if p[0].bin_size == bin_size]
    if not points:
        log.info("figure %s skipped: no row has both %s and %s", path.name, x, y)
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    try:
        seen: set[str] = set()
        for row, vx, vy in points:
            if row.kind == "ceiling":
                label = "ceiling"
                style: dict[str, Any] = {"marker": "*", "s": 160, "color": "black", "zorder": 3}
            else:
                label = f"{row.task} model"
                colour = _TASK_COLOURS.get(row.task, _OTHER_COLOUR)
                style = {"s": 48, "color": colour, "edgecolor": "white", "zorder": 2}
            ax.scatter(vx, vy, label=None if label in seen else label, **style)
            seen.add(label)
        ax.set_xlabel(_plain_text(x))
        ax.set_ylabel(_plain_text(y))
        ax.set_title(_plain_text(f"{title}\n{board.dataset_name}"), fontsize=10)
        ax.grid(alpha=0.3)
        ax.margins(x=0.15, y=0.12)
        fig.legend(loc="lower center", ncol=3, fontsize=8, frameon=False)  # below: never over a label
        fig.tight_layout(rect=(0.0, 0.05, 1.0, 1.0))
        place_labels(ax, [(_label(row), vx, vy) for row, vx, vy in points])
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return True


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, symlinks resolved, lies in ``folder`` (already resolved)."""
    return path.resolve().is_relative_to(folder)


def _resolve_figure(path_text: str, base_dir: Path | None, source: str = "") -> Path | None:
    """Find a record's figure, confined to the record's own folder ``base_dir``.

    Tried in turn: the path itself when absolute, else relative to the record's folder and to the
    working directory the run was started from (``benchsuite run`` writes
    ``runs/<fp>/<model>/<task>/seed<k>/figures/...``), then the file name anywhere below the
    record's folder (a moved run folder). A file is used only if it resolves inside the record's
    folder: an absolute path outside it, ``..`` in the path or a symlink pointing outside is
    refused and logged with the record and the reason (None is returned).
    """

    def refuse(reason: str) -> None:
        log.warning("figure %r of record %s refused: %s", path_text, source or "?", reason)

    path = Path(path_text)
    if base_dir is None:
        refuse("the record has no folder of its own that figures could be confined to")
        return None
    if ".." in path.parts:
        refuse("'..' in the path (figures must lie inside the record's folder)")
        return None
    folder = base_dir.resolve()
    candidates = [path] if path.is_absolute() else [base_dir / path, Path.cwd() / path]
    outside = [c for c in candidates if c.is_file() and not _inside(c, folder)]
    found = next((c for c in candidates if c.is_file() and _inside(c, folder)), None)
    if found is None and not outside and folder.is_dir():  # missing: look for it by name
        by_name = [c for c in sorted(base_dir.rglob(path.name)) if c.is_file()]
        outside = [c for c in by_name if not _inside(c, folder)]
        found = next((c for c in by_name if _inside(c, folder)), None)
    if found is None and outside:
        refuse(f"{outside[0]} resolves to {outside[0].resolve()}, outside the record's folder {folder}")
    return found


def _data_confined(path: Path | None, base_dir: Path | None, source: str) -> bool:
    """Whether a figure data file and the files it reads (PPMs, arrays) all lie in ``base_dir``."""
    from benchsuite.evaluate.figures_render import FigureDataError, data_files

    if path is None or base_dir is None:
        return False
    try:
        files = data_files(path)
    except FigureDataError as exc:
        log.warning("figure data %s of record %s is not usable: %s", path, source or "?", exc)
        return False
    folder = base_dir.resolve()
    outside = [f for f in files if f.exists() and not _inside(f, folder)]
    if outside:
        log.warning(
            "figure data %s of record %s refused: %s resolves outside the record's folder %s",
            path,
            source or "?",
            outside[0],
            folder,
        )
    return not outside


def find_motif_figure(row: Row) -> Path | None:
    """The motif-logo figure referenced by one of the row's records, if the file exists inside
    that record's folder (see :func:`_resolve_figure`): its data ``motif_logos.json`` (with the
    files it reads inside the folder too), or the PNG of an older record.

    Figures whose name contains ``logo`` are preferred over other ``motif`` figures.
    """
    for item in sorted(row.records, key=lambda it: int(it.record["seed"])):
        figures = item.record.get("figures") or {}
        names = sorted(figures, key=lambda n: (("logo" not in n.lower()), n))
        for name in names:
            if "logo" in name.lower() or "motif" in name.lower():
                found = _resolve_figure(str(figures[name]), item.base_dir, item.source)
                suffix = "" if found is None else found.suffix.lower()
                if suffix == ".png" or (
                    suffix == ".json" and _data_confined(found, item.base_dir, item.source)
                ):
                    return found
    return None


def _best_model_logos(source: Path, dest: Path) -> bool:
    """Draw (figure data) or copy (an older record's PNG) the best model's logos to ``dest``."""
    from benchsuite.evaluate.figures_render import FigureDataError, render_figure

    dest.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix.lower() == ".png":
        shutil.copyfile(source, dest)
        return True
    try:
        render_figure(source, dest)
    except FigureDataError as exc:
        log.warning("the best model's motif logos are not drawn: %s", exc)
        return False
    return True


def make_figures(board: Board, out_dir: Path) -> dict[str, Path]:
    """Draw the board's figures into ``out_dir``.

    Parameters
    ----------
    board:
        The board.
    out_dir:
        Folder for the PNG files (created).

    Returns
    -------
    dict
        Figure title -> written PNG path, in display order (skipped figures are absent).
    """
    out_dir = Path(out_dir)
    written: dict[str, Path] = {}
    for stem, (x, y, title) in SCATTERS.items():
        if stem in SPLIT_BY_BIN:  # e.g. robustness: scores are comparable only at equal bin
            bins = sorted(
                {r.bin_size for r, _, _ in _points(board, x, y) if r.kind != "ceiling" and r.bin_size}
            )
            for b in bins:
                path, titled = out_dir / f"{stem}_bin{b}.png", f"{title}, {b}-bp bin"
                if _scatter(board, x, y, titled, path, bin_size=b):
                    written[titled] = path
            continue
        path = out_dir / f"{stem}.png"
        if _scatter(board, x, y, title, path):
            written[title] = path
    best = board.best_row()
    if best is not None:
        source = find_motif_figure(best)
        dest = out_dir / "best_model_motifs.png"
        if source is not None and _best_model_logos(source, dest):
            written[f"First-layer motif logos of the best model ({best.model}, {best.task})"] = dest
        elif source is None:
            log.info("no motif logo figure found for the best model %s/%s", best.model, best.task)
    return written
