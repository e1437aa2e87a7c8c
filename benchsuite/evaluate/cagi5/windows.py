"""CAGI5 model windows: element-centred standard windows, shifts, and their flanking context.

Coordinates are *element coordinates*: position 0 is the first base of the element's window in
``elements.fa`` (length ``W``); a model window of length ``L`` starting at ``a`` covers
``[a, a + L)``, which may run past ``[0, W)``. The bases there come from an
:class:`ElementContext`: the element window itself, then the genome around the element's
header coordinates when a genome holding the element is given, then N (all-zero one-hot),
which is what the padded fraction counts.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.evaluate.cagi5.variants import _N, Cagi5Element
from benchsuite.io.chroms import chrom_name_aliases

__all__ = [
    "ElementContext",
    "element_context",
    "genome_chrom",
    "open_context_genome",
    "scored_region",
    "standard_window_starts",
    "variant_window_codes",
]

logger = logging.getLogger(__name__)

#: fewest identical bases (of the A/C/G/T positions) for a genome to count as holding an element
GENOME_IDENTITY = 0.99


def scored_region(input_length: int) -> tuple[int, int]:
    """The scored region ``[L // 4, L // 4 + L // 2)`` of an unshifted window (window coordinates)."""
    length = int(input_length)
    return length // 4, length // 4 + length // 2


def standard_window_starts(
    element_length: np.ndarray | int, offsets: np.ndarray, input_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Start of the standard window of each variant, and whether it was moved off the centre.

    The standard window is the central ``L`` bases of the element window: it starts at
    ``W // 2 - L // 2`` (its base ``L // 2`` is the element window's base ``W // 2``). When the
    variant lies outside that window's scored region (:func:`scored_region`, possible only
    when ``L // 2`` is shorter than the element), the window is moved by the fewest bases that
    put the variant inside the scored region: it becomes the region's first (variant left of
    it) or last (right of it) base.

    Parameters
    ----------
    element_length:
        ``W`` of each variant's element (scalar or ``(n,)``).
    offsets:
        ``(n,)`` variant positions in element coordinates.
    input_length:
        Model input length ``L``.

    Returns
    -------
    (starts, moved)
        ``(n,)`` int64 window starts (element coordinates) and ``(n,)`` bool.
    """
    off = np.asarray(offsets, dtype=np.int64)
    width = np.broadcast_to(np.asarray(element_length, dtype=np.int64), off.shape)
    length = int(input_length)
    centred = width // 2 - length // 2
    lo, hi = scored_region(length)
    starts = centred + np.minimum(0, off - (centred + lo)) + np.maximum(0, off - (centred + hi) + 1)
    return starts, starts != centred


def variant_window_codes(
    element_codes: np.ndarray,
    window_starts: np.ndarray,
    variant_offsets: np.ndarray,
    bases: np.ndarray,
    input_length: int,
) -> np.ndarray:
    """Cut model windows out of one code array, with a base substituted in each.

    Parameters
    ----------
    element_codes:
        ``(W,)`` uint8 codes (an element window, or an :class:`ElementContext`'s codes).
    window_starts:
        ``(n,)`` start of each model window in the array's coordinates (may be negative or run
        past ``W``: those positions become N, code 4, an all-zero one-hot column).
    variant_offsets:
        ``(n,)`` variant position in the array's coordinates.
    bases:
        ``(n,)`` code written at the variant position (the reference base for reference windows).
    input_length:
        Model input length ``L``.

    Returns
    -------
    numpy.ndarray
        ``(n, L)`` uint8 codes.
    """
    element_codes = np.asarray(element_codes, dtype=np.uint8)
    starts = np.asarray(window_starts, dtype=np.int64)
    length = int(input_length)
    padded = np.full(len(element_codes) + 2 * length, _N, dtype=np.uint8)
    padded[length : length + len(element_codes)] = element_codes
    index = (starts[:, None] + length) + np.arange(length)[None, :]
    # positions further out than the padding are N as well
    index = np.clip(index, 0, len(padded) - 1)
    codes = padded[index]
    rel = np.asarray(variant_offsets, dtype=np.int64) - starts
    inside = (rel >= 0) & (rel < length)
    rows = np.flatnonzero(inside)
    codes[rows, rel[inside]] = np.asarray(bases, dtype=np.uint8)[inside]
    return codes


@dataclass(frozen=True)
class ElementContext:
    """The bases around one element window that model windows are cut from.

    Attributes
    ----------
    codes:
        ``(left + W + right,)`` uint8 codes: ``left`` flanking bases, the element window, ``right``
        flanking bases; N where nothing covers a position.
    covered:
        Same shape, bool: the element window or the genome provides the base.
    left:
        Context index of element position 0.
    genome_flanks:
        Whether the flanks were read from a genome.
    """

    codes: np.ndarray
    covered: np.ndarray
    left: int
    genome_flanks: bool

    def window_codes(
        self, starts: np.ndarray, offsets: np.ndarray, bases: np.ndarray, input_length: int
    ) -> np.ndarray:
        """``(n, L)`` codes of the windows starting at ``starts`` (element coordinates)."""
        starts = np.asarray(starts, dtype=np.int64) + self.left
        offsets = np.asarray(offsets, dtype=np.int64) + self.left
        return variant_window_codes(self.codes, starts, offsets, bases, input_length)

    def padded_fraction(self, starts: np.ndarray, input_length: int) -> np.ndarray:
        """``(n,)`` fraction of each window's bases that nothing covers (N padding)."""
        length = int(input_length)
        gaps = np.concatenate([[0], np.cumsum(~self.covered, dtype=np.int64)])
        a = np.asarray(starts, dtype=np.int64) + self.left
        b = a + length
        a0, b0 = np.clip(a, 0, len(self.covered)), np.clip(b, 0, len(self.covered))
        # uncovered context bases in the window, plus the window's bases beyond the context
        return (gaps[b0] - gaps[a0] + length - (b0 - a0)) / length


def open_context_genome(genome: Any) -> Any:
    """A :class:`benchsuite.io.fasta.Genome` for a path; ``None`` and genome objects pass through."""
    if genome is None or not isinstance(genome, (str, os.PathLike)):
        return genome
    from benchsuite.io.fasta import open_genome

    return open_genome(Path(genome))


def genome_chrom(genome: Any, element: Cagi5Element) -> str | None:
    """The genome's name of the element's chromosome when the genome holds the element window.

    The element's header coordinates (``chrN:start-end``) must lie in a chromosome of the
    genome (its name or an alias, ``chr1`` <-> ``1``) and the genome's bases there must equal
    the element window's at no fewer than :data:`GENOME_IDENTITY` of the A/C/G/T positions;
    otherwise (another assembly, no coordinates) ``None``.
    """
    if genome is None or element.chrom is None or element.start is None or element.end is None:
        return None
    for name in (element.chrom, *chrom_name_aliases(element.chrom)):
        size = genome.chrom_sizes.get(name)
        if size is None or element.start < 0 or element.end > size:
            continue
        ref = genome.fetch_codes(name, element.start, element.end)
        both = (ref < _N) & (element.codes < _N)
        if both.any() and float((ref[both] == element.codes[both]).mean()) >= GENOME_IDENTITY:
            return str(name)
    return None


def element_context(element: Cagi5Element, left: int, right: int, genome: Any = None) -> ElementContext:
    """The element window with ``left`` and ``right`` flanking bases (genome or N).

    Parameters
    ----------
    element:
        The element (codes and header coordinates).
    left, right:
        Flanking bases wanted on each side (>= 0).
    genome:
        Optional genome (``chrom_sizes``, ``fetch_codes``); used only when it holds the element
        (:func:`genome_chrom`). Flanks beyond the chromosome ends stay N.

    Returns
    -------
    ElementContext
    """
    left, right = max(0, int(left)), max(0, int(right))
    width = len(element.codes)
    codes = np.full(left + width + right, _N, dtype=np.uint8)
    covered = np.zeros(codes.shape[0], dtype=bool)
    codes[left : left + width] = element.codes
    covered[left : left + width] = True
    chrom = genome_chrom(genome, element) if (left or right) else None
    if chrom is not None:
        assert element.start is not None and element.end is not None
        size = int(genome.chrom_sizes[chrom])
        g0, g1 = max(0, element.start - left), min(size, element.end + right)
        i0 = left - (element.start - g0)
        codes[i0:left] = genome.fetch_codes(chrom, g0, element.start)
        codes[left + width : left + width + g1 - element.end] = genome.fetch_codes(chrom, element.end, g1)
        covered[i0 : left + width + g1 - element.end] = True
    return ElementContext(codes=codes, covered=covered, left=left, genome_flanks=chrom is not None)
