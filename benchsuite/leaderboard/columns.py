"""The board's columns, read from the metric registry (:mod:`benchsuite.evaluate.registry`).

Which metrics are main columns (``board``), their directions, definitions, units and
resolutions all come from the registry; this module only decides how the board lays them out:

- the ranking metric (:data:`SORT_METRIC`, whole-chromosome Pearson at the common bin) first;
- then the column groups of the paper's tables (:data:`GROUPS`, by registry family):
  prediction | task conversion | robustness | variant effects | motifs (a family the board
  does not know yet goes to a last "other" group);
- own-bin metrics (registry resolution "model's own bin") are labelled "own bin" and shown
  next to the ceiling at the same bin;
- each metric's *reference ceiling* (:func:`reference_ceiling`): the oracle (the simulator's
  noise-free expected coverage) for coverage metrics, replicate 2 (a second noisy measurement)
  for the peak metrics, whose labels are called on replicate 1 and share its biological noise
  with replicate 2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from benchsuite.evaluate.registry import METRICS, RANKING_METRIC, board_metrics, metric_spec

__all__ = [
    "CEILING_DESCRIPTIONS",
    "GROUPS",
    "LOWER_IS_BETTER",
    "MAIN_METRICS",
    "METRIC_DESCRIPTIONS",
    "SORT_METRIC",
    "column_group",
    "column_tooltip",
    "describe_metric",
    "grouped_columns",
    "is_own_bin",
    "metric_columns",
    "metric_family",
    "reference_ceiling",
    "registry_family",
]

#: the registry's main board columns, in registry order (``thresholded.pearson@*`` stands for
#: every threshold)
MAIN_METRICS: tuple[str, ...] = board_metrics()
#: the ranking metric: whole-chromosome Pearson r at the common bin (paper Fig. 2c), the one
#: number comparable across output resolutions (the registry's RANKING_METRIC)
SORT_METRIC: str = RANKING_METRIC
#: metrics where a smaller value is better (sort direction, "best" marks), from the registry
LOWER_IS_BETTER = frozenset(m.name for m in METRICS if not m.higher_is_better)
#: one-sentence definitions (header tooltips), from the registry; thresholds share one entry
METRIC_DESCRIPTIONS: dict[str, str] = {m.name.partition("@")[0]: m.definition for m in METRICS}

#: column groups of the board, in order: (label, registry families)
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("prediction", ("wholechrom", "perseq")),
    ("task conversion", ("peak", "peak_genome")),
    ("robustness", ("robustness",)),
    ("variant effects", ("cagi5",)),
    ("motifs", ("motifs",)),
    ("interpretation", ("interpret",)),
)
_OTHER_GROUP = "other"
#: families whose reference is replicate 2: peaks are called on replicate 1, whose biological
#: variation replicate 2 shares, so replicate 2 "knows" part of the label noise
_REPLICATE2_FAMILIES = frozenset({"peak", "peak_genome"})

#: what each ceiling is (board text and tooltips)
CEILING_DESCRIPTIONS: dict[str, str] = {
    "oracle": "the simulator's noise-free expected coverage of each sequence, scored like a model: "
    "the reference for coverage metrics (what sequence alone determines)",
    "replicate2": "replicate 2, a second noisy measurement of the same experiment, as the prediction "
    "of replicate 1: the reference for peak metrics (peaks are called on replicate 1, which shares "
    "its biological noise with replicate 2, so replicate 2 can beat the oracle there)",
}


def metric_family(name: str) -> str:
    """The record prefix of a metric: ``"cagi5.robust"`` -> ``"cagi5"``; ``"thresholded.pearson@2"`` ->
    ``"thresholded"`` (the keys of a record's ``not_applicable``)."""
    return name.split(".", 1)[0].split("@", 1)[0]


def registry_family(name: str) -> str:
    """The registry family of a metric (its record prefix when the registry does not know it)."""
    spec = metric_spec(name)
    return spec.family if spec is not None else metric_family(name)


def column_group(name: str) -> str:
    """The column group (:data:`GROUPS`) of a metric."""
    family = registry_family(name)
    return next((label for label, families in GROUPS if family in families), _OTHER_GROUP)


def is_own_bin(name: str) -> bool:
    """Whether the registry computes the metric at the model's own output bin."""
    spec = metric_spec(name)
    return spec is not None and "own bin" in spec.resolution


def reference_ceiling(name: str) -> str:
    """The ceiling a metric is read against: ``"replicate2"`` for peak metrics, else ``"oracle"``."""
    return "replicate2" if registry_family(name) in _REPLICATE2_FAMILIES else "oracle"


def describe_metric(name: str) -> str:
    """One-line definition of a metric, from the metric registry."""
    base, _, threshold = name.partition("@")
    text = METRIC_DESCRIPTIONS.get(base, name)
    return f"{text} (threshold {threshold})" if threshold else text


def column_tooltip(name: str, common_bin: int | None = None) -> str:
    """Header tooltip: the registry definition, unit, resolution, direction and reference ceiling."""
    spec = metric_spec(name)
    parts = [describe_metric(name)]
    if spec is not None:
        resolution = spec.resolution
        if resolution == "common bin" and common_bin:
            resolution = f"common bin ({common_bin} bp)"
        better = "higher" if spec.higher_is_better else "lower"
        parts.append(f"Unit: {spec.unit}; resolution: {resolution}; {better} is better.")
    ceiling = reference_ceiling(name)
    parts.append(f"Reference ceiling: {ceiling}, {CEILING_DESCRIPTIONS[ceiling]}.")
    if name == SORT_METRIC:
        parts.append("The board is ranked by this column.")
    return " ".join(parts)


def _threshold_key(name: str) -> tuple[float, str]:
    _, _, t = name.partition("@")
    try:
        return (float(t), name)
    except ValueError:
        return (math.inf, name)


def _group_order() -> list[str]:
    labels = [label for label, _ in GROUPS] + [_OTHER_GROUP]
    first = column_group(SORT_METRIC)
    return [first] + [label for label in labels if label != first]


def metric_columns(names: Iterable[str], *, include_extra: bool) -> list[str]:
    """Order metric names: the ranking metric, then the main columns group by group (registry
    order within a group, thresholds sorted numerically), then (``include_extra``) the rest.

    Parameters
    ----------
    names:
        Metric names present in the records.
    include_extra:
        Append metrics that are not main columns (sorted by name).
    """
    present = set(names)
    thresholds = sorted((n for n in present if n.startswith("thresholded.pearson@")), key=_threshold_key)
    expanded: list[str] = []
    for m in MAIN_METRICS:
        expanded.extend(thresholds if m == "thresholded.pearson@*" else [m])
    if SORT_METRIC in expanded:
        expanded.remove(SORT_METRIC)
    expanded.insert(0, SORT_METRIC)
    order = {label: i for i, label in enumerate(_group_order())}
    cols = sorted(expanded, key=lambda m: order[column_group(m)])  # stable: registry order kept
    if include_extra:
        cols.extend(sorted(present - set(cols)))
    return cols


def grouped_columns(columns: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Consecutive runs of columns of the same group: ``[(group label, columns), ...]``."""
    groups: list[tuple[str, list[str]]] = []
    for m in columns:
        label = column_group(m)
        if groups and groups[-1][0] == label:
            groups[-1][1].append(m)
        else:
            groups.append((label, [m]))
    return groups
