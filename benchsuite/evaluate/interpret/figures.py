"""The interpret family's figures: the data of what is shown, from a plan and two readouts.

Nothing is drawn here: each figure's data (titles, sites, curves as JSON; attribution maps as a
compressed ``.npz``) is written to the cell's ``figures/interpret/`` folder, and
:mod:`benchsuite.evaluate.figures_render` draws it on demand (``benchsuite figures CELL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.evaluate.interpret import protocol
from benchsuite.evaluate.interpret.truth import ACTIVE_MIN, Truth

__all__ = ["ism_attribution", "write_figures", "write_seqlets"]


def ism_attribution(delta: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``(span, 4)``: minus the mean effect of the alternatives, at the observed base."""
    out = np.zeros_like(delta)
    value = -delta.sum(axis=-1) / 3.0
    known = codes < 4
    out[np.flatnonzero(known), codes[known]] = value[known]
    return out


def write_figures(
    ctx: Any,
    plan: protocol.Plan,
    truth: Truth,
    cells: list[str | None],
    idx: np.ndarray,
    mine: protocol.Readout,
    ref: protocol.Readout,
    saliency: np.ndarray | None,
    table: dict[str, Any],
) -> dict[str, str]:
    """The data of the first ISM window's attribution logos and of the pairs' interaction curves
    (``pairs.json``, ``attribution.json`` + ``.npz``); returns figure name -> JSON file."""
    from benchsuite.evaluate.figures_render import write_figure_data

    assert ctx.out_dir is not None
    folder = Path(ctx.out_dir) / "interpret"
    keys = ("a", "b", "target", "cooperative", "distances", "model", "oracle")
    curves = [{k: row[k] for k in keys} for row in table["pairs"]]
    pairs = write_figure_data(
        folder, "pairs", name="interpret.pairs", kind="interaction_curves", spec={"curves": curves}
    )
    figures = {"interpret.pairs": str(pairs)}
    if not plan.ism_rows.size:
        return figures
    sites = plan.sites[0]
    first = int(sites[0, 2])
    t = next((t for t, c in enumerate(cells) if c and truth.activity(c)[first] > ACTIVE_MIN), 0)
    lo, span = int(plan.ism_starts[0]), plan.ism_span
    codes = plan.codes[0, lo : lo + span]
    maps = [ism_attribution(mine.ism[0, t], codes), ism_attribution(ref.ism[0, idx[t]], codes)]
    titles = [f"{ctx.source.name}: ISM ({cells[t]})", f"oracle: ISM ({cells[t]})"]
    if saliency is not None:
        maps.insert(0, saliency[t, :, lo : lo + span].T)
        titles.insert(0, f"{ctx.source.name}: corrected saliency x input ({cells[t]})")
    names = truth.grammar.motif_names
    shaded = [(int(s), int(e), names[int(m)]) for s, e, m in sites if s < lo + span and e > lo]
    path = write_figure_data(
        folder,
        "attribution",
        name="interpret.attribution",
        kind="attribution_logos",
        spec={"titles": titles, "sites": shaded, "start": lo},
        arrays={"maps": np.stack(maps)},
    )
    figures["interpret.attribution"] = str(path)
    return figures


def write_seqlets(
    best: dict[str, dict[str, Any]],
    magnitude: np.ndarray,
    codes: np.ndarray,
    names: list[str],
    width: int,
    folder: Path,
    *,
    max_targets: int = 6,
) -> Path:
    """The data of ``seqlets.png`` (``seqlets.json`` + ``.npz``): each target's best attribution
    seqlet (|saliency x input| at the observed bases) titled with its Tomtom match."""
    from benchsuite.evaluate.figures_render import write_figure_data

    maps: list[np.ndarray] = []
    titles: list[str] = []
    for t, name in enumerate(names):
        if name not in best or len(maps) >= max_targets:
            continue
        i, start = int(best[name]["window"]), int(best[name]["start"])
        values = np.zeros((width, 4))
        seq = codes[i, start : start + width]
        known = seq < 4
        values[np.flatnonzero(known), seq[known]] = magnitude[i, t, start : start + width][known]
        maps.append(values)
        titles.append(
            f"{name}: best seqlet (window {i}, {start}-{start + width}), "
            f"match {best[name]['match'] or 'none'}"
        )
    return write_figure_data(
        folder,
        "seqlets",
        name="interpret.seqlets",
        kind="attribution_logos",
        spec={"titles": titles, "sites": [], "start": 0},
        arrays={"maps": np.stack(maps) if maps else np.zeros((0, width, 4))},
    )
