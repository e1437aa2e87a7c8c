"""CAGI5 score: within-element Pearson of predicted vs measured effect, mean over elements."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchsuite.evaluate.cagi5.predict import predict_variant_effects
from benchsuite.evaluate.cagi5.variants import (
    BINARY_CONVENTION,
    MIN_VARIANTS,
    QUANTITATIVE_CONVENTION,
    Cagi5Result,
    Cagi5Set,
    load_cagi5,
)
from benchsuite.evaluate.stats import pearson_1d

__all__ = ["cagi5_evaluate"]

logger = logging.getLogger(__name__)


def _element_pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Within-element Pearson r (NaN with fewer than MIN_VARIANTS finite pairs or a constant input)."""
    ok = np.isfinite(x) & np.isfinite(y)
    if int(ok.sum()) < MIN_VARIANTS:
        return float("nan")
    return pearson_1d(x[ok], y[ok])


def _nanmean(values: list[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def _mean(values: pd.Series) -> float:
    """Mean of a column (NaN when empty or all NaN)."""
    arr = values.to_numpy(dtype=np.float64)
    return float(arr.mean()) if arr.size and not np.isnan(arr).all() else float("nan")


def _element_row(name: str, rows: pd.DataFrame) -> dict[str, Any]:
    """One ``per_element`` row: correlations, padded fractions and window counts."""
    measured = rows["value"].to_numpy(dtype=np.float64)
    return {
        "element": name,
        "n_variants": int(len(rows)),
        "standard": _element_pearson(rows["standard"].to_numpy(dtype=np.float64), measured),
        "robust": _element_pearson(rows["robust"].to_numpy(dtype=np.float64), measured),
        "padded_standard": _mean(rows["padded_standard"]),
        "padded_robust": _mean(rows["padded_robust"]),
        "n_moved": int(rows["moved"].sum()),
        "genome_flanks": bool(rows["genome_flanks"].any()),
    }


def _warn_mismatched(variant_set: Cagi5Set, mismatched: list[dict[str, Any]]) -> None:
    first = mismatched[0]
    logger.warning(
        "%s: %d of %d rows have a ref allele that does not match the element window "
        "(first: line %d, %s offset %d: ref %s, window %s); they are skipped",
        variant_set.table_path,
        len(mismatched),
        len(variant_set.table),
        first["line"],
        first["element"],
        first["window_offset"],
        first["ref"],
        first["window_base"],
    )


def cagi5_evaluate(
    predictor: Any,
    sequences_fa: str | Path,
    table_tsv: str | Path,
    *,
    n_shifts: int = 20,
    seed: int = 0,
    max_variants_per_element: int | None = None,
    genome: Any = None,
    progress: bool = False,
) -> Cagi5Result:
    """Score a predictor on a CAGI5-style variant set (standard and robust protocol).

    Parameters
    ----------
    predictor:
        Object following the harness's Predictor protocol (``kind``, ``bin_size``,
        ``input_length``, ``target_names``, ``predict``).
    sequences_fa, table_tsv:
        Element windows (FASTA) and variants table (TSV), see :func:`load_cagi5`.
    n_shifts:
        Random shifts per allele for the robust prediction (paper: 20).
    seed:
        Seed of the shifts and of the optional subsampling.
    max_variants_per_element:
        Score at most this many variants per element (seeded subset) to bound CPU time.
    genome:
        Optional genome FASTA (path or :class:`~benchsuite.io.fasta.Genome`) in the assembly
        of the element headers: the bases of model windows beyond an element window are read
        from it when it holds that element at its header coordinates, else they are N.
    progress:
        Show a rich progress bar.

    Returns
    -------
    Cagi5Result
        Mean within-element Pearson r (standard, robust), per-element rows, counts, the
        mismatched rows, the effect convention and the N-padded fractions (see the module
        docstring).

    Raises
    ------
    InputFileError
        Missing or malformed input files (the message names the file).
    """
    variant_set = load_cagi5(sequences_fa, table_tsv)
    mismatched = variant_set.mismatched_rows()
    if mismatched:
        _warn_mismatched(variant_set, mismatched)
    effects = predict_variant_effects(
        predictor,
        variant_set,
        n_shifts=n_shifts,
        seed=seed,
        max_variants_per_element=max_variants_per_element,
        genome=genome,
        progress=progress,
    )
    groups = effects.groupby("element", sort=False).indices
    empty = np.zeros(0, dtype=np.int64)
    per_element = [
        _element_row(str(name), effects.iloc[groups.get(name, empty)])
        for name in pd.unique(variant_set.table["element"])
    ]
    n_nonfinite = int((~np.isfinite(effects["standard"].to_numpy(dtype=np.float64))).sum())
    if n_nonfinite:
        logger.warning("CAGI5: %d variants have a non-finite standard prediction", n_nonfinite)
    result = Cagi5Result(
        standard=_nanmean([r["standard"] for r in per_element]),
        robust=_nanmean([r["robust"] for r in per_element]),
        per_element=per_element,
        n_scored=int(len(effects)),
        n_mismatched=len(mismatched),
        mismatched=mismatched,
        convention=BINARY_CONVENTION if predictor.kind == "binary" else QUANTITATIVE_CONVENTION,
        padded_fraction={k: _mean(effects[f"padded_{k}"]) for k in ("standard", "robust")},
        n_moved=int(effects["moved"].sum()),
    )
    logger.info(
        "CAGI5: standard r = %.4f, robust r = %.4f over %d elements (%d variants); N-padded "
        "fraction of the windows: standard %.4f, robust %.4f",
        result.standard,
        result.robust,
        sum(np.isfinite(r["standard"]) for r in per_element),
        result.n_scored,
        result.padded_fraction["standard"],
        result.padded_fraction["robust"],
    )
    return result
