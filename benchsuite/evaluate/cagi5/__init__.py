"""CAGI5 variant effects (paper Fig. 5, Methods "CAGI5 saturation mutagenesis"; docs/protocol.md).

The protocol follows the paper's Methods, "Variant effect prediction":

*Input layout.* ``elements.fa`` holds one reference window per regulatory element
(header ``>ELEMENT chrN:start-end hg19``, 0-based half-open), ``variants.tsv`` one row per
single-nucleotide variant with the columns ``element``, ``ref``, ``alt``, ``value`` (measured
log2 effect) and ``window_offset`` (0-based position of the variant inside its element's
window); ``split``, ``chrom_hg19``, ``pos_hg19`` and ``confidence`` are optional. Rows whose
``ref`` differs from the window base (construct-specific bases in the assay, about 0.2% of the
real CAGI5 rows) are reported (count, a logging warning, and the rows themselves) and skipped.

*Model windows* (:mod:`benchsuite.evaluate.cagi5.windows`; element coordinates, ``W`` the
element window's length, ``L`` the model's input length). The **standard window** is the
central ``L`` bases of the element window, ``[W//2 - L//2, W//2 - L//2 + L)`` (its base
``L//2`` is the element window's base ``W//2``), with the allele substituted at the variant's
position. Its **scored region** is its central half, window positions ``[L//4, L//4 + L//2)``.
A variant outside that region (only when ``L//2`` is shorter than the element) gets its
standard window moved by the fewest bases that bring it inside, and is counted
(``n_moved``). Bases beyond the element window come from a genome when one is given and holds
the element at its header coordinates, else they are N (all-zero one-hot columns); the
fraction of N-padded bases is reported per element and overall.

*Standard prediction.* One pass for the reference and one for the alternative window. Per
window the score is the mean predicted coverage over the scored region (each output bin
weighted by its overlap with it), averaged over targets. The paper sums coverage; sum and mean
differ by a constant that cancels in the ratio. The effect is
``log2((alt + EPSILON) / (ref + EPSILON))``.

*Robust prediction.* ``n_shifts`` random shifts ``s`` (integers, uniform in
``[-L/4, L/4]``, seeded per element and position; the same shifts for the reference and every
alternative allele at a position) of the standard window. Predictions are aligned on genome
coordinates and the coverage is averaged over the standard window's scored region, which is
the region every shifted window covers (1,024 bp for a 2,048-bp input, as in the paper); then
over shifts and targets; effect = log2 ratio as above.

*Binary models* (``predictor.kind == "binary"``, output ``(N, T)`` logits) use the
convention in :data:`BINARY_CONVENTION`: per window the sigmoid probability averaged over
targets (robust: also averaged over shifts), effect = log2 ratio of the alternative to the
reference probability, with the same ``EPSILON``.

*Metric.* Pearson correlation between predicted and measured effect within each element,
averaged over elements. An element with fewer than 3 scored variants, or with constant
predictions or measurements, gets NaN and is left out of the mean (the overall score is NaN
when no element can be scored). Variants whose prediction is not finite are left out of
their element's correlation.
"""

from benchsuite.evaluate.cagi5.predict import draw_shifts, predict_variant_effects
from benchsuite.evaluate.cagi5.score import cagi5_evaluate
from benchsuite.evaluate.cagi5.variants import (
    BINARY_CONVENTION,
    EPSILON,
    MIN_VARIANTS,
    QUANTITATIVE_CONVENTION,
    Cagi5Element,
    Cagi5Result,
    Cagi5Set,
    load_cagi5,
)
from benchsuite.evaluate.cagi5.windows import (
    ElementContext,
    element_context,
    scored_region,
    standard_window_starts,
    variant_window_codes,
)

__all__ = [
    "BINARY_CONVENTION",
    "EPSILON",
    "MIN_VARIANTS",
    "QUANTITATIVE_CONVENTION",
    "Cagi5Element",
    "Cagi5Result",
    "Cagi5Set",
    "ElementContext",
    "cagi5_evaluate",
    "draw_shifts",
    "element_context",
    "load_cagi5",
    "predict_variant_effects",
    "scored_region",
    "standard_window_starts",
    "variant_window_codes",
]
