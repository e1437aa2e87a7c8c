"""Figures of the evaluation harness: sequence logos of first-layer filters.

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

__all__ = ["information_content", "plot_motif_logos"]


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
