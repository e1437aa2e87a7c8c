"""Figures of the evaluation harness: sequence logos of first-layer filters, attribution logos
(model vs oracle, planted sites shaded) and cooperative-pair interaction curves.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, so they
never touch pyplot's global state or need a display, and are written atomically as PNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from benchsuite.io.atomic import atomic_write

__all__ = ["information_content", "plot_attribution_logos", "plot_interaction_curves", "plot_motif_logos"]


def information_content(
    ppm: np.ndarray, background: Sequence[float] = (0.25, 0.25, 0.25, 0.25)
) -> np.ndarray:
    """Letter heights of an information-content logo.

    Parameters
    ----------
    ppm:
        ``(w, 4)`` position probability matrix (A, C, G, T columns); rows are renormalised.
    background:
        Background base frequencies.

    Returns
    -------
    numpy.ndarray
        ``(w, 4)`` heights ``p * IC`` with ``IC = sum_b p_b log2(p_b / background_b)`` bits per
        position (0 to 2 bits for a uniform background).
    """
    p = np.asarray(ppm, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 4:
        raise ValueError(f"a PPM must have shape (w, 4), got {p.shape}")
    p = np.clip(p, 0.0, None)
    total = p.sum(axis=1, keepdims=True)
    p = np.divide(p, total, out=np.full_like(p, 0.25), where=total > 0)
    bg = np.asarray(background, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / bg), 0.0)
    ic = np.clip(terms.sum(axis=1, keepdims=True), 0.0, None)
    return p * ic


def plot_motif_logos(
    ppms: Sequence[np.ndarray],
    titles: Sequence[str],
    path: str | Path,
    *,
    ncols: int = 4,
    dpi: int = 120,
) -> Path:
    """Draw information-content sequence logos in a grid and save them as a PNG.

    Parameters
    ----------
    ppms:
        Position probability matrices, each ``(w, 4)`` (A, C, G, T columns).
    titles:
        One title per logo (e.g. ``"filter 3: MA0139.2 CTCF (q=1e-05)"``).
    path:
        Output PNG path (written atomically; parent folders are created).
    ncols:
        Logos per row.
    dpi:
        Resolution.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import logomaker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if len(ppms) != len(titles):
        raise ValueError(f"{len(ppms)} PPMs but {len(titles)} titles")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = max(1, len(ppms))
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(3.4 * ncols, 1.9 * nrows), dpi=dpi)
    FigureCanvasAgg(fig)
    if not ppms:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no filters to show", ha="center", va="center")
        ax.set_axis_off()
    for k, (ppm, title) in enumerate(zip(ppms, titles, strict=True)):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        heights = pd.DataFrame(information_content(ppm), columns=list("ACGT"))
        logomaker.Logo(heights, ax=ax, color_scheme="classic", show_spines=False)
        ax.set_ylim(0, 2)
        ax.set_yticks([0, 1, 2])
        ax.set_xticks([])
        ax.set_ylabel("bits", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
    return path


def plot_attribution_logos(
    maps: Sequence[np.ndarray],
    titles: Sequence[str],
    sites: Sequence[tuple[int, int, str]],
    path: str | Path,
    *,
    start: int = 0,
    dpi: int = 120,
) -> Path:
    """Attribution logos of one sequence, one row per map, planted sites shaded.

    Parameters
    ----------
    maps:
        ``(w, 4)`` attributions (A, C, G, T columns; usually non-zero at the observed base only),
        e.g. the model's saliency x input and the model's and the oracle's ISM attributions.
    titles:
        One title per row.
    sites:
        ``(start, end, label)`` of the planted sites, in the maps' coordinates.
    path:
        Output PNG (written atomically).
    start:
        Window position of the maps' first column (x-axis labels).
    """
    import logomaker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if len(maps) != len(titles):
        raise ValueError(f"{len(maps)} maps but {len(titles)} titles")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width = max((m.shape[0] for m in maps), default=1)
    fig = Figure(figsize=(min(2.0 + width / 9.0, 24.0), 1.6 * max(1, len(maps))), dpi=dpi)
    FigureCanvasAgg(fig)
    for k, (values, title) in enumerate(zip(maps, titles, strict=True)):
        ax = fig.add_subplot(max(1, len(maps)), 1, k + 1)
        _draw_attribution(ax, np.asarray(values, dtype=np.float64), int(start), logomaker.Glyph)
        end = int(start) + np.asarray(values).shape[0]
        for s, e, label in sites:
            s, e = max(int(s), int(start)), min(int(e), end)
            if s >= e:  # outside the shown span
                continue
            ax.axvspan(s - 0.5, e - 0.5, color="gold", alpha=0.25, lw=0)
            ax.text(
                (s + e) / 2,
                1.0,
                label,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax.set_title(title, fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
    return path


_BASE_COLOURS = {"A": "green", "C": "blue", "G": "orange", "T": "red"}


def _draw_attribution(ax: object, values: np.ndarray, start: int, glyph: type) -> None:
    """One letter per non-zero entry (height = value; below the axis when negative).

    Only the non-zero entries are drawn (an attribution map of the observed bases has one per
    position), which is four times fewer glyphs than a full logo.
    """
    for p, b in zip(*np.nonzero(values), strict=True):
        v = float(values[p, b])
        glyph(
            start + int(p),
            "ACGT"[b],
            ax=ax,
            floor=min(v, 0.0),
            ceiling=max(v, 0.0),
            color=_BASE_COLOURS["ACGT"[b]],
            flip=False,
        )
    lim = float(np.abs(values).max()) or 1.0
    ax.set_xlim(start - 0.5, start + values.shape[0] - 0.5)  # type: ignore[attr-defined]
    ax.set_ylim(min(float(values.min()), 0.0) - 0.05 * lim, max(float(values.max()), 0.0) + 0.05 * lim)  # type: ignore[attr-defined]
    ax.axhline(0.0, color="grey", lw=0.5)  # type: ignore[attr-defined]


def plot_interaction_curves(
    curves: Sequence[dict], path: str | Path, *, ncols: int = 3, dpi: int = 120
) -> Path:
    """GIA interaction curves ``I(d)`` of motif pairs, model vs oracle, each scaled by its largest
    absolute value (a binary model's logits and the oracle's coverage differ in units).

    ``curves`` are rows of ``tables["interpret"]["pairs"]``: ``a``, ``b``, ``target``,
    ``cooperative``, ``distances``, ``model``, ``oracle``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = max(1, len(curves))
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(3.4 * ncols, 2.4 * nrows), dpi=dpi)
    FigureCanvasAgg(fig)
    for k, row in enumerate(curves):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        d = np.asarray(row["distances"], dtype=np.float64)
        for key, style in (("oracle", "k-"), ("model", "C1o--")):
            y = np.asarray(row[key], dtype=np.float64)
            scale = float(np.abs(y).max()) or 1.0
            ax.plot(d, y / scale, style, ms=3, lw=1.2, label=key)
        kind = "cooperative" if row["cooperative"] else "control"
        ax.set_title(f"{row['a']}-{row['b']} ({kind}), {row['target']}", fontsize=8)
        ax.set_xlabel("centre distance (bp)", fontsize=7)
        ax.set_ylabel("I(d) / max |I|", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    if not curves:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no pair has both motifs active in a target", ha="center", va="center")
        ax.set_axis_off()
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
    return path
