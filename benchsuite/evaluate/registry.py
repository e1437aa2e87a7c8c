"""The metric registry: one table of every metric the harness reports.

Each :class:`MetricSpec` holds the metric's name, family, a one-sentence definition, its unit,
the resolution it is computed at, its direction (``higher_is_better``) and whether it is a
headline metric (the run summary) and a board column. The harness's families declare the
names they produce from here, the leaderboard takes its columns, sort directions and
tooltips from here, ``benchsuite list --metrics`` prints it and ``docs/metrics.md`` is
generated from it (a test fails when the two disagree). The full protocol, with the paper's
definitions beside ours, is ``docs/protocol.md``.

Thresholded Pearson is one entry, ``thresholded.pearson@{t}``, that stands for every
threshold ``t`` (``thresholded.pearson@2`` etc.); :func:`metric_spec` resolves those names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "METRICS",
    "RANKING_METRIC",
    "SEQUENCE_SET_RANKING_METRIC",
    "MetricSpec",
    "board_metrics",
    "family_metrics",
    "headline_metrics",
    "higher_is_better",
    "metric_spec",
    "metrics_markdown",
    "threshold_metric_name",
]


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the harness.

    Attributes
    ----------
    name:
        Record key, e.g. ``wholechrom.pearson`` (``thresholded.pearson@{t}`` for the family of
        thresholds).
    family:
        The harness family that computes it (``benchsuite.evaluate.families``).
    definition:
        One sentence: what is computed, on which test set.
    unit:
        What the number is (Pearson r, AUROC, relative variation, ...).
    resolution:
        The bin it is computed at.
    higher_is_better:
        Direction for ranking and "best" marks.
    headline:
        Shown in the run summary table.
    board:
        A main column of the leaderboard (others are in the CSV/per-target tables).
    """

    name: str
    family: str
    definition: str
    unit: str
    resolution: str
    higher_is_better: bool = True
    headline: bool = False
    board: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (``benchsuite list --metrics --json``)."""
        return asdict(self)


_OWN = "model's own bin"
_SEQ = "one value per sequence"

METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "wholechrom_common.pearson",
        "wholechrom",
        "Whole-chromosome Pearson r with predictions and truth averaged into the common bin "
        "(paper Fig. 2c); comparable across models of every resolution.",
        "Pearson r",
        "common bin",
        headline=True,
        board=True,
    ),
    MetricSpec(
        "wholechrom.pearson",
        "wholechrom",
        "Pearson r per target over every position of the test chromosome(s), true coverage "
        "averaged into the model's bin; a binary model's tile logit is its coverage.",
        "Pearson r",
        _OWN,
        headline=True,
        board=True,
    ),
    MetricSpec(
        "wholechrom.spearman",
        "wholechrom",
        "Spearman rho per target over every position of the test chromosome(s) at the model's bin.",
        "Spearman rho",
        _OWN,
    ),
    MetricSpec(
        "wholechrom.mse",
        "wholechrom",
        "Mean squared error per target over the test chromosome(s), raw predictions (quantitative).",
        "coverage squared",
        _OWN,
        higher_is_better=False,
    ),
    MetricSpec(
        "wholechrom.mse_scaled",
        "wholechrom",
        "Whole-chromosome MSE after scaling predictions by mean(true)/mean(pred) per target.",
        "coverage squared",
        _OWN,
        higher_is_better=False,
        board=True,
    ),
    MetricSpec(
        "wholechrom_common.mse_scaled",
        "wholechrom",
        "Whole-chromosome scaled MSE at the common bin (quantitative).",
        "coverage squared",
        "common bin",
        higher_is_better=False,
    ),
    MetricSpec(
        "perseq.pearson",
        "perseq",
        "Pearson r within each coverage-threshold test chunk (central input window), averaged "
        "over chunks where it is defined.",
        "Pearson r",
        _OWN,
        board=True,
    ),
    MetricSpec(
        "thresholded.pearson@{t}",
        "perseq",
        "Per-sequence Pearson r averaged over the whole-chromosome test tiles whose max true "
        "coverage (any target) exceeds t (paper Fig. 2e).",
        "Pearson r",
        _OWN,
        board=True,
    ),
    MetricSpec(
        "peak.auroc",
        "peak",
        "AUROC per label target on the peak-centred test chunks; score: logit (binary) or mean "
        "predicted coverage over the window (quantitative).",
        "AUROC",
        _SEQ,
        headline=True,
        board=True,
    ),
    MetricSpec(
        "peak.aupr",
        "peak",
        "Average precision per label target on the peak-centred test chunks, same scores as peak.auroc.",
        "AUPR",
        _SEQ,
        board=True,
    ),
    MetricSpec(
        "peak.pearson",
        "peak",
        "Pearson r across peak-centred test chunks between the sequence score and the chunk's "
        "mean true coverage (task conversion, paper Fig. 4b).",
        "Pearson r",
        _SEQ,
    ),
    MetricSpec(
        "peak.pearson_perseq",
        "peak",
        "Pearson r within each peak-centred test chunk at the model's bin, averaged over chunks "
        "(quantitative).",
        "Pearson r",
        _OWN,
    ),
    MetricSpec(
        "peak_genome.auroc",
        "peak_genome",
        "AUROC per label target over every whole-chromosome test tile (tile holds a peak or not); "
        "score: logit (binary) or mean predicted coverage over the tile (paper Supp. Table 2).",
        "AUROC",
        "one value per whole-chromosome tile",
        board=True,
    ),
    MetricSpec(
        "peak_genome.aupr",
        "peak_genome",
        "Average precision per label target over every whole-chromosome test tile, same scores as "
        "peak_genome.auroc.",
        "AUPR",
        "one value per whole-chromosome tile",
        board=True,
    ),
    MetricSpec(
        "robustness.variation",
        "robustness",
        "Mean over peak-holding test chunks of the per-position standard deviation of predictions "
        "across shifted windows, divided by the mean prediction (quantitative).",
        "relative variation",
        _OWN,
        higher_is_better=False,
        headline=True,
        board=True,
    ),
    MetricSpec(
        "cagi5.standard",
        "cagi5",
        "Pearson r between predicted log2 allele ratio and measured effect within each CAGI5 "
        "element, mean over elements; one window per allele.",
        "Pearson r",
        "sum over the window",
        board=True,
    ),
    MetricSpec(
        "cagi5.robust",
        "cagi5",
        "As cagi5.standard with each allele's prediction averaged over random shifts of the window.",
        "Pearson r",
        "sum over the window",
        headline=True,
        board=True,
    ),
    MetricSpec(
        "motifs.hit_ratio",
        "motifs",
        "Fraction of first-layer filters whose activation PPM matches a database motif (Tomtom, "
        "BH q < 0.05).",
        "fraction of filters",
        "first layer",
        board=True,
    ),
    MetricSpec(
        "motifs.mean_best_q",
        "motifs",
        "Mean over first-layer filters of the best Tomtom q-value against the database.",
        "q-value",
        "first layer",
        higher_is_better=False,
    ),
    MetricSpec(
        "motifs.recovery_rate",
        "motifs",
        "Fraction of the planted (ground-truth) motifs matched by at least one filter (simulated bundles).",
        "fraction of motifs",
        "first layer",
        headline=True,
        board=True,
    ),
    MetricSpec(
        "motifs.decoy_match_rate",
        "motifs",
        "Fraction of first-layer filters whose best match (Tomtom, BH q < 0.05) is one of the "
        "JASPAR-like decoy motifs of a simulated bundle's database (chance matches; simulated "
        "bundles only).",
        "fraction of filters",
        "first layer",
        higher_is_better=False,
        board=True,
    ),
    MetricSpec(
        "interpret.saliency_auroc",
        "interpret",
        "AUROC of |corrected saliency x input| for positions in planted sites of motifs active in "
        "the target's cell type vs positions far from any site, per test window with a planted "
        "site, mean over windows (simulated bundles, torch models).",
        "AUROC",
        "base",
        board=True,
    ),
    MetricSpec(
        "interpret.saliency_aupr",
        "interpret",
        "Average precision of the same positions and scores as interpret.saliency_auroc, mean over windows.",
        "AUPR",
        "base",
    ),
    MetricSpec(
        "interpret.false_attribution",
        "interpret",
        "Fraction of positions in planted sites of motifs inactive in the target's cell type whose "
        "|corrected saliency x input| exceeds the window's 99th percentile of far-from-site "
        "positions, mean over windows (chance about 0.01).",
        "fraction of positions",
        "base",
        higher_is_better=False,
    ),
    MetricSpec(
        "interpret.ism_auroc",
        "interpret",
        "AUROC of the mean |in-silico mutagenesis effect| per position (active-motif site "
        "positions vs far positions) on the ISM span of each window, mean over windows; the "
        "oracle's is the attribution ceiling.",
        "AUROC",
        "base",
        board=True,
    ),
    MetricSpec(
        "interpret.ism_pearson",
        "interpret",
        "Pearson r between the model's and the oracle's in-silico mutagenesis maps (every "
        "alternative base of the ISM span), per window, mean over windows.",
        "Pearson r",
        "base",
    ),
    MetricSpec(
        "interpret.gia_spearman",
        "interpret",
        "Spearman rho over motifs x targets between the model's and the oracle's global "
        "importance of each motif's consensus embedded in dinucleotide-shuffled test windows.",
        "Spearman rho",
        "one value per sequence",
        board=True,
    ),
    MetricSpec(
        "interpret.coop_spearman",
        "interpret",
        "Spearman rho over distances between the model's and the oracle's interaction curve "
        "I(d) = GI(A+B) - GI(A) - GI(B) of each cooperative pair (both orders), mean over pairs "
        "and targets where both motifs are active.",
        "Spearman rho",
        "one value per sequence",
        board=True,
    ),
    MetricSpec(
        "interpret.coop_distance_error",
        "interpret",
        "Absolute difference between the distances of the largest interaction in the model's "
        "and the oracle's curves I(d), mean over cooperative pairs and targets.",
        "bp",
        "one value per sequence",
        higher_is_better=False,
    ),
    MetricSpec(
        "interpret.false_cooperativity",
        "interpret",
        "Largest |I(d)| of non-cooperative control pairs relative to |GI(A)| + |GI(B)|, mean "
        "over control pairs and targets where both motifs are active (the oracle: 0).",
        "relative interaction",
        "one value per sequence",
        higher_is_better=False,
    ),
    MetricSpec(
        "interpret.flank_spearman",
        "interpret",
        "Spearman rho between the model's and the oracle's global importance of a motif core "
        "with each of the 16 choices of its two adjacent flank bases, mean over motifs with flank "
        "preferences and targets where they are active.",
        "Spearman rho",
        "one value per sequence",
    ),
    MetricSpec(
        "interpret.seqlet_match_rate",
        "interpret",
        "Fraction of the target's 20 top attribution seqlets (15-bp windows of largest summed "
        "|corrected saliency x input|) whose best Tomtom match in the bundle's motif database "
        "has q < 0.05 and is not a decoy (torch models, any bundle with a motif database).",
        "fraction of seqlets",
        "base",
    ),
    MetricSpec(
        "interpret.seqlet_recovery",
        "interpret",
        "Fraction of the planted motifs that are the best match (Tomtom q < 0.05) of at least "
        "one top attribution seqlet of any target (simulated bundles).",
        "fraction of motifs",
        "base",
    ),
)

_BY_NAME = {m.name: m for m in METRICS}

RANKING_METRIC = "wholechrom_common.pearson"
"""The board's ranking metric: whole-chromosome Pearson at the common bin (paper Fig. 2c), the
one number comparable across models of every output resolution."""
SEQUENCE_SET_RANKING_METRIC = "peak.auroc"
"""The ranking metric of a sequence-set board (labelled sequences without genome coordinates,
where no whole-chromosome metric exists): AUROC of the labelled classes, which binary and
quantitative models both get."""
_THRESHOLDED = "thresholded.pearson@"


def threshold_metric_name(threshold: float) -> str:
    """Metric name of a thresholded Pearson, e.g. ``thresholded.pearson@2``."""
    return f"{_THRESHOLDED}{float(threshold):g}"


def metric_spec(name: str) -> MetricSpec | None:
    """The registry entry of a metric name (``thresholded.pearson@8`` resolves to the @{t} entry)."""
    if name.startswith(_THRESHOLDED):
        return _BY_NAME[_THRESHOLDED + "{t}"]
    return _BY_NAME.get(name)


def higher_is_better(name: str) -> bool:
    """Direction of a metric (unknown names: higher is better)."""
    spec = metric_spec(name)
    return True if spec is None else spec.higher_is_better


def headline_metrics() -> tuple[str, ...]:
    """Metrics of the run summary, in registry order."""
    return tuple(m.name for m in METRICS if m.headline)


def board_metrics() -> tuple[str, ...]:
    """Main leaderboard columns in order (``thresholded.pearson@*`` stands for every threshold)."""
    return tuple(m.name.replace("{t}", "*") for m in METRICS if m.board)


def family_metrics(family: str) -> tuple[MetricSpec, ...]:
    """The registry entries a family produces."""
    return tuple(m for m in METRICS if m.family == family)


def metrics_markdown() -> str:
    """``docs/metrics.md``: the registry as a Markdown table (generated; do not edit by hand)."""
    lines = [
        "# Metrics",
        "",
        "<!-- generated from benchsuite/evaluate/registry.py by `benchsuite list --metrics --markdown`;"
        " tests/evaluate/test_registry.py fails when this file and the registry disagree -->",
        "",
        "Every metric of the harness: name, family, definition, unit, resolution and direction.",
        "The protocol behind them, with the paper's definitions and every deviation, is",
        "[protocol.md](protocol.md). Headline metrics appear in the run summary; board metrics are",
        "the leaderboard's main columns.",
        "",
        "| metric | family | definition | unit | resolution | better | headline | board |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in METRICS:
        better = "higher" if m.higher_is_better else "lower"
        flags = ("yes" if m.headline else "", "yes" if m.board else "")
        lines.append(
            f"| `{m.name}` | {m.family} | {m.definition} | {m.unit} | {m.resolution} | {better} "
            f"| {flags[0]} | {flags[1]} |"
        )
    return "\n".join(lines) + "\n"
