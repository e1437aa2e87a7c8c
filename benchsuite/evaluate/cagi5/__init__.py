"""CAGI5 variant effects (paper Fig. 5, Methods "CAGI5 saturation mutagenesis"; docs/protocol.md).

The protocol follows the paper's Methods, "Variant effect prediction":

*Input layout.* ``elements.fa`` holds one reference window per regulatory element
(header ``>ELEMENT chrN:start-end hg19``, 0-based half-open), ``variants.tsv`` one row per
single-nucleotide variant with the columns ``element``, ``ref``, ``alt``, ``value`` (measured
log2 effect) and ``window_offset`` (0-based position of the variant inside its element's
window); ``split``, ``chrom_hg19``, ``pos_hg19`` and ``confidence`` are optional. Rows whose
``ref`` differs from the window base (construct-specific bases in the assay, about 0.2% of the
real CAGI5 rows) are reported (count, a logging warning, and the rows themselves) and skipped.

*Model windows.* Every prediction uses an ``input_length`` window **centred on the variant**:
the variant sits at position ``input_length // 2`` of the model input. The window is cut from
the element window; where it runs past the element window it is padded with N (all-zero
one-hot columns). Hence a model input shorter than the element window is a crop around the
variant and a longer one is an N-pad, and the variant is always exactly at the centre.

*Standard prediction.* One pass for the reference and one for the alternative window. Per
window the score is the mean predicted coverage over the central half of the window
(``[L/4, 3L/4)``, each output bin weighted by its overlap with that region), averaged over
targets. The paper sums coverage; sum and mean differ by a constant that cancels in the ratio.
The effect is ``log2((alt + EPSILON) / (ref + EPSILON))``.

*Robust prediction.* ``n_shifts`` random shifts ``s`` (integers, uniform in
``[-L/4, L/4]``, seeded per element and position; the same shifts for the reference and every
alternative allele at a position) of the variant-centred window. Predictions are aligned on
genome coordinates and the coverage is averaged over the region common to every possible
shifted window, the ``L/2`` bases centred on the variant (1,024 bp for a 2,048-bp input, as
in the paper); then over shifts and targets; effect = log2 ratio as above.

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

from benchsuite.evaluate.cagi5.predict import draw_shifts, predict_variant_effects, variant_window_codes
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

__all__ = [
    "BINARY_CONVENTION",
    "EPSILON",
    "MIN_VARIANTS",
    "QUANTITATIVE_CONVENTION",
    "Cagi5Element",
    "Cagi5Result",
    "Cagi5Set",
    "cagi5_evaluate",
    "draw_shifts",
    "load_cagi5",
    "predict_variant_effects",
    "variant_window_codes",
]
