"""Comparison of filter PPMs with a motif database: memelite's Tomtom and BH q-values.

memelite's Tomtom is numba code compiled on first use (~75 s on a 2-core machine) and cached on
disk by numba (``cache=True``). :func:`use_numba_cache` points numba's cache at a persistent user
folder (``$NUMBA_CACHE_DIR`` when set, else :func:`default_numba_cache_dir`), which the CLI does
at start, so the compilation is paid once per machine and numba version, not once per
environment or process; :func:`warm_up` compiles it ahead of time (``scripts/install.sh``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import warnings
from collections.abc import MutableMapping, Sequence
from pathlib import Path

import numpy as np

from benchsuite.io.meme import Motif

__all__ = [
    "NUMBA_CACHE_ENV",
    "bh_qvalues",
    "default_numba_cache_dir",
    "select_motifs",
    "tomtom_pvalues",
    "use_numba_cache",
    "warm_up",
]

#: the environment variable numba reads its on-disk cache folder from
NUMBA_CACHE_ENV = "NUMBA_CACHE_DIR"

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


def default_numba_cache_dir(environ: MutableMapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/benchsuite/numba`` (``~/.cache/benchsuite/numba`` without it)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "benchsuite" / "numba"


def use_numba_cache(environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Make numba cache compiled code in a persistent folder; the folder (None: numba's default).

    A ``$NUMBA_CACHE_DIR`` the user set is kept. Otherwise it is set to
    :func:`default_numba_cache_dir` (created); when that folder cannot be created, nothing is
    set and numba caches beside the installed package as usual. Call it before numba is
    imported (the CLI does it at start); when numba is already imported its configuration is
    updated too.
    """
    env = os.environ if environ is None else environ
    if env.get(NUMBA_CACHE_ENV):
        return Path(env[NUMBA_CACHE_ENV])
    folder = default_numba_cache_dir(env)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    env[NUMBA_CACHE_ENV] = str(folder)
    if environ is None and "numba" in sys.modules:  # pragma: no cover - numba imported earlier
        from numba.core import config

        config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    return folder


def warm_up() -> float:
    """Compile (or load from the cache) memelite's Tomtom on a tiny input; the seconds it took."""
    rng = np.random.default_rng(0)
    ppms = [rng.dirichlet(np.ones(4), size=8) for _ in range(2)]
    motifs = [Motif(name=f"warmup{i}", ppm=rng.dirichlet(np.ones(4), size=10)) for i in range(25)]
    started = time.perf_counter()
    tomtom_pvalues(ppms, motifs)
    return time.perf_counter() - started
