"""The fixed evaluation harness (SPEC §5), versioned by :data:`HARNESS_VERSION`.

Any change to a metric definition bumps the version; the leaderboard refuses to mix records
of different harness versions.

Modules: :mod:`~benchsuite.evaluate.streaming` (O(batch) accumulators),
:mod:`~benchsuite.evaluate.metrics` (pure metric functions),
:mod:`~benchsuite.evaluate.conversion` (binary <-> quantitative),
:mod:`~benchsuite.evaluate.robustness` (variation score),
:mod:`~benchsuite.evaluate.predictors` (what is evaluated),
:mod:`~benchsuite.evaluate.ceilings` (oracle and replicate-2 ceilings),
:mod:`~benchsuite.evaluate.harness` (:func:`evaluate_predictor`), plus CAGI5 variant effects
and motif recovery in their own modules.
"""

HARNESS_VERSION = "1.0"

from benchsuite.evaluate.harness import (  # noqa: E402 - HARNESS_VERSION must exist first
    EvalOptions,
    EvalResult,
    evaluate_model,
    evaluate_predictor,
)
from benchsuite.evaluate.predictors import OraclePredictor, Predictor, TorchPredictor  # noqa: E402

__all__ = [
    "HARNESS_VERSION",
    "EvalOptions",
    "EvalResult",
    "OraclePredictor",
    "Predictor",
    "TorchPredictor",
    "evaluate_model",
    "evaluate_predictor",
]
