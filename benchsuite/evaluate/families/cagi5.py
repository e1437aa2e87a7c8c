"""CAGI5 family: variant effects of a saturation-mutagenesis set (paper Fig. 5).

Runs :func:`benchsuite.evaluate.cagi5.cagi5_evaluate` on the manifest's variant set: each
allele's window is predicted once (``cagi5.standard``) and averaged over random shifts
(``cagi5.robust``); the score is the within-element Pearson between predicted and measured
effect, averaged over elements. Model windows beyond an element window take their bases from
the bundle genome where it holds the element at its header coordinates (a simulated bundle;
a real bundle whose genome is the elements' assembly), else N; the N-padded fractions are in
``tables["cagi5"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.families.base import Context, Family
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.sources import PredictorSource
from benchsuite.evaluate.stats.bootstrap import BlockSums

__all__ = ["Cagi5"]


def _element_values(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=np.float64)


class Cagi5(Family):
    """``cagi5.standard`` and ``cagi5.robust``."""

    key = "cagi5"
    roles = frozenset({"predictor"})
    role_reason = "replicate 2 has no measurement of the mutated sequences"

    def check(self, ctx: Context) -> None:
        super().check(ctx)
        if not ctx.options.cagi5:
            raise NotApplicable("disabled by the cagi5 option")
        if not isinstance(ctx.source, PredictorSource):
            raise NotApplicable(f"{ctx.source.name} has no predictions for variant sequences")
        if ctx.manifest.variants is None:
            raise NotApplicable("the bundle has no variant set (manifest field 'variants')")

    def run(self, ctx: Context) -> FamilyResult:
        from benchsuite.evaluate.cagi5 import cagi5_evaluate

        assert isinstance(ctx.source, PredictorSource) and ctx.manifest.variants is not None
        variants, options = ctx.manifest.variants, ctx.options
        res = cagi5_evaluate(
            ctx.source.predictor,
            variants.sequences,
            variants.table,
            n_shifts=options.cagi5_shifts,
            seed=options.seed,
            max_variants_per_element=options.cagi5_max_variants_per_element,
            genome=getattr(ctx.manifest, "genome", None),
            progress=options.progress,
        )
        out = FamilyResult()
        out.put_scalar("cagi5.standard", res.standard)
        out.put_scalar("cagi5.robust", res.robust)
        if ctx.n_boot:
            self._intervals(out, list(res.per_element), ctx.n_boot)
        out.tables["cagi5"] = {
            "per_element": list(res.per_element),
            "n_scored": int(res.n_scored),
            "n_mismatched": int(res.n_mismatched),
            "convention": res.convention,
            "padded_fraction": dict(getattr(res, "padded_fraction", {})),
            "n_moved": int(getattr(res, "n_moved", 0)),
        }
        return out

    @staticmethod
    def _intervals(out: FamilyResult, rows: list[dict[str, Any]], n_boot: int) -> None:
        """Intervals over elements: elements resampled with replacement, mean of their r."""
        for key in ("standard", "robust"):
            values = _element_values(rows, key)[:, None]
            sums = BlockSums(values.shape[0], 1)
            sums.update(values, np.arange(values.shape[0]))
            out.put_interval(f"cagi5.{key}", sums.replicates(n_boot), units=f"{len(rows)} elements")
