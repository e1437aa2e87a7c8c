"""The metric families of the harness, one module each (see :mod:`.base` for the interface).

=====================  ======================================  ==========================
module                 metrics                                 input
=====================  ======================================  ==========================
:mod:`.wholechrom`     ``wholechrom.*``, ``wholechrom_common.*``  whole-chromosome tiles
:mod:`.perseq`         ``perseq.pearson``,                     coverage-threshold chunks,
                       ``thresholded.pearson@{t}``             whole-chromosome tiles
:mod:`.peaks`          ``peak.*`` (task conversion),           peak-centred chunks,
                       ``peak_genome.*``                       whole-chromosome tiles
:mod:`.robustness`     ``robustness.variation``                shifted peak chunks
:mod:`.cagi5`          ``cagi5.*``                             the variant set
:mod:`.motifs`         ``motifs.*``                            first-layer filters
:mod:`.interpret`      ``interpret.*``                         attributions, ISM and GIA
                                                               vs the simulator's truth
=====================  ======================================  ==========================

:func:`default_families` gives them in the order the harness runs them (streaming passes
first, whole-chromosome, then coverage-threshold, then peak-centred; then the rest).
"""

from __future__ import annotations

from benchsuite.evaluate.families.base import Batch, Context, Family, StreamingFamily
from benchsuite.evaluate.families.cagi5 import Cagi5
from benchsuite.evaluate.families.interpret import Interpret
from benchsuite.evaluate.families.motifs import Motifs, mean_information_content, motif_exclusions
from benchsuite.evaluate.families.peaks import GenomePeaks, Peaks
from benchsuite.evaluate.families.perseq import PerSequence, Thresholded
from benchsuite.evaluate.families.robustness import Robustness
from benchsuite.evaluate.families.wholechrom import WholeChromosome

__all__ = [
    "Batch",
    "Cagi5",
    "Context",
    "Family",
    "GenomePeaks",
    "Interpret",
    "Motifs",
    "PerSequence",
    "Peaks",
    "Robustness",
    "StreamingFamily",
    "Thresholded",
    "WholeChromosome",
    "default_families",
    "mean_information_content",
    "motif_exclusions",
]


def default_families() -> list[Family | StreamingFamily]:
    """Fresh instances of every family, in run order."""
    return [
        WholeChromosome(),
        Thresholded(),
        GenomePeaks(),
        PerSequence(),
        Peaks(),
        Robustness(),
        Cagi5(),
        Motifs(),
        Interpret(),
    ]
