"""Comparison of filter PPMs with a motif database: memelite's Tomtom and BH q-values."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence

import numpy as np

from benchsuite.io.meme import Motif

__all__ = ["bh_qvalues", "select_motifs", "tomtom_pvalues"]

logger = logging.getLogger(__name__)

_JASPAR_ID = re.compile(r"^(MA\d{4})\.\d+$")


def bh_qvalues(pvalues: np.ndarray, axis: int = -1) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) along one axis.

    ``q_(i) = min_{k >= i} min(1, m * p_(k) / k)`` for the p-values sorted ascending along
    ``axis`` (``m`` tests). NaN p-values are treated as 1.

    Parameters
    ----------
    pvalues:
        Array of p-values.
    axis:
        Axis holding one family of tests (default: the last, i.e. per query).

    Returns
    -------
    numpy.ndarray
        q-values, same shape as ``pvalues``.
    """
    p = np.moveaxis(np.asarray(pvalues, dtype=np.float64), axis, -1)
    p = np.where(np.isnan(p), 1.0, p)
    m = p.shape[-1]
    if m == 0:
        return np.moveaxis(p.copy(), -1, axis)
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (m / np.arange(1, m + 1))
    q_sorted = np.minimum(np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1], 1.0)
    q = np.empty_like(q_sorted)
    np.put_along_axis(q, order, q_sorted, axis=-1)
    return np.moveaxis(q, -1, axis)


def select_motifs(motifs: Sequence[Motif], exclude: Sequence[str] = ()) -> tuple[list[Motif], list[str]]:
    """Drop excluded motifs from a database (see the module docstring for the matching rule).

    Returns
    -------
    tuple[list[Motif], list[str]]
        The kept motifs and the names of the removed ones.
    """
    exact = {e for e in exclude}
    bases = {m.group(1) for e in exclude if (m := _JASPAR_ID.match(e))}
    kept: list[Motif] = []
    removed: list[str] = []
    for motif in motifs:
        match = _JASPAR_ID.match(motif.name)
        if (
            motif.name in exact
            or (motif.alt_name and motif.alt_name in exact)
            or (match and match.group(1) in bases)
        ):
            removed.append(motif.name)
        else:
            kept.append(motif)
    return kept, removed


def tomtom_pvalues(ppms: Sequence[np.ndarray], motifs: Sequence[Motif]) -> np.ndarray:
    """Tomtom p-values of every query PPM against every database motif (memelite).

    Parameters
    ----------
    ppms:
        Query matrices, each ``(w, 4)`` (rows = positions, columns A, C, G, T).
    motifs:
        Database motifs.

    Returns
    -------
    numpy.ndarray
        ``(len(ppms), len(motifs))`` p-values of the best alignment (either strand).
    """
    from memelite import tomtom

    if not len(ppms):
        return np.ones((0, len(motifs)))
    queries = [np.ascontiguousarray(np.asarray(p, dtype=np.float64).T) for p in ppms]
    targets = [np.ascontiguousarray(np.asarray(m.ppm, dtype=np.float64).T) for m in motifs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tomtom(queries, targets)
    for w in caught:
        logger.warning("memelite tomtom: %s", w.message)
    p = np.asarray(result[0], dtype=np.float64)
    return np.clip(np.where(np.isnan(p), 1.0, p), 0.0, 1.0)
