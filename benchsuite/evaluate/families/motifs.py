"""Motifs family: first-layer filters vs the motif database (paper Fig. 4c, Methods "Tomtom").

Runs :func:`benchsuite.evaluate.motifs.motif_recovery` on the central windows of the
coverage-threshold test chunks. The motif-database rules live here:
:func:`motif_exclusions` (the manifest's ``motif_exclude``, or for JASPAR the paper's two
exclusions plus every low-information matrix), the planted motifs of a simulated bundle as the
ground truth of ``motifs.recovery_rate`` and its decoys (:func:`decoy_motifs`) for
``motifs.decoy_match_rate``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.evaluate.families.base import Context, Family
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.sources import central_offset, get_test_split
from benchsuite.evaluate.types import ManifestLike

__all__ = ["Motifs", "decoy_motifs", "ground_truth_motifs", "mean_information_content", "motif_exclusions"]

_JASPAR_MATRIX = re.compile(r"^MA\d{4}\.\d+$")


def mean_information_content(ppm: np.ndarray) -> float:
    """Mean information content (bits per position, uniform background) of a ``(w, 4)`` PPM."""
    p = np.clip(np.asarray(ppm, dtype=np.float64), 1e-12, 1.0)
    return float((2.0 + (p * np.log2(p)).sum(axis=1)).mean())


def motif_exclusions(manifest: ManifestLike) -> tuple[str, ...]:
    """Database motifs left out of motif recovery for a bundle.

    The manifest's ``motif_exclude`` when given (an empty list excludes nothing). Otherwise,
    for a JASPAR-like database (a motif named with a JASPAR matrix ID such as ``MA0139.2``):
    :data:`~benchsuite.data.manifest.JASPAR_DEFAULT_EXCLUDE` (the paper's MA1929.1 and MA0615.1,
    every version) plus each motif whose mean information content is below
    :data:`~benchsuite.data.manifest.JASPAR_LOW_INFORMATION_BITS` bits per position. Other
    databases (e.g. a simulated bundle's planted motifs) lose nothing by default.
    """
    explicit = getattr(manifest, "motif_exclude", None)  # optional on ManifestLike
    if explicit is not None:
        return tuple(explicit)
    database = manifest.motifs
    if database is None or manifest.simulator is not None or not Path(database).is_file():
        return ()
    from benchsuite.data.manifest import JASPAR_DEFAULT_EXCLUDE, JASPAR_LOW_INFORMATION_BITS
    from benchsuite.io.meme import read_meme

    motifs = read_meme(database)
    if not any(_JASPAR_MATRIX.match(m.name) for m in motifs):
        return ()
    low = [m.name for m in motifs if mean_information_content(m.ppm) < JASPAR_LOW_INFORMATION_BITS]
    return tuple(dict.fromkeys([*JASPAR_DEFAULT_EXCLUDE, *low]))


def _simulated_database(manifest: ManifestLike) -> list[Any] | None:
    """The motifs of a simulated bundle's MEME file (None for real data)."""
    if manifest.simulator is None or manifest.motifs is None:
        return None
    from benchsuite.io.meme import read_meme

    return read_meme(manifest.motifs)


def ground_truth_motifs(manifest: ManifestLike) -> list[str] | None:
    """The planted motifs of a simulated bundle: its MEME file less the decoys (None for real data)."""
    from benchsuite.simulate.decoys import is_decoy

    motifs = _simulated_database(manifest)
    return None if motifs is None else [m.name for m in motifs if not is_decoy(m)]


def decoy_motifs(manifest: ManifestLike) -> tuple[list[str] | None, str]:
    """The decoy motifs of the bundle's database, or None and why there are none.

    Decoys are the motifs named ``DECOY_*`` (alternative name ``decoy``) that the simulator
    adds to a bundle's planted motifs (:mod:`benchsuite.simulate.decoys`).
    """
    from benchsuite.simulate.decoys import is_decoy

    motifs = _simulated_database(manifest)
    if motifs is None:
        return None, "real data has no decoy motifs: the decoy match rate needs a simulated bundle's decoys"
    decoys = [m.name for m in motifs if is_decoy(m)]
    if not decoys:
        return None, (
            "the bundle's motif database has no decoy motifs (simulated before decoys were added; "
            "simulate the bundle again)"
        )
    return decoys, ""


@contextlib.contextmanager
def _torch_threads_kept() -> Iterator[None]:
    """Restore torch's intra-op thread count after memelite's Tomtom.

    Tomtom runs numba-parallel code; numba's OpenMP threading layer sets the OpenMP thread
    count to ``NUMBA_NUM_THREADS`` (all cores), which torch shares. Without this, every model
    trained later in the same process (the next cells of ``benchsuite run``) would use another
    thread count than the first one, hence other floating-point reductions and, through Adam,
    visibly different trained models: a cell's result would depend on the cells before it.
    """
    import torch

    threads = torch.get_num_threads()
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def _sequences_split(ctx: Context) -> Any:
    """The test sequences scanned: the coverage-threshold test chunks, or the peak-centred ones
    when the dataset has no quantitative kind (a sequence set with labels only)."""
    from benchsuite.errors import DatasetError

    try:
        return get_test_split(ctx.cache, "quantitative")
    except DatasetError:
        return get_test_split(ctx.cache, "binary")


class Motifs(Family):
    """``motifs.hit_ratio``, ``motifs.mean_best_q``, ``motifs.recovery_rate``, ``motifs.decoy_match_rate``."""

    key = "motifs"
    roles = frozenset({"predictor"})
    role_reason = "replicate 2 has no first-layer filters"

    def check(self, ctx: Context) -> None:
        super().check(ctx)
        if not ctx.options.motifs:
            raise NotApplicable("disabled by the motifs option")
        if ctx.model is None:
            raise NotApplicable("no torch model was given (first-layer filters are needed)")
        if ctx.manifest.motifs is None:
            raise NotApplicable("the bundle has no motif database (manifest field 'motifs')")

    def run(self, ctx: Context) -> FamilyResult:
        from benchsuite.evaluate.motifs import motif_recovery

        split = _sequences_split(ctx)
        width = split.seq.shape[1]
        length = min(ctx.source.input_length, width)
        off = central_offset(width, length)
        decoys, no_decoys = decoy_motifs(ctx.manifest)
        kwargs: dict[str, Any] = {"ground_truth": ground_truth_motifs(ctx.manifest)}
        if decoys is not None:
            kwargs["decoys"] = decoys
        excluded = motif_exclusions(ctx.manifest)
        if excluded:
            kwargs["exclude_motifs"] = excluded
        if ctx.out_dir is not None:
            kwargs["out_dir"] = Path(ctx.out_dir) / "motifs"
        if ctx.options.motifs_max_sequences is not None:
            kwargs["max_sequences"] = ctx.options.motifs_max_sequences
        database = ctx.manifest.motifs
        assert database is not None  # checked in check()
        with _torch_threads_kept():
            codes = split.seq[:, off : off + length]
            res = motif_recovery(ctx.model, ctx.first_layer, codes, database, **kwargs)
        out = FamilyResult()
        out.put_scalar("motifs.hit_ratio", res.hit_ratio)
        out.put_scalar("motifs.mean_best_q", res.mean_best_q)
        if res.recovery_rate is None:
            out.skip(
                "motifs.recovery_rate",
                "no ground truth: recovery needs the planted motifs of a simulated bundle",
            )
        else:
            out.put_scalar("motifs.recovery_rate", res.recovery_rate)
        if decoys is None or res.decoy_match_rate is None:
            out.skip("motifs.decoy_match_rate", no_decoys or "no decoy match rate was computed")
        else:
            out.put_scalar("motifs.decoy_match_rate", res.decoy_match_rate)
        out.tables["motifs"] = {
            "matches": list(res.matches),
            "recovered": list(res.recovered),
            "n_filters": res.n_filters,
            "excluded": list(excluded),
            "n_decoys": len(decoys or ()),
        }
        if res.figure:
            out.figures["motifs.logos"] = str(res.figure)
        return out
