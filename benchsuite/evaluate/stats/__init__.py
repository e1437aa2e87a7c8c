"""One kernel per statistic (numpy in, numpy out, float64 accumulation).

- :mod:`.moments`: counts, means and centred second moments -> every Pearson r, MSE, scaled
  MSE and scale factor (streaming classes and their functional faces);
- :mod:`.ranks`: average ranks and Spearman's rho (exact and streaming);
- :mod:`.classification`: AUROC and AUPR per target;
- :mod:`.binning`: averaging into bins and broadcasting per-sequence values.

Array conventions: predictions and truths are ``(N, T, ...)`` (sequences, targets,
positions); functions return one value per target unless said otherwise; undefined values
are NaN, never 0.
"""

from benchsuite.evaluate.stats.binning import bin_average, broadcast_bins
from benchsuite.evaluate.stats.classification import aupr_per_target, auroc_per_target, single_class_reasons
from benchsuite.evaluate.stats.moments import (
    CONSTANT_RTOL,
    Moments,
    StreamingMSE,
    StreamingPearson,
    masked_rows,
    mse_per_target,
    nanmean_or_none,
    pearson_1d,
    pearson_per_target,
    per_sequence_pearson_matrix,
    scale_factors,
    to_target_rows,
)
from benchsuite.evaluate.stats.ranks import (
    StreamingSpearman,
    average_ranks,
    spearman_exact,
    spearman_per_target,
)

__all__ = [
    "CONSTANT_RTOL",
    "Moments",
    "StreamingMSE",
    "StreamingPearson",
    "StreamingSpearman",
    "aupr_per_target",
    "auroc_per_target",
    "average_ranks",
    "bin_average",
    "broadcast_bins",
    "masked_rows",
    "mse_per_target",
    "nanmean_or_none",
    "pearson_1d",
    "pearson_per_target",
    "per_sequence_pearson_matrix",
    "scale_factors",
    "single_class_reasons",
    "spearman_exact",
    "spearman_per_target",
    "to_target_rows",
]
