"""Decoy motifs: the motif database of a simulated bundle is its planted motifs plus decoys.

With the ten planted motifs as the whole database, Tomtom's p-values are unreliable (its null
distribution is built from the database's columns; memelite warns below 25 targets) and a hit
ratio means something else than against JASPAR's ~900 matrices. So ``motifs.meme`` also holds
:data:`N_DECOYS` random PWMs that look like JASPAR matrices but occur nowhere in the genome:

- **width** drawn from JASPAR's widths 6-20 (:data:`WIDTH_COUNTS`);
- **information content** of each position drawn from JASPAR's per-position IC histogram
  (:data:`IC_BIN_EDGES`, :data:`IC_BIN_PROBS`), positions independent; a decoy whose mean IC
  falls outside JASPAR's central 95 % of per-matrix mean IC (:data:`MEAN_IC_RANGE`) is
  redrawn;
- each **row** is ``softmax(lambda * z)`` with random logits ``z`` (a random top base at 1, the
  others uniform in [0, 0.8]) and ``lambda`` solved so that the row has the drawn IC;
- **no near-duplicate** of a planted motif: a decoy whose :func:`motif_similarity` to a planted
  motif (either strand, any offset) reaches :data:`MAX_SIMILARITY` is rejected and redrawn.

Decoys are named ``DECOY_001``, ... with the alternative name ``decoy`` (:func:`is_decoy`), and
``truth.json`` lists them (key ``decoys``). The planted motifs stay the ground truth of
``motifs.recovery_rate``; ``motifs.decoy_match_rate`` counts filters whose best match is a decoy.
Everything is a deterministic function of the generator's state (no file is read).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchsuite.io.meme import Motif, write_meme

__all__ = [
    "DECOY_ALT_NAME",
    "DECOY_PREFIX",
    "IC_BIN_EDGES",
    "IC_BIN_PROBS",
    "MAX_SIMILARITY",
    "MEAN_IC_RANGE",
    "N_DECOYS",
    "WIDTH_COUNTS",
    "Decoys",
    "is_decoy",
    "make_decoys",
    "motif_similarity",
    "position_ic",
    "write_motif_database",
]

#: number of decoys in a bundle's motif database
N_DECOYS = 240
#: decoy motif names start with this
DECOY_PREFIX = "DECOY_"
#: alternative name of every decoy in the MEME file
DECOY_ALT_NAME = "decoy"

# Calibrated once on JASPAR 2024 CORE vertebrates non-redundant (879 matrices,
# JASPAR2024_CORE_vertebrates_non-redundant_pfms_meme.txt); hard-coded so that the simulator
# needs no data file. There: widths 5-33, median 9, 99 % within 6-20; per-position IC (bits,
# uniform background) mean 1.318, sd 0.542, quantiles 10/25/50/75/90 % = 0.486 / 0.886 / 1.437
# / 1.789 / 1.970; per-matrix mean IC median 1.354, central 95 % 0.939-1.789.

#: number of JASPAR matrices of each width 6..20 (the sampling weights of a decoy's width)
WIDTH_COUNTS: dict[int, int] = {
    6: 95, 7: 101, 8: 123, 9: 139, 10: 126, 11: 58, 12: 41, 13: 50,
    14: 44, 15: 34, 16: 20, 17: 20, 18: 8, 19: 6, 20: 5,
}  # fmt: skip
#: bins of the per-position information content (bits)
IC_BIN_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)
#: fraction of JASPAR positions in each bin (a position's IC is uniform within its bin)
IC_BIN_PROBS = (0.018, 0.047, 0.078, 0.070, 0.084, 0.089, 0.091, 0.125, 0.155, 0.242)
#: a decoy's mean IC per position must lie in JASPAR's central 95 % of matrices
MEAN_IC_RANGE = (0.939, 1.789)
#: highest IC of a row (a one-hot row would need an infinite lambda)
_MAX_ROW_IC = 1.98
#: a decoy this similar to a planted motif (see motif_similarity) is rejected
MAX_SIMILARITY = 0.5
#: pseudocount of the log-odds matrices of motif_similarity
_PSEUDOCOUNT = 0.01


def is_decoy(motif: Motif) -> bool:
    """Whether a database motif is a decoy (name ``DECOY_*`` or alternative name ``decoy``)."""
    return motif.name.startswith(DECOY_PREFIX) or motif.alt_name == DECOY_ALT_NAME


def position_ic(ppm: np.ndarray) -> np.ndarray:
    """Information content (bits, uniform background) of each row of a ``(w, 4)`` PPM."""
    p = np.clip(np.asarray(ppm, dtype=np.float64), 1e-12, 1.0)
    return 2.0 + (p * np.log2(p)).sum(axis=1)


def _rows_with_ic(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Rows ``softmax(lam * logits)`` with information content ``targets`` (bisection on ``lam``)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    lo, hi = np.zeros(len(targets)), np.full(len(targets), 400.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        z = np.exp(mid[:, None] * shifted)
        below = position_ic(z / z.sum(axis=1, keepdims=True)) < targets
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    z = np.exp(hi[:, None] * shifted)
    return z / z.sum(axis=1, keepdims=True)


def _draw_ppm(rng: np.random.Generator) -> np.ndarray:
    """One decoy PPM (rounded to 6 decimals, rows summing to 1)."""
    widths = np.array(list(WIDTH_COUNTS))
    weights = np.array(list(WIDTH_COUNTS.values()), dtype=np.float64)
    edges, probs = np.asarray(IC_BIN_EDGES), np.asarray(IC_BIN_PROBS) / sum(IC_BIN_PROBS)
    width = int(rng.choice(widths, p=weights / weights.sum()))
    while True:
        bins = rng.choice(len(probs), size=width, p=probs)
        ics = np.minimum(rng.uniform(edges[bins], edges[bins + 1]), _MAX_ROW_IC)
        if MEAN_IC_RANGE[0] <= ics.mean() <= MEAN_IC_RANGE[1]:
            break
    # random logits: the top base at 1, the others uniform in [0, 0.8]
    logits = np.concatenate([np.ones((width, 1)), rng.uniform(0.0, 0.8, size=(width, 3))], axis=1)
    logits = np.take_along_axis(logits, rng.permuted(np.tile(np.arange(4), (width, 1)), axis=1), axis=1)
    ppm = np.round(_rows_with_ic(logits, ics), 6)
    top = ppm.argmax(axis=1)
    ppm[np.arange(width), top] += 1.0 - ppm.sum(axis=1)
    return np.round(ppm, 6)


def _logodds(ppm: np.ndarray) -> np.ndarray:
    return np.log2((ppm + _PSEUDOCOUNT) / (1.0 + 4 * _PSEUDOCOUNT) / 0.25)


def motif_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """How much one motif contains the other, best over offsets and both strands of ``a``.

    For an alignment, the expected log-odds score under ``b``'s PWM of sites drawn from the
    overlapping columns of ``a``, divided by the expected score of ``b``'s own sites (1 when
    ``a`` contains ``b``), and the same with the roles swapped; the similarity is the larger
    of the two, maximised over offsets (any overlap) and strands. Unrelated motifs score
    around 0 or below, a motif and a sub-motif of it about 1.

    Parameters
    ----------
    a, b:
        ``(w, 4)`` PPMs (columns A, C, G, T).

    Returns
    -------
    float
    """
    b = np.asarray(b, dtype=np.float64)
    lo_b = _logodds(b)
    self_b = float((b * lo_b).sum())
    best = -np.inf
    for strand in (np.asarray(a, dtype=np.float64), np.asarray(a, dtype=np.float64)[::-1, ::-1]):
        lo_a = _logodds(strand)
        self_a = float((strand * lo_a).sum())
        a_under_b = strand @ lo_b.T  # (w_a, w_b): column j of a scored by column k of b
        b_under_a = lo_a @ b.T
        for offset in range(-(strand.shape[0] - 1), b.shape[0]):
            r1 = np.trace(a_under_b, offset=offset) / self_b
            r2 = np.trace(b_under_a, offset=offset) / self_a
            best = max(best, r1, r2)
    return float(best)


@dataclass
class Decoys:
    """Decoy motifs and how many candidates were rejected as near-duplicates of planted motifs."""

    motifs: list[Motif]
    n_rejected: int

    def to_truth(self) -> dict:
        """The ``decoys`` entry of ``truth.json``."""
        return {
            "names": [m.name for m in self.motifs],
            "n_rejected": self.n_rejected,
            "max_similarity": MAX_SIMILARITY,
            "mean_ic_range": list(MEAN_IC_RANGE),
            "widths": [min(WIDTH_COUNTS), max(WIDTH_COUNTS)],
        }


def make_decoys(planted: Sequence[np.ndarray], rng: np.random.Generator, n: int = N_DECOYS) -> Decoys:
    """Draw ``n`` decoy motifs, none a near-duplicate of a planted motif.

    Parameters
    ----------
    planted:
        The planted motifs' ``(w, 4)`` PPMs.
    rng:
        Source of randomness (the decoys are a deterministic function of its state).
    n:
        Number of decoys.

    Returns
    -------
    Decoys
    """
    motifs: list[Motif] = []
    rejected = 0
    digits = max(3, len(str(n)))
    while len(motifs) < n:
        ppm = _draw_ppm(rng)
        if any(motif_similarity(ppm, p) >= MAX_SIMILARITY for p in planted):
            rejected += 1
            continue
        name = f"{DECOY_PREFIX}{len(motifs) + 1:0{digits}d}"
        motifs.append(Motif(name=name, ppm=ppm, alt_name=DECOY_ALT_NAME))
    return Decoys(motifs=motifs, n_rejected=rejected)


def write_motif_database(
    path: str | os.PathLike[str], planted: Sequence[Motif], rng: np.random.Generator, n: int = N_DECOYS
) -> Decoys:
    """Write the planted motifs followed by ``n`` decoys as a MEME file; returns the decoys."""
    decoys = make_decoys([m.ppm for m in planted], rng, n)
    write_meme(path, [*planted, *decoys.motifs])
    return decoys
