"""The fixed evaluation harness, versioned by :data:`HARNESS_VERSION` (protocol: docs/protocol.md).

Any change to a metric definition bumps the version and is recorded in docs/protocol.md; the
leaderboard refuses to mix records of different harness versions.

Layout:

- :mod:`~benchsuite.evaluate.stats`: one kernel per statistic (moments -> Pearson/MSE/scale
  factors, ranks -> Spearman, AUROC/AUPR, binning);
- :mod:`~benchsuite.evaluate.registry`: every metric's name, family, definition, unit and
  direction (``docs/metrics.md`` is generated from it);
- :mod:`~benchsuite.evaluate.families`: one module per metric family behind one interface;
- :mod:`~benchsuite.evaluate.harness`: :func:`evaluate_predictor`, the loop over families;
- :mod:`~benchsuite.evaluate.predictors` / :mod:`~benchsuite.evaluate.sources`: what is evaluated;
- :mod:`~benchsuite.evaluate.ceilings`: the oracle and replicate-2 ceilings;
- engines used by families: :mod:`~benchsuite.evaluate.conversion`,
  :mod:`~benchsuite.evaluate.robustness`, :mod:`~benchsuite.evaluate.cagi5`,
  :mod:`~benchsuite.evaluate.motifs`.
"""

HARNESS_VERSION = "2.1"

from benchsuite.evaluate.harness import evaluate_model, evaluate_predictor  # noqa: E402 - after HARNESS_VERSION
from benchsuite.evaluate.options import EvalOptions  # noqa: E402
from benchsuite.evaluate.predictors import OraclePredictor, Predictor, TorchPredictor  # noqa: E402
from benchsuite.evaluate.result import EvalResult, NotApplicable  # noqa: E402

__all__ = [
    "HARNESS_VERSION",
    "EvalOptions",
    "EvalResult",
    "NotApplicable",
    "OraclePredictor",
    "Predictor",
    "TorchPredictor",
    "evaluate_model",
    "evaluate_predictor",
]
