"""The interpretation protocol run for one scalar: the inputs it is run on and what it returns.

:func:`choose_windows` picks the fixed test windows (those holding a planted site, seeded);
:class:`Plan` is everything that defines the experiments (windows, ISM spans, GIA
backgrounds, motifs, pairs, distances, flank variants), identical for every model of a dataset;
:func:`run_plan` runs the ISM and GIA experiments of a plan through one scalar
(:mod:`.outputs`) and returns a :class:`Readout`. The oracle's readout of a plan is computed
once per process (:func:`oracle_readout`) and shared by every model scored against it.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.evaluate.interpret.gia import (
    flank_importance,
    interaction_curve,
    make_backgrounds,
    motif_importance,
)
from benchsuite.evaluate.interpret.ism import ism
from benchsuite.evaluate.interpret.outputs import CodesScalar
from benchsuite.evaluate.interpret.truth import ACTIVE_MIN, Truth
from benchsuite.io.atomic import atomic_write

__all__ = ["Plan", "Readout", "choose_windows", "make_plan", "oracle_readout", "run_plan"]

#: a seed of its own: every model (and every run seed) is interpreted on the same windows
PLAN_SEED = 0


@dataclass
class Plan:
    """The experiments (see the module docstring); ``pairs`` holds (a, b, cooperative)."""

    codes: np.ndarray
    chroms: list[str]
    starts: np.ndarray
    sites: list[np.ndarray]
    ism_rows: np.ndarray
    ism_starts: np.ndarray
    ism_span: int
    backgrounds: np.ndarray
    motifs: dict[str, np.ndarray]
    pairs: list[tuple[str, str, bool]]
    distances: dict[tuple[str, str], np.ndarray]
    flank_motifs: list[str]
    flanks: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.uint8))

    def key(self) -> str:
        """Digest of the plan (the oracle's readout cache key)."""
        h = hashlib.sha256()
        for a in (self.codes, self.ism_rows, self.ism_starts, self.backgrounds, self.flanks):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((self.ism_span, self.pairs, sorted(self.motifs), self.flank_motifs)).encode())
        for d in self.distances.values():
            h.update(np.asarray(d).tobytes())
        return h.hexdigest()


@dataclass
class Readout:
    """One scalar's answers to a plan: ISM maps ``(n_ism, T, span, 4)``, motif GI ``(M, T)``,
    interaction curves per pair ``(D, T)`` (mean of both orders) and flank GI per motif ``(K, T)``."""

    ism: np.ndarray
    motif_gi: np.ndarray
    curves: dict[tuple[str, str], np.ndarray]
    flank_gi: dict[str, np.ndarray]


def choose_windows(
    truth: Truth, split: Any, length: int, n: int
) -> tuple[np.ndarray, list[str], np.ndarray, list[np.ndarray]]:
    """Up to ``n`` central ``length``-bp test windows holding a planted site (seeded choice).

    Returns (codes ``(k, L)``, chromosomes, window starts, per-window sites ``(s, e, motif)``).
    """
    width = int(split.seq.shape[1])
    off = (width - length) // 2
    coords = np.asarray(split.coords)
    chroms = [str(split.chroms[int(c)]) for c in coords[:, 0]]
    starts = coords[:, 1].astype(np.int64) + off
    sites = [truth.window_sites(c, int(s), length) for c, s in zip(chroms, starts, strict=True)]
    holding = np.flatnonzero([len(s) > 0 for s in sites])
    rng = np.random.default_rng(PLAN_SEED)
    pick = np.sort(rng.choice(holding, size=min(n, holding.size), replace=False)) if holding.size else holding
    codes = np.ascontiguousarray(split.seq[pick, off : off + length], dtype=np.uint8)
    return codes, [chroms[i] for i in pick], starts[pick], [sites[i] for i in pick]


def _pairs(truth: Truth, n_control: int) -> list[tuple[str, str, bool]]:
    """The grammar's cooperative pairs, then ``n_control`` non-cooperative pairs of motifs that
    are both active in some cell type (first in motif order)."""
    grammar = truth.grammar
    coop = [(p.motif_a, p.motif_b, True) for p in grammar.coop]
    taken = {frozenset((a, b)) for a, b, _ in coop}
    act = np.asarray(grammar.activity) > ACTIVE_MIN
    names = list(grammar.motif_names)
    control: list[tuple[str, str, bool]] = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            pair = frozenset((names[i], names[j]))
            if len(control) < n_control and pair not in taken and (act[:, i] & act[:, j]).any():
                control.append((names[i], names[j], False))
    return coop + control


