"""Motif recovery of first-layer convolutional filters (paper Methods "Tomtom"; docs/protocol.md).

1. **First layer.** ``first_layer`` is the dotted path of the module whose output is the
   first-layer activation (a plugin's ``ModelSpec.first_layer_activation``, e.g.
   ``"conv1.act"``). With ``None`` the first ``torch.nn.Conv1d`` with ``in_channels == 4`` (in
   module registration order) is used and the activation is ``ReLU`` of its output. The
   filter geometry (width, stride, dilation, padding) always comes from that first
   ``Conv1d(4, ...)``; a model without one raises :class:`NotApplicable`, and so does an
   activation whose channels or length do not match that convolution (e.g. a pooled output),
   because its positions could not be aligned to input windows. The forward pass is stopped
   as soon as the activation has been computed, so the rest of the model never runs.

2. **Position probability matrices** by activation-based alignment (Koo & Eddy 2019): a first
   pass finds each filter's maximum activation over all sequences; a second pass collects, for
   every position where the activation exceeds ``0.5 x`` that maximum, the one-hot input window
   the filter saw there (N bases and padding contribute nothing). The PPM is the column-normalised
   count matrix after adding :data:`PSEUDOCOUNT` to every cell. A filter with no such window
   (maximum activation <= 0) gets a uniform PPM, is not compared and counts as non-matching
   (best q = 1).

3. **Comparison** with memelite's Tomtom (complete score, both strands) of every filter PPM
   against every database motif; q-values are Benjamini-Hochberg adjusted p-values **per
   filter over the database motifs**, as MEME's Tomtom computes them per query. A filter
   *matches* a motif when q < ``q_threshold``.

4. **Metrics.** ``hit_ratio``: fraction of filters with at least one match; ``mean_best_q``:
   mean over all filters of their smallest q-value; ``recovery_rate`` (beyond the paper, with a
   ground truth): fraction of the ground-truth motifs matched by at least one filter;
   ``decoy_match_rate`` (beyond the paper, with named decoys such as a simulated bundle's
   ``DECOY_*`` motifs): fraction of filters whose best match at q < ``q_threshold`` is a decoy.

Motifs can be excluded from the database (the paper excluded JASPAR MA1929.1 and MA0615.1,
which attract low-information filters): an entry of ``exclude_motifs`` removes motifs whose
name or alternative name equals it; a JASPAR matrix ID with a version (``MA1929.1``) also removes
the other versions of that matrix (``MA1929.2`` in JASPAR 2024).
"""

from benchsuite.evaluate.motifs.filters import (
    ACTIVATION_THRESHOLD,
    PSEUDOCOUNT,
    FilterPPMs,
    FirstLayer,
    activation_ppms,
    locate_first_layer,
)
from benchsuite.evaluate.motifs.recovery import MotifResult, motif_recovery
from benchsuite.evaluate.motifs.tomtom import bh_qvalues, select_motifs, tomtom_pvalues
from benchsuite.evaluate.result import NotApplicable

__all__ = [
    "ACTIVATION_THRESHOLD",
    "PSEUDOCOUNT",
    "FilterPPMs",
    "FirstLayer",
    "MotifResult",
    "NotApplicable",
    "activation_ppms",
    "bh_qvalues",
    "locate_first_layer",
    "motif_recovery",
    "select_motifs",
    "tomtom_pvalues",
]
