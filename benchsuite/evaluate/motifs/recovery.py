"""Motif recovery: filters vs database, the hit ratio, q-values and recovery of planted motifs."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchsuite.errors import InputFileError
from benchsuite.evaluate.motifs.filters import FilterPPMs, _subsample, activation_ppms, locate_first_layer
from benchsuite.evaluate.motifs.tomtom import bh_qvalues, select_motifs, tomtom_pvalues
from benchsuite.io.meme import Motif, read_meme, write_meme

__all__ = ["MAX_LOGOS", "MotifResult", "motif_recovery"]

logger = logging.getLogger(__name__)

MAX_LOGOS = 32
"""At most this many filter logos are shown (the best-matching ones)."""


@dataclass
class MotifResult:
    """Outcome of :func:`motif_recovery`.

    Attributes
    ----------
    hit_ratio:
        Fraction of filters matching at least one database motif (decoys included) at
        q < ``q_threshold``.
    mean_best_q:
        Mean over filters of their smallest q-value (1.0 for filters without sites).
    recovery_rate:
        Fraction of the ground-truth motifs matched by at least one filter (None without
        a ground truth).
    n_filters:
        Number of first-layer filters.
    matches:
        Per filter: ``filter`` (index), ``best_motif`` (database name, None without sites),
        ``best_q``, ``best_p``, ``n_matches`` (motifs at q < threshold), ``n_sites`` (windows
        that built its PPM) and ``decoy`` (whether its best match at q < threshold is a decoy).
    recovered:
        Ground-truth motif names matched by at least one filter (empty without ground truth).
    figure:
        Path of the logo figure's data ``motif_logos.json`` when ``out_dir`` was given, else
        None (drawn on demand by :mod:`benchsuite.evaluate.figures_render`).
    decoy_match_rate:
        Fraction of filters whose best match at q < ``q_threshold`` is a decoy motif (None
        when no decoys were named).
    """

    hit_ratio: float
    mean_best_q: float
    recovery_rate: float | None
    n_filters: int
    matches: list[dict[str, Any]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    figure: str | None = None
    decoy_match_rate: float | None = None


def _motif_label(motif: Motif) -> str:
    return f"{motif.name} {motif.alt_name}".strip()


def _names_in(motif: Motif, names: set[str]) -> bool:
    return motif.name in names or bool(motif.alt_name and motif.alt_name in names)


def _load_database(path: Path, exclude_motifs: Sequence[str]) -> list[Motif]:
    if not path.is_file():
        raise InputFileError("motif database not found", source=path, hint="give a MEME file")
    motifs, removed = select_motifs(read_meme(path), exclude_motifs)
    if removed:
        logger.info("motif database: excluded %s", ", ".join(removed))
    if not motifs:
        raise InputFileError(
            "the motif database has no motifs left to compare",
            source=path,
            hint="give a MEME file with motifs (check exclude_motifs)",
        )
    return motifs


def _compare(filt: FilterPPMs, motifs: Sequence[Motif]) -> tuple[np.ndarray, np.ndarray]:
    """Tomtom p-values and per-filter BH q-values ``(F, M)``; filters without sites get 1."""
    active = np.flatnonzero(filt.n_sites > 0)
    p = np.ones((len(filt.n_sites), len(motifs)))
    if active.size:
        p[active] = tomtom_pvalues([filt.ppms[i] for i in active], motifs)
    q = bh_qvalues(p, axis=1)
    q[filt.n_sites == 0] = 1.0
    return p, q


def _match_table(
    filt: FilterPPMs,
    motifs: Sequence[Motif],
    p: np.ndarray,
    q: np.ndarray,
    q_threshold: float,
    decoys: set[str],
) -> list[dict[str, Any]]:
    """One row per filter: its best match (smallest q, ties by the smaller p) and match count."""
    significant = q < q_threshold
    matches: list[dict[str, Any]] = []
    for f in range(len(filt.n_sites)):
        best_motif, best_q, best_p, decoy = None, 1.0, 1.0, False
        if filt.n_sites[f] > 0:
            best = int(np.lexsort((p[f], q[f]))[0])
            best_motif, best_q, best_p = motifs[best].name, float(q[f, best]), float(p[f, best])
            decoy = bool(significant[f, best]) and _names_in(motifs[best], decoys)
        matches.append(
            {
                "filter": f,
                "best_motif": best_motif,
                "best_q": best_q,
                "best_p": best_p,
                "n_matches": int(significant[f].sum()),
                "n_sites": int(filt.n_sites[f]),
                "decoy": decoy,
            }
        )
    return matches


def _recovered(
    motifs: Sequence[Motif], significant: np.ndarray, ground_truth: Sequence[str], database: Path
) -> tuple[list[str], float | None]:
    """Ground-truth motifs matched by at least one filter, and their fraction."""
    matched_any = np.asarray(significant.any(axis=0))
    truth = list(dict.fromkeys(ground_truth))
    recovered: list[str] = []
    for name in truth:
        idx = [i for i, m in enumerate(motifs) if name in (m.name, m.alt_name)]
        if not idx:
            logger.warning(
                "ground-truth motif %s is not in %s (or was excluded); counted as not recovered",
                name,
                database,
            )
        elif matched_any[idx].any():
            recovered.append(name)
    return recovered, (len(recovered) / len(truth) if truth else None)


def motif_recovery(
    model: torch.nn.Module,
    first_layer: str | None,
    sequences_codes: np.ndarray,
    database_meme_path: str | Path,
    *,
    ground_truth: Sequence[str] | None = None,
    decoys: Sequence[str] | None = None,
    q_threshold: float = 0.05,
    out_dir: str | Path | None = None,
    max_sequences: int | None = 2000,
    exclude_motifs: Sequence[str] = (),
) -> MotifResult:
    """Match first-layer filters to a motif database (hit ratio, mean best q, recovery, decoys).

    Parameters
    ----------
    model:
        Trained torch model with a convolutional first layer.
    first_layer:
        Dotted module path of the first-layer activation, or None (ReLU of the first
        ``Conv1d(4, ...)``).
    sequences_codes:
        ``(N, L)`` uint8 base codes (test sequences) used for the alignment.
    database_meme_path:
        MEME file of the motif database (JASPAR, or a simulated bundle's motifs and decoys).
    ground_truth:
        Names (or alternative names) of the motifs that should be recovered.
    decoys:
        Names (or alternative names) of the decoy motifs (None: no decoy match rate).
    q_threshold:
        A filter matches a motif when its q-value is below this.
    out_dir:
        When given, ``filters.meme`` (every filter's PPM) and ``motif_logos.json`` (the data of
        the logo figure: the matched filters, or the filters with most sites when none matches,
        their titles, best matches and q-values) are written here; no PNG is drawn.
    max_sequences:
        Use at most this many sequences (a seeded random subset).
    exclude_motifs:
        Database motifs left out of the comparison (e.g. ``("MA1929.1", "MA0615.1")``).

    Returns
    -------
    MotifResult

    Raises
    ------
    NotApplicable
        The model has no convolutional first layer whose activation can be aligned.
    InputFileError
        The database is missing, malformed or empty after the exclusions.
    """
    layer = locate_first_layer(model, first_layer)
    database_path = Path(database_meme_path)
    motifs = _load_database(database_path, exclude_motifs)
    codes = _subsample(np.asarray(sequences_codes, dtype=np.uint8), max_sequences)
    t0 = time.perf_counter()
    filt = activation_ppms(model, first_layer, codes, layer=layer)
    n_active = int((filt.n_sites > 0).sum())
    logger.info("motifs: %d filters (%d with sites) from %d sequences", layer.n_filters, n_active, len(codes))
    p, q = _compare(filt, motifs)
    logger.info("motifs: alignment and tomtom vs %d motifs in %.1f s", len(motifs), time.perf_counter() - t0)
    matches = _match_table(filt, motifs, p, q, q_threshold, set(decoys or ()))
    recovered: list[str] = []
    recovery_rate: float | None = None
    if ground_truth is not None:
        recovered, recovery_rate = _recovered(motifs, q < q_threshold, ground_truth, database_path)
    figure = (
        None if out_dir is None else str(_write_outputs(Path(out_dir), filt, matches, motifs, q_threshold))
    )
    n = max(len(matches), 1)
    return MotifResult(
        hit_ratio=sum(m["n_matches"] > 0 for m in matches) / n,
        mean_best_q=float(np.mean([m["best_q"] for m in matches])) if matches else 1.0,
        recovery_rate=recovery_rate,
        n_filters=layer.n_filters,
        matches=matches,
        recovered=recovered,
        figure=figure,
        decoy_match_rate=None if decoys is None else sum(m["decoy"] for m in matches) / n,
    )


def _write_outputs(
    out_dir: Path,
    filt: FilterPPMs,
    matches: list[dict[str, Any]],
    motifs: Sequence[Motif],
    q_threshold: float,
) -> Path:
    """``filters.meme`` and the logo figure's data ``motif_logos.json`` (no PNG is drawn here:
    :func:`benchsuite.evaluate.figures_render.render_figure` draws it)."""
    from benchsuite.evaluate.figures_render import write_figure_data

    out_dir.mkdir(parents=True, exist_ok=True)
    write_meme(
        out_dir / "filters.meme",
        [Motif(name=f"filter{m['filter']}", ppm=filt.ppms[m["filter"]]) for m in matches],
    )
    labels = {m.name: _motif_label(m) for m in motifs}
    matched = sorted((m for m in matches if m["n_matches"] > 0), key=lambda m: (m["best_q"], m["filter"]))
    if matched:
        chosen = sorted(matched[:MAX_LOGOS], key=lambda m: m["filter"])
        titles = [f"filter {m['filter']}: {labels[m['best_motif']]} (q={m['best_q']:.2g})" for m in chosen]
    else:
        chosen = sorted(matches, key=lambda m: (-m["n_sites"], m["filter"]))[: min(16, MAX_LOGOS)]
        chosen = sorted(chosen, key=lambda m: m["filter"])
        titles = [f"filter {m['filter']}: no match at q<{q_threshold:g}" for m in chosen]
    spec = {
        "ppms": "filters.meme",
        "q_threshold": q_threshold,
        "matched": bool(matched),
        "filters": [int(m["filter"]) for m in chosen],
        "titles": titles,
        "best_motif": [m["best_motif"] for m in chosen],
        "best_q": [float(m["best_q"]) for m in chosen],
    }
    return write_figure_data(out_dir, "motif_logos", name="motifs.logos", kind="motif_logos", spec=spec)
