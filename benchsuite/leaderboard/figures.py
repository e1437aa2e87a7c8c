"""Leaderboard figures (matplotlib, Agg backend).

- ``auroc_vs_pearson.png``: peak AUROC vs whole-chromosome Pearson r (the paper's Fig. 4 view
  of task conversion), binary and quantitative models in different colours;
- ``cagi5_vs_pearson.png``: CAGI5 robust effect correlation vs whole-chromosome Pearson r;
- ``robustness_vs_perseq.png``: robustness variation (lower is better) vs per-sequence Pearson r;
- ``best_model_motifs.png``: the first-layer motif logos of the rank-1 model, copied from the
  figure its record references (when the file is still reachable).

Ceilings are drawn as black stars. A scatter with no point having both values is not drawn.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from benchsuite.leaderboard.tables import Board, Row

__all__ = ["SCATTERS", "make_figures", "find_motif_figure"]

log = logging.getLogger(__name__)

#: file stem -> (x metric, y metric, title)
SCATTERS: dict[str, tuple[str, str, str]] = {
    "auroc_vs_pearson": ("wholechrom.pearson", "peak.auroc", "Peak AUROC vs whole-chromosome Pearson r"),
    "cagi5_vs_pearson": (
        "wholechrom.pearson",
        "cagi5.robust",
        "CAGI5 (robust) vs whole-chromosome Pearson r",
    ),
    "robustness_vs_perseq": (
        "perseq.pearson",
        "robustness.variation",
        "Robustness variation (lower is better) vs per-sequence Pearson r",
    ),
}
_TASK_COLOURS = {"binary": "#d95f02", "quantitative": "#1b9e77"}
_OTHER_COLOUR = "#7570b3"


def _plain_text(text: str) -> str:
    """Text for matplotlib labels: no mathtext (``$``) interpretation."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _scatter(board: Board, x: str, y: str, title: str, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    points: list[tuple[Row, float, float]] = []
    for row in board.all_rows:
        vx, vy = row.value(x), row.value(y)
        if vx is not None and vy is not None:
            points.append((row, vx, vy))
    if not points:
        log.info("figure %s skipped: no row has both %s and %s", path.name, x, y)
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    try:
        seen: set[str] = set()
        for row, vx, vy in points:
            if row.kind == "ceiling":
                label = "ceiling"
                ax.scatter(
                    vx, vy, marker="*", s=160, color="black", label=None if label in seen else label, zorder=3
                )
            else:
                label = f"{row.task} model"
                colour = _TASK_COLOURS.get(row.task, _OTHER_COLOUR)
                ax.scatter(
                    vx,
                    vy,
                    s=48,
                    color=colour,
                    edgecolor="white",
                    label=None if label in seen else label,
                    zorder=2,
                )
            seen.add(label)
            ax.annotate(
                _plain_text(row.model),
                (vx, vy),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
            )
        ax.set_xlabel(_plain_text(x))
        ax.set_ylabel(_plain_text(y))
        ax.set_title(_plain_text(f"{title}\n{board.dataset_name}"), fontsize=10)
        ax.grid(alpha=0.3)
        ax.margins(x=0.12, y=0.08)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return True


def _resolve_figure(path_text: str, base_dir: Path | None) -> Path | None:
    """Find a record's figure: absolute, relative to the record's folder or to the working
    directory the run was started from, or anywhere below the record's folder by file name."""
    path = Path(path_text)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path]
    if base_dir is not None:
        if not path.is_absolute():
            candidates.append(base_dir / path)
        candidates.append(base_dir / path.name)
    for c in candidates:
        if c.is_file():
            return c
    if base_dir is not None and base_dir.is_dir():
        return next((c for c in sorted(base_dir.rglob(path.name)) if c.is_file()), None)
    return None


def find_motif_figure(row: Row) -> Path | None:
    """The motif-logo figure referenced by one of the row's records, if the file exists.

    Figures whose name contains ``logo`` are preferred over other ``motif`` figures.
    """
    for item in sorted(row.records, key=lambda it: int(it.record["seed"])):
        figures = item.record.get("figures") or {}
        names = sorted(figures, key=lambda n: (("logo" not in n.lower()), n))
        for name in names:
            if "logo" in name.lower() or "motif" in name.lower():
                found = _resolve_figure(figures[name], item.base_dir)
                if found is not None and found.suffix.lower() == ".png":
                    return found
    return None


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
        path = out_dir / f"{stem}.png"
        if _scatter(board, x, y, title, path):
            written[title] = path
    best = board.best_row()
    if best is not None:
        source = find_motif_figure(best)
        if source is not None:
            dest = out_dir / "best_model_motifs.png"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            written[f"First-layer motif logos of the best model ({best.model}, {best.task})"] = dest
        else:
            log.info("no motif logo figure found for the best model %s/%s", best.model, best.task)
    return written