def make_plan(truth: Truth, split: Any, length: int, options: Any) -> Plan:
    """The plan of a dataset for the budget in ``options`` (``interpret_*`` of ``EvalOptions``)."""
    codes, chroms, starts, sites = choose_windows(truth, split, length, options.interpret_sequences)
    n_ism = min(options.interpret_ism_sequences, len(codes))
    span = min(options.interpret_ism_span, length)
    ism_rows = np.arange(n_ism)
    centres = np.array([(s[0, 0] + s[0, 1]) // 2 for s in sites[:n_ism]], np.int64)
    ism_starts = np.clip(centres - span // 2, 0, length - span) if n_ism else np.zeros(0, np.int64)
    grammar = truth.grammar
    motifs = {m.name: m.consensus_codes() for m in grammar.motifs}
    pairs = _pairs(truth, options.interpret_control_pairs)
    distances = {}
    for a, b, _ in pairs:
        d0 = (len(motifs[a]) + len(motifs[b])) // 2 + 1
        distances[(a, b)] = np.arange(d0, options.interpret_max_distance + 1, options.interpret_distance_step)
    flank_motifs = [m.name for m in grammar.motifs if m.flank is not None]
    b1, b2 = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    flanks = np.zeros((16, 4), np.uint8)
    flanks[:, 1], flanks[:, 2] = b1.ravel(), b2.ravel()
    bg = make_backgrounds(codes, options.interpret_gia_backgrounds, seed=PLAN_SEED) if len(codes) else codes
    return Plan(
        codes,
        chroms,
        starts,
        sites,
        ism_rows,
        ism_starts,
        span,
        bg,
        motifs,
        pairs,
        distances,
        flank_motifs,
        flanks,
    )


def run_plan(scalar: CodesScalar, plan: Plan, truth: Truth) -> Readout:
    """Run every ISM and GIA experiment of ``plan`` through ``scalar``."""
    rows = plan.ism_rows
    maps = (
        ism(scalar, plan.codes[rows], plan.ism_starts, plan.ism_span) if rows.size else np.zeros((0, 0, 0, 4))
    )
    bg = plan.backgrounds
    ref = scalar(bg)
    motif_gi = motif_importance(scalar, bg, plan.motifs, reference=ref)
    curves = {
        (a, b): interaction_curve(
            scalar, bg, plan.motifs[a], plan.motifs[b], plan.distances[(a, b)], reference=ref
        ).mean(axis=0)
        for a, b, _ in plan.pairs
    }
    flank_gi = {}
    for name in plan.flank_motifs:
        best = truth.grammar.motif(name).best_flanks()
        flanks = plan.flanks.copy()
        flanks[:, 0], flanks[:, 3] = best[0][0], best[1][1]  # the outer flank bases: the preferred ones
        flank_gi[name] = flank_importance(scalar, bg, plan.motifs[name], flanks, reference=ref)
    return Readout(maps, motif_gi, curves, flank_gi)


_ORACLE_CACHE: dict[str, Readout] = {}


def _save_readout(path: Path, readout: Readout) -> None:
    arrays = {"ism": readout.ism, "motif_gi": readout.motif_gi}
    arrays.update({f"curve:{a}:{b}": v for (a, b), v in readout.curves.items()})
    arrays.update({f"flank:{m}": v for m, v in readout.flank_gi.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]


def _load_readout(path: Path) -> Readout:
    with np.load(path) as data:
        curves = {(k.split(":")[1], k.split(":")[2]): data[k] for k in data.files if k.startswith("curve:")}
        flanks = {k.split(":", 1)[1]: data[k] for k in data.files if k.startswith("flank:")}
        return Readout(data["ism"], data["motif_gi"], curves, flanks)


def oracle_readout(truth: Truth, plan: Plan, store: Path | None = None) -> Readout:
    """The oracle's :class:`Readout` of a plan (targets in the grammar's cell-type order).

    Memoised in the process and, with ``store`` (a folder, e.g. the dataset cache's), on disk
    as ``oracle-<digest>.npz``, so parallel cells (worker processes) compute it once per
    dataset and budget; an unreadable or unwritable store is ignored.
    """
    key = hashlib.sha256(
        f"{truth.path.resolve()}:{truth.path.stat().st_mtime_ns}:{plan.key()}".encode()
    ).hexdigest()[:20]
    if key in _ORACLE_CACHE:
        return _ORACLE_CACHE[key]
    path = None if store is None else Path(store) / f"oracle-{key}.npz"
    readout = None
    if path is not None and path.is_file():
        try:
            readout = _load_readout(path)
        except (OSError, ValueError, KeyError):
            readout = None
    if readout is None:
        oracle = truth.oracle

        def scalar(codes: np.ndarray) -> np.ndarray:
            return np.asarray(oracle.predict_codes(codes), np.float64).mean(axis=-1)

        readout = run_plan(scalar, plan, truth)
        if path is not None:
            with contextlib.suppress(OSError):  # a read-only cache: recompute next time
                _save_readout(path, readout)
    if len(_ORACLE_CACHE) > 8:
        _ORACLE_CACHE.clear()
    _ORACLE_CACHE[key] = readout
    return readout
