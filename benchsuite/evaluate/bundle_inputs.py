"""Check a bundle's evaluation inputs before anything is trained: :func:`check_evaluation_inputs`.

The variant set (CAGI5-style element FASTA and variants table) and the motif database are only
read by their metric families, after a model has trained. A malformed file would then fail
every cell, one after the other. ``benchsuite run`` and ``benchsuite data prepare`` call this
first, so such a file is one :class:`~benchsuite.errors.InputFileError` naming the file (and
line) before anything runs. Both reads take well under a second.
"""

from __future__ import annotations

from benchsuite.evaluate.types import ManifestLike

__all__ = ["check_evaluation_inputs"]


def check_evaluation_inputs(manifest: ManifestLike) -> None:
    """Parse the manifest's variant set and motif database; raise on the first problem.

    Raises
    ------
    InputFileError
        A variants file is malformed (see :func:`benchsuite.evaluate.cagi5.variants.load_cagi5`),
        or the motif file is not MEME minimal format or holds no motif
        (:func:`benchsuite.io.meme.read_meme`).
    """
    variants = manifest.variants
    if variants is not None:
        from benchsuite.evaluate.cagi5.variants import load_cagi5

        load_cagi5(variants.sequences, variants.table)
    motifs = manifest.motifs
    if motifs is not None:
        from benchsuite.io.meme import read_meme

        read_meme(motifs)  # raises on a file that is not MEME or holds no motif
