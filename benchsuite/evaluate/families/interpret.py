"""Interpretation family: attribution maps and global importance analysis scored against the
simulator's ground truth (``interpret.*``; docs/interpretation.md).

On a fixed, seeded set of test windows holding planted sites (the same for every model of a
dataset), a model is interpreted through one scalar per target (:mod:`~benchsuite.evaluate.
interpret.outputs`: its logit, or its mean predicted coverage over the window) and compared
with the truth (``truth.json``: planted sites, the cell-type activities, cooperative pairs and
flank preferences) and with the oracle run through the very same experiments:

* corrected saliency (torch models) and ISM (every predictor) vs planted sites: AUROC, AUPR,
  false attributions on sites of inactive motifs; ISM maps vs the oracle's (Pearson);
* GIA of each motif, of each cooperative pair's distance dependence (plus non-cooperative
  control pairs) and of flank variants vs the oracle's (Spearman).

Wherever a torch model and a motif database exist (real data and sequence sets too), each
target's top attribution seqlets are matched to the database with Tomtom
(:mod:`~benchsuite.evaluate.interpret.seqlets`). Without ``truth.json`` the truth-based scores
are not applicable, with the reason. The oracle ceiling record runs the family too (its readout
is the reference itself).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from benchsuite.errors import DatasetError
from benchsuite.evaluate.families.base import Context, Family
from benchsuite.evaluate.interpret import protocol
from benchsuite.evaluate.interpret.attributions import corrected_saliency, position_magnitude
from benchsuite.evaluate.interpret.figures import write_figures
from benchsuite.evaluate.interpret.gia_scores import score_gia
from benchsuite.evaluate.interpret.scores import (
    auroc,
    average_precision,
    false_attribution,
    map_pearson,
)
from benchsuite.evaluate.interpret.truth import Truth, load_truth, site_masks
from benchsuite.evaluate.registry import family_metrics
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.sources import get_test_split
from benchsuite.evaluate.stats.bootstrap import bootstrap_weights

__all__ = ["Interpret", "per_sequence_scores"]

NO_TRUTH = (
    "no truth.json: attributions and GIA are scored against a simulated bundle's planted grammar "
    "(real data and sequence sets have none)"
)
TRUTH_METRICS = tuple(
    m.name for m in family_metrics("interpret") if not m.name.startswith("interpret.seqlet")
)
SEQLET_METRICS = ("interpret.seqlet_match_rate", "interpret.seqlet_recovery")
NOT_DIFFERENTIABLE = "no torch model: saliency needs gradients (the oracle's ceiling is interpret.ism_auroc)"


def per_sequence_scores(
    magnitude: np.ndarray,
    truth: Truth,
    plan: protocol.Plan,
    celltypes: list[str | None],
    offset: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``(N, T)`` per-window AUROC, AUPR and false-attribution rate of ``magnitude (N, T, W)``.

    ``offset`` (per window) places a magnitude span inside its window (ISM spans); NaN where
    a score is undefined (no active site, unknown cell type).
    """
    n, t_count, width = magnitude.shape
    out = {k: np.full((n, t_count), np.nan) for k in ("auroc", "aupr", "false")}
    length = plan.codes.shape[1]
    for i in range(n):
        hits = truth.near_hits(plan.chroms[i], int(plan.starts[i]), length)
        lo = 0 if offset is None else int(offset[i])
        for t, cell in enumerate(celltypes):
            if cell is None:
                continue
            active, inactive, far = (
                m[lo : lo + width] for m in site_masks(plan.sites[i], hits, truth.activity(cell), length)
            )
            mag = magnitude[i, t]
            scored = active | far
            if active.any() and far.any():
                out["auroc"][i, t] = auroc(mag[scored], active[scored])
                out["aupr"][i, t] = average_precision(mag[scored], active[scored])
            out["false"][i, t] = false_attribution(mag, inactive, far)
    return out


