"""The ground truth of a simulated bundle, as the interpretation scores read it.

``truth.json`` (written by ``benchsuite simulate``) holds the grammar (motifs, the cell-type
activity matrix, cooperative pairs, flank preferences), the oracle's parameters, the planted
sites (genome coordinates) and every strong motif hit (planted or by chance). :func:`load_truth`
reads it once into a :class:`Truth`; :meth:`Truth.window_sites` and :func:`site_masks` turn a
test window into the per-position classes the attribution scores use:

* **active**: positions inside a planted site of a motif active in the cell type
  (activity above :data:`ACTIVE_MIN`);
* **inactive**: positions inside a planted site of a motif whose activity there is below
  :data:`INACTIVE_MAX` (a model that attributes to them has learned the motif, not the cell type);
* **far**: positions at least :data:`FAR_BP` from every planted site and every strong hit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import InputFileError

__all__ = ["ACTIVE_MIN", "FAR_BP", "INACTIVE_MAX", "Truth", "load_truth", "site_masks"]

#: activity above which a motif counts as active in a cell type
ACTIVE_MIN = 0.1
#: activity below which a motif counts as inactive in a cell type
INACTIVE_MAX = 0.01
#: background positions are at least this far (bp) from every site and strong hit
FAR_BP = 20


@dataclass
class Truth:
    """The parts of ``truth.json`` the interpretation family needs.

    Attributes
    ----------
    path:
        The ``truth.json`` read.
    oracle:
        The simulator's oracle (:class:`benchsuite.simulate.oracle.Oracle`).
    sites:
        chromosome -> ``(start, end, motif index)`` int64 arrays of the planted sites, sorted.
    hits:
        chromosome -> sorted centre positions of every strong hit (planted or chance).
    """

    path: Path
    oracle: Any
    sites: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    hits: dict[str, np.ndarray]

    @property
    def grammar(self) -> Any:
        """The grammar (:class:`benchsuite.simulate.grammar.Grammar`)."""
        return self.oracle.grammar

    def activity(self, celltype: str) -> np.ndarray:
        """``(M,)`` activity of every motif in ``celltype``."""
        return np.asarray(self.grammar.activity[list(self.grammar.celltypes).index(celltype)])

    def window_sites(self, chrom: str, start: int, length: int) -> np.ndarray:
        """``(k, 3)`` planted sites wholly inside ``[start, start + length)``: start, end (relative
        to the window) and motif index."""
        if chrom not in self.sites:
            return np.zeros((0, 3), np.int64)
        s, e, m = self.sites[chrom]
        lo, hi = np.searchsorted(s, start), np.searchsorted(s, start + length)
        keep = slice(lo, hi)
        inside = e[keep] <= start + length
        return np.stack([s[keep][inside] - start, e[keep][inside] - start, m[keep][inside]], axis=1)

    def near_hits(self, chrom: str, start: int, length: int) -> np.ndarray:
        """Centres (relative) of the strong hits within ``FAR_BP`` of the window."""
        pos = self.hits.get(chrom, np.zeros(0, np.int64))
        lo, hi = np.searchsorted(pos, start - FAR_BP), np.searchsorted(pos, start + length + FAR_BP)
        return pos[lo:hi] - start


def load_truth(path: str | Path) -> Truth:
    """Read a bundle's ``truth.json`` (or the folder holding it).

    Raises
    ------
    InputFileError
        The file is missing or lacks the grammar, the sites or the hits.
    """
    from benchsuite.simulate.oracle import load_oracle

    path = Path(path)
    if path.is_dir():
        path = path / "truth.json"
    oracle = load_oracle(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = list(oracle.grammar.motif_names)
        sites = _by_chrom(
            data["sites"]["chrom"],
            np.asarray(data["sites"]["start"], np.int64),
            np.asarray(data["sites"]["end"], np.int64),
            np.array([names.index(m) for m in data["sites"]["motif"]], np.int64),
        )
        hit_chroms = list(data["hits"]["chrom"])
        hit_pos = np.asarray(data["hits"]["position"], np.int64)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(
            f"truth.json lacks the planted sites or hits ({type(exc).__name__}: {exc})",
            source=path,
            hint="re-create the bundle with `benchsuite simulate --force`",
        ) from None
    hits = {c: np.sort(hit_pos[[h == c for h in hit_chroms]]) for c in dict.fromkeys(hit_chroms)}
    return Truth(path, oracle, sites, hits)


def _by_chrom(
    chroms: list[str], starts: np.ndarray, ends: np.ndarray, motifs: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    out = {}
    chrom_arr = np.asarray(chroms, dtype=object)
    for c in dict.fromkeys(chroms):
        sel = np.flatnonzero(chrom_arr == c)
        order = sel[np.argsort(starts[sel], kind="stable")]
        out[str(c)] = (starts[order], ends[order], motifs[order])
    return out


def site_masks(
    sites: np.ndarray, hits: np.ndarray, activity: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(active, inactive, far) boolean ``(length,)`` masks of one window for one cell type.

    ``sites`` is :meth:`Truth.window_sites`, ``hits`` :meth:`Truth.near_hits`, ``activity``
    :meth:`Truth.activity`. A position inside both an active and an inactive site is active.
    """
    active = np.zeros(length, bool)
    inactive = np.zeros(length, bool)
    near = np.zeros(length + 2 * FAR_BP, bool)
    for s, e, m in sites:
        if activity[m] > ACTIVE_MIN:
            active[s:e] = True
        elif activity[m] < INACTIVE_MAX:
            inactive[s:e] = True
        near[s : e + 2 * FAR_BP] = True  # [s - FAR_BP, e + FAR_BP) shifted by FAR_BP
    for h in hits:
        near[max(h, 0) : h + 2 * FAR_BP + 1] = True  # [h - FAR_BP, h + FAR_BP]
    inactive &= ~active
    return active, inactive, ~near[FAR_BP : FAR_BP + length]
