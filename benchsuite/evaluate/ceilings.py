"""Ceilings: the harness's metrics for the oracle and for replicate 2 (docs/protocol.md, "Ceilings").

* **Oracle** (simulated bundles): the simulator's expected coverage of any sequence, wrapped
  in an :class:`~benchsuite.evaluate.predictors.OraclePredictor` and run through the very
  same :func:`~benchsuite.evaluate.harness.evaluate_predictor` (every family except motif
  recovery, which needs first-layer filters). The best any model can do on noise-free signal.
* **Replicate 2** (any bundle with replicate-2 tracks): the second experimental replicate
  taken as the "prediction" of replicate 1, computed straight from the cache arrays
  ``cov_rep2`` vs ``cov`` (no predictor): whole-chromosome Pearson / Spearman / MSE (raw and
  scaled), common-bin metrics, per-sequence and thresholded Pearson, and peak AUROC / AUPR /
  Pearson with the mean replicate-2 coverage over each peak-centered chunk's central window
  as the score. Robustness, CAGI5 and motifs do not apply (a replicate cannot be shifted,
  mutated or opened up), with reasons in ``not_applicable``.

Both take a ``bin_size`` (default 1, base resolution): ceilings at a model's own bin are
comparable with that model's ``wholechrom.*``, ``perseq.*`` and ``thresholded.*`` values; the
``wholechrom_common.*`` values compare with every model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchsuite.errors import ConfigError, DatasetError
from benchsuite.evaluate.harness import evaluate_predictor, run_families
from benchsuite.evaluate.options import EvalOptions
from benchsuite.evaluate.predictors import OraclePredictor
from benchsuite.evaluate.result import EvalResult
from benchsuite.evaluate.sources import Replicate2Source
from benchsuite.evaluate.types import CacheLike, ManifestLike

__all__ = ["oracle_ceiling", "replicate2_ceiling"]


def _check_bin(bin_size: int, input_length: int) -> None:
    if bin_size < 1 or input_length % bin_size:
        raise ConfigError(
            f"ceiling bin size {bin_size} does not divide the input length {input_length}",
            source="bin_size",
            hint="use one of the dataset's bin sizes (geometry.bin_sizes)",
        )


def oracle_ceiling(
    oracle: Any,
    cache: CacheLike,
    manifest: ManifestLike,
    *,
    bin_size: int = 1,
    options: EvalOptions | None = None,
    out_dir: str | Path | None = None,
) -> EvalResult:
    """The harness's metrics for the simulator's oracle.

    Parameters
    ----------
    oracle:
        An oracle object (``target_names``, ``__call__(one_hot) -> (N, T, L)``), or the path of
        a simulated bundle / its ``truth.json`` (loaded with
        ``benchsuite.simulate.oracle.load_oracle``).
    cache, manifest:
        Dataset cache and manifest of the bundle.
    bin_size:
        Output resolution of the oracle predictions.
    options:
        Harness options (motifs never apply: the oracle has no first-layer filters).
    out_dir:
        Folder for figures (none are produced today).

    Returns
    -------
    EvalResult
        With ``tables["ceiling"] = {"kind": "oracle", "bin_size": ...}``.
    """
    if isinstance(oracle, (str, Path)):
        from benchsuite.simulate.oracle import load_oracle

        oracle = load_oracle(oracle)
    options = options or EvalOptions()
    input_length = int(cache.geometry.input_length)
    _check_bin(bin_size, input_length)
    predictor = OraclePredictor(oracle, input_length, bin_size, target_names=tuple(cache.target_names))
    result = evaluate_predictor(predictor, cache, manifest, options=options, out_dir=out_dir)
    result.skip("motifs", "the oracle has no first-layer filters")
    result.tables["ceiling"] = {"kind": "oracle", "bin_size": int(bin_size)}
    return result


def replicate2_ceiling(
    cache: CacheLike,
    manifest: ManifestLike,
    *,
    bin_size: int = 1,
    options: EvalOptions | None = None,
) -> EvalResult:
    """The harness's metrics for replicate 2 as a predictor of replicate 1.

    Parameters
    ----------
    cache, manifest:
        Dataset cache and manifest (the test splits must hold ``cov_rep2``).
    bin_size:
        Resolution at which replicate 2 is compared (averaged into bins of this size).
    options:
        Harness options (batch size, thresholds, Spearman method, progress).

    Returns
    -------
    EvalResult
        With ``tables["ceiling"] = {"kind": "replicate2", "bin_size": ...}``.

    Raises
    ------
    DatasetError
        The dataset has no replicate-2 coverage.
    """
    options = options or EvalOptions()
    input_length = int(cache.geometry.input_length)
    _check_bin(bin_size, input_length)
    wholechrom = cache.split("wholechrom", "test")
    if wholechrom.cov_rep2 is None:
        raise DatasetError(
            "the dataset has no replicate-2 coverage",
            source=getattr(cache, "root", None),
            hint="add replicate2 tracks to the manifest targets and prepare the dataset again",
        )
    result = run_families(Replicate2Source(bin_size, input_length), cache, manifest, options)
    result.tables["ceiling"] = {"kind": "replicate2", "bin_size": int(bin_size)}
    return result