def _put_per_sequence(
    out: FamilyResult, name: str, values: np.ndarray, names: list[str], n_boot: int
) -> None:
    """Mean over windows per target, with a bootstrap over windows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a target without any defined window: NaN
        out.put(name, np.nanmean(values, axis=0) if values.size else np.full(len(names), np.nan), names)
    if n_boot and values.shape[0] > 1:
        w = bootstrap_weights(values.shape[0], n_boot)
        ok = np.isfinite(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = (w @ np.where(ok, values, 0.0)) / (w @ ok)
        out.put_interval(name, reps, units=f"{values.shape[0]} test windows")


class Interpret(Family):
    """``interpret.*`` (attributions, ISM and GIA vs the simulator's truth)."""

    key = "interpret"
    roles = frozenset({"predictor"})
    role_reason = "replicate 2 is a measurement: it cannot be mutated or opened up"

    def check(self, ctx: Context) -> None:
        super().check(ctx)
        if not ctx.options.interpret:
            raise NotApplicable("disabled by the interpret option")
        if not ctx.source.can_predict_codes:
            raise NotApplicable(f"{ctx.source.name} cannot predict mutated sequences")
        no_seqlets = _seqlets_reason(ctx)
        if getattr(ctx.manifest, "truth", None) is None and no_seqlets:
            raise NotApplicable(f"{NO_TRUTH}; attribution seqlets: {no_seqlets}")

    def run(self, ctx: Context) -> FamilyResult:
        out = FamilyResult()
        gradients = None
        if getattr(ctx.manifest, "truth", None) is not None:
            gradients = self._with_truth(ctx, out)
        else:
            for name in TRUTH_METRICS:
                out.skip(name, NO_TRUTH)
        no_seqlets = _seqlets_reason(ctx)
        if no_seqlets:
            for name in SEQLET_METRICS:
                out.skip(name, no_seqlets)
        else:
            _seqlets(ctx, out, gradients)
        return out

    def _with_truth(self, ctx: Context, out: FamilyResult) -> tuple[np.ndarray, np.ndarray] | None:
        """The truth-based scores; returns the saliency magnitude ``(N, T, L)`` and codes."""
        truth = _truth(ctx)
        try:
            split = get_test_split(ctx.cache, "quantitative")
        except DatasetError:
            split = get_test_split(ctx.cache, "binary")
        plan = protocol.make_plan(truth, split, int(ctx.source.input_length), ctx.options)
        if not len(plan.codes):
            raise NotApplicable("no test window holds a planted site")
        names = list(ctx.align.model_targets)
        grammar_cells = list(truth.grammar.celltypes)
        cells = [n if n in grammar_cells else None for n in names]
        idx = np.array([grammar_cells.index(c) if c else 0 for c in cells])
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        reference = protocol.oracle_readout(truth, plan, _store(ctx))
        timings["oracle"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        mine = _model_readout(ctx, plan, truth, reference, idx)
        timings["model"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        gradients = self._saliency(ctx, out, plan, truth, cells, names)
        timings["saliency"] = time.perf_counter() - t0
        first_saliency = None if gradients is None else gradients[0][0] * gradients[1][0][None]
        self._ism(ctx, out, plan, truth, cells, names, mine, reference, idx)
        table = score_gia(out, truth, plan, mine, reference, cells, idx)
        if ctx.out_dir is not None:
            t0 = time.perf_counter()
            out.figures.update(
                write_figures(ctx, plan, truth, cells, idx, mine, reference, first_saliency, table)
            )
            timings["figures"] = time.perf_counter() - t0
        table.update(
            n_windows=len(plan.codes),
            n_ism_windows=int(plan.ism_rows.size),
            ism_span=plan.ism_span,
            n_backgrounds=int(plan.backgrounds.shape[0]),
            seconds={k: round(v, 3) for k, v in timings.items()},
        )
        out.tables["interpret"] = table
        if gradients is None:
            return None
        return position_magnitude(*gradients), plan.codes

    def _saliency(
        self,
        ctx: Context,
        out: FamilyResult,
        plan: protocol.Plan,
        truth: Truth,
        cells: list[str | None],
        names: list[str],
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Score the corrected saliency; returns it ``(N, T, 4, L)`` with the one-hot windows."""
        model = ctx.model
        if model is None or not hasattr(model, "parameters"):
            for name in (
                "interpret.saliency_auroc",
                "interpret.saliency_aupr",
                "interpret.false_attribution",
            ):
                out.skip(name, NOT_DIFFERENTIABLE)
            return None
        sal, x = _gradients(ctx, plan.codes)
        scores = per_sequence_scores(position_magnitude(sal, x), truth, plan, cells)
        _put_per_sequence(out, "interpret.saliency_auroc", scores["auroc"], names, ctx.n_boot)
        _put_per_sequence(out, "interpret.saliency_aupr", scores["aupr"], names, ctx.n_boot)
        _put_per_sequence(out, "interpret.false_attribution", scores["false"], names, ctx.n_boot)
        return sal, x

    def _ism(
        self,
        ctx: Context,
        out: FamilyResult,
        plan: protocol.Plan,
        truth: Truth,
        cells: list[str | None],
        names: list[str],
        mine: protocol.Readout,
        reference: protocol.Readout,
        idx: np.ndarray,
    ) -> None:
        from benchsuite.evaluate.interpret.ism import ism_magnitude

        if not plan.ism_rows.size:
            for name in ("interpret.ism_auroc", "interpret.ism_pearson"):
                out.skip(name, "interpret_ism_sequences is 0")
            return
        scores = per_sequence_scores(ism_magnitude(mine.ism), truth, plan, cells, offset=plan.ism_starts)
        _put_per_sequence(out, "interpret.ism_auroc", scores["auroc"], names, ctx.n_boot)
        pearson = np.full((plan.ism_rows.size, len(names)), np.nan)
        for i in range(plan.ism_rows.size):
            for t, cell in enumerate(cells):
                if cell is not None:
                    pearson[i, t] = map_pearson(mine.ism[i, t], reference.ism[i, idx[t]])
        _put_per_sequence(out, "interpret.ism_pearson", pearson, names, ctx.n_boot)


def _gradients(ctx: Context, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corrected saliency ``(N, T, 4, L)`` of the model for ``codes`` and their one-hot."""
    from benchsuite.evaluate.interpret.outputs import torch_scalar
    from benchsuite.io.onehot import one_hot

    model = ctx.model
    x = one_hot(np.ascontiguousarray(codes, dtype=np.uint8))
    params = list(model.parameters())
    device = str(params[0].device) if params else "cpu"
    scalar = torch_scalar(model, ctx.source.kind)
    return corrected_saliency(scalar, x, batch=ctx.options.batch_size, device=device), x


def _seqlets_reason(ctx: Context) -> str | None:
    """Why attribution seqlets cannot be matched (None: they can)."""
    if ctx.model is None or not hasattr(ctx.model, "parameters"):
        return "no torch model: seqlets need gradient attributions"
    if ctx.manifest.motifs is None or not Path(ctx.manifest.motifs).is_file():
        return "the bundle has no motif database (manifest field 'motifs') to match seqlets to"
    return None


def _seqlets(ctx: Context, out: FamilyResult, gradients: tuple[np.ndarray, np.ndarray] | None) -> None:
    """Top attribution seqlets per target matched to the bundle's motif database (Tomtom)."""
    from benchsuite.evaluate.families.motifs import (
        _torch_threads_kept,
        decoy_motifs,
        ground_truth_motifs,
        motif_exclusions,
    )
    from benchsuite.evaluate.interpret.seqlets import seqlet_report
    from benchsuite.evaluate.motifs.tomtom import select_motifs
    from benchsuite.io.meme import read_meme

    t0 = time.perf_counter()
    if gradients is None:
        codes = _seqlet_windows(ctx)
        magnitude = position_magnitude(*_gradients(ctx, codes))
    else:
        magnitude, codes = gradients
    assert ctx.manifest.motifs is not None  # checked by _seqlets_reason
    motifs, _ = select_motifs(read_meme(ctx.manifest.motifs), motif_exclusions(ctx.manifest))
    planted = ground_truth_motifs(ctx.manifest)
    decoys = decoy_motifs(ctx.manifest)[0] or []
    names = list(ctx.align.model_targets)
    with _torch_threads_kept():
        report = seqlet_report(magnitude, codes, names, motifs, planted=planted, decoys=decoys)
    out.put("interpret.seqlet_match_rate", report.pop("match_rate"), names)
    recovery = report.pop("recovery")
    if recovery is None:
        out.skip(
            "interpret.seqlet_recovery", "no ground truth: recovery needs a simulated bundle's planted motifs"
        )
    else:
        out.put_scalar("interpret.seqlet_recovery", recovery)
    if ctx.out_dir is not None and report["best"]:
        from benchsuite.evaluate.interpret.figures import write_seqlets

        path = write_seqlets(
            report["best"], magnitude, codes, names, report["width"], Path(ctx.out_dir) / "interpret"
        )
        out.figures["interpret.seqlets"] = str(path)
    report["seconds"] = round(time.perf_counter() - t0, 3)
    out.tables["interpret_seqlets"] = report


def _seqlet_windows(ctx: Context) -> np.ndarray:
    """``interpret_sequences`` central test windows (seeded), for data without a truth."""
    try:
        split = get_test_split(ctx.cache, "quantitative")
    except DatasetError:
        split = get_test_split(ctx.cache, "binary")
    width, length = int(split.seq.shape[1]), min(int(ctx.source.input_length), int(split.seq.shape[1]))
    off = (width - length) // 2
    rng = np.random.default_rng(protocol.PLAN_SEED)
    pick = np.sort(
        rng.choice(len(split), size=min(ctx.options.interpret_sequences, len(split)), replace=False)
    )
    return np.ascontiguousarray(split.seq[pick, off : off + length], dtype=np.uint8)


def _truth(ctx: Context) -> Truth:
    path = ctx.manifest.truth  # type: ignore[attr-defined]  # checked in check()
    cached = _TRUTHS.get(str(path))
    if cached is None:
        cached = load_truth(path)
        _TRUTHS.clear()
        _TRUTHS[str(path)] = cached
    return cached


_TRUTHS: dict[str, Truth] = {}


def _store(ctx: Context) -> Path | None:
    """``<dataset cache>/interpret/`` when the cache is a folder on disk (oracle readouts)."""
    root = getattr(ctx.cache, "root", None)
    return Path(root) / "interpret" if root is not None and Path(root).is_dir() else None


def _model_readout(
    ctx: Context, plan: protocol.Plan, truth: Truth, reference: protocol.Readout, idx: np.ndarray
) -> protocol.Readout:
    """The source's readout; the oracle's own is the reference (its targets reordered)."""
    from benchsuite.evaluate.interpret.outputs import codes_scalar
    from benchsuite.evaluate.predictors import OraclePredictor

    predictor = getattr(ctx.source, "predictor", None)
    if isinstance(predictor, OraclePredictor) and predictor.oracle.to_dict() == truth.oracle.to_dict():
        return protocol.Readout(
            reference.ism[:, idx],
            reference.motif_gi[:, idx],
            {k: v[:, idx] for k, v in reference.curves.items()},
            {k: v[:, idx] for k, v in reference.flank_gi.items()},
        )
    scalar = codes_scalar(ctx.source.predict_codes, ctx.source.kind, batch=max(ctx.options.batch_size, 256))
    return protocol.run_plan(scalar, plan, truth)
