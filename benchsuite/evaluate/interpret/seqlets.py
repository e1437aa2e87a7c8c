"""Attribution seqlets matched to a motif database (real data, sequence sets, simulated bundles).

Where there is no truth to score against, the attribution maps still say which known motifs a
model relies on. Per target:

1. :func:`top_seqlets` - the summed ``|saliency x input|`` in every ``width``-bp window of every
   test sequence; each sequence's best non-overlapping windows (at most ``per_sequence``), then
   the ``k`` best over all sequences;
2. :func:`seqlet_ppms` - each seqlet trimmed to the span whose attribution is at least
   :data:`TRIM_FRACTION` of its largest, as the one-hot of its sequence plus a pseudocount;
3. :func:`match_seqlets` - Tomtom (memelite, both strands) against the database, BH q-values
   per seqlet over the database; a seqlet matches its best motif when q < 0.05.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["MATCH_Q", "TRIM_FRACTION", "match_seqlets", "seqlet_ppms", "top_seqlets"]

#: a seqlet matches a database motif below this q-value (as the filters of the motif family)
MATCH_Q = 0.05
#: seqlets are trimmed to the span whose |attribution| reaches this fraction of the largest
TRIM_FRACTION = 0.2
_PSEUDOCOUNT = 0.05
_MIN_WIDTH = 6


def top_seqlets(
    magnitude: np.ndarray, *, width: int = 15, k: int = 20, per_sequence: int = 2
) -> list[tuple[int, int, float]]:
    """``(sequence, start, score)`` of the ``k`` best seqlets of ``magnitude (N, L)``, best first."""
    mag = np.asarray(magnitude, dtype=np.float64)
    n, length = mag.shape
    if length < width:
        return []
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(mag, axis=1)], axis=1)
    window = csum[:, width:] - csum[:, :-width]  # (N, L - width + 1)
    found: list[tuple[int, int, float]] = []
    for i in range(n):
        row = window[i].copy()
        for _ in range(per_sequence):
            j = int(np.argmax(row))
            if not np.isfinite(row[j]) or row[j] <= 0:
                break
            found.append((i, j, float(row[j])))
            row[max(0, j - width + 1) : j + width] = -np.inf  # no overlap with this seqlet
    found.sort(key=lambda s: (-s[2], s[0], s[1]))
    return found[:k]


def seqlet_ppms(
    codes: np.ndarray, magnitude: np.ndarray, seqlets: Sequence[tuple[int, int, float]], width: int = 15
) -> list[np.ndarray]:
    """``(w, 4)`` PPMs of the seqlets: their trimmed sequences, one-hot plus a pseudocount."""
    ppms = []
    for i, start, _ in seqlets:
        mag = np.asarray(magnitude[i, start : start + width], dtype=np.float64)
        keep = np.flatnonzero(mag >= TRIM_FRACTION * mag.max()) if mag.max() > 0 else np.arange(mag.size)
        lo, hi = int(keep.min()), int(keep.max()) + 1
        while hi - lo < _MIN_WIDTH and (lo > 0 or hi < width):  # widen around the peak span
            lo, hi = max(0, lo - 1), min(width, hi + 1)
        seq = np.asarray(codes[i, start + lo : start + hi])
        ppm = np.full((seq.size, 4), _PSEUDOCOUNT)
        known = seq < 4
        ppm[np.flatnonzero(known), seq[known]] += 1.0
        ppm[~known] = 0.25
        ppms.append(ppm / ppm.sum(axis=1, keepdims=True))
    return ppms


def match_seqlets(ppms: Sequence[np.ndarray], motifs: Sequence[Any]) -> list[str | None]:
    """The best-matching database motif's name of each seqlet (None: no match at q < 0.05)."""
    from benchsuite.evaluate.motifs.tomtom import bh_qvalues, tomtom_pvalues

    if not len(ppms) or not len(motifs):
        return [None] * len(ppms)
    p = tomtom_pvalues(ppms, motifs)
    q = bh_qvalues(p, axis=1)
    best = [int(np.lexsort((p[r], q[r]))[0]) for r in range(q.shape[0])]  # smallest q, ties by p
    return [motifs[int(b)].name if q[r, b] < MATCH_Q else None for r, b in enumerate(best)]


def seqlet_report(
    magnitude: np.ndarray,
    codes: np.ndarray,
    target_names: Sequence[str],
    motifs: Sequence[Any],
    *,
    planted: Sequence[str] | None = None,
    decoys: Sequence[str] = (),
    width: int = 15,
    k: int = 20,
) -> dict[str, Any]:
    """Top seqlets of every target of ``magnitude (N, T, L)`` matched to ``motifs``.

    Returns ``match_rate`` (per target: fraction of its seqlets whose best match, q < 0.05, is
    not a decoy), ``recovery`` (with ``planted``: fraction of the planted motifs that are the
    best match of at least one seqlet; else None) and ``matches`` (per target: motif -> count,
    most frequent first) and ``best`` (per target: window, start and match of its best seqlet).
    """
    per_target: list[list[str | None]] = []
    top: list[list[list[int]]] = []
    for t in range(magnitude.shape[1]):
        seqlets = top_seqlets(magnitude[:, t], width=width, k=k)
        per_target.append(match_seqlets(seqlet_ppms(codes, magnitude[:, t], seqlets, width), motifs))
        top.append([[int(i), int(start)] for i, start, _ in seqlets[:1]])
    decoy_set = set(decoys)
    rate = [
        float(np.mean([m is not None and m not in decoy_set for m in found])) if found else float("nan")
        for found in per_target
    ]
    matches = {}
    for name, found in zip(target_names, per_target, strict=True):
        counts: dict[str, int] = {}
        for m in found:
            if m is not None:
                counts[m] = counts.get(m, 0) + 1
        matches[str(name)] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    recovery = None
    if planted:
        seen = {m for found in per_target for m in found if m is not None}
        recovery = float(np.mean([p in seen for p in planted]))
    best = {
        str(name): {"window": t[0][0], "start": t[0][1], "match": found[0]}
        for name, t, found in zip(target_names, top, per_target, strict=True)
        if t
    }
    return {
        "match_rate": rate,
        "recovery": recovery,
        "matches": matches,
        "best": best,
        "width": width,
        "k": k,
    }
