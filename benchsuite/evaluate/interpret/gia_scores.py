"""GIA readouts of a model scored against the oracle's: the motif, pair and flank metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.interpret import protocol
from benchsuite.evaluate.interpret.scores import best_distance_error, spearman
from benchsuite.evaluate.interpret.truth import ACTIVE_MIN, Truth
from benchsuite.evaluate.result import FamilyResult

__all__ = ["score_gia"]


def score_gia(
    out: FamilyResult,
    truth: Truth,
    plan: protocol.Plan,
    mine: protocol.Readout,
    ref: protocol.Readout,
    cells: list[str | None],
    idx: np.ndarray,
) -> dict[str, Any]:
    """Motif, pair and flank GI vs the oracle's (scalar metrics into ``out``); returns the table
    of per-motif importances and pair curves (``tables.interpret``)."""
    known = [t for t, c in enumerate(cells) if c is not None]
    act = np.asarray(truth.grammar.activity)
    names = list(truth.grammar.motif_names)
    out.put_scalar("interpret.gia_spearman", spearman(mine.motif_gi[:, known], ref.motif_gi[:, idx[known]]))
    coop_rho, coop_err, false_coop, pairs_table = [], [], [], []
    for a, b, cooperative in plan.pairs:
        ia, ib = names.index(a), names.index(b)
        d = plan.distances[(a, b)]
        for t in known:
            c = idx[t]
            if not (act[c, ia] > ACTIVE_MIN and act[c, ib] > ACTIVE_MIN):
                continue
            m_curve, o_curve = mine.curves[(a, b)][:, t], ref.curves[(a, b)][:, c]
            scale = abs(mine.motif_gi[ia, t]) + abs(mine.motif_gi[ib, t])
            strength = float(np.abs(m_curve).max() / scale) if scale > 0 else float("nan")
            row = {"a": a, "b": b, "cooperative": cooperative, "target": cells[t], "strength": strength}
            if cooperative:
                coop_rho.append(spearman(m_curve, o_curve))
                coop_err.append(best_distance_error(m_curve, o_curve, d))
                row.update(spearman=coop_rho[-1], distance_error=coop_err[-1])
            else:
                false_coop.append(strength)
            row.update(distances=d.tolist(), model=m_curve.tolist(), oracle=o_curve.tolist())
            pairs_table.append(row)
    _put_mean(
        out, "interpret.coop_spearman", coop_rho, "no cooperative pair has both motifs active in a target"
    )
    _put_mean(
        out,
        "interpret.coop_distance_error",
        coop_err,
        "no cooperative pair has both motifs active in a target",
    )
    _put_mean(
        out, "interpret.false_cooperativity", false_coop, "no control pair has both motifs active in a target"
    )
    flank_rho = []
    for name in plan.flank_motifs:
        m = names.index(name)
        flank_rho += [
            spearman(mine.flank_gi[name][:, t], ref.flank_gi[name][:, idx[t]])
            for t in known
            if act[idx[t], m] > ACTIVE_MIN
        ]
    _put_mean(out, "interpret.flank_spearman", flank_rho, "the grammar has no motif with flank preferences")
    motif_table = {
        "motifs": names,
        "model": mine.motif_gi[:, known].tolist(),
        "oracle": ref.motif_gi[:, idx[known]].tolist(),
    }
    return {"motif_gi": motif_table, "pairs": pairs_table}


def _put_mean(out: FamilyResult, name: str, values: list[float], reason: str) -> None:
    finite = [v for v in values if np.isfinite(v)]
    if not values:
        out.skip(name, reason)
    else:
        out.put_scalar(name, float(np.mean(finite)) if finite else None)
