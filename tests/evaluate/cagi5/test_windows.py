"""CAGI5 window arithmetic: element-centred standard windows, moved windows, shifts, genome flanks.

The hand-made cases spell out the expected codes literally. The element window is
``GATTACACGT`` (W = 10; bases 0-9), at ``chrT:2-12`` of a genome ``CA GATTACACGT CCGGAT``.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.evaluate.cagi5 import (
    Cagi5Element,
    draw_shifts,
    element_context,
    load_cagi5,
    predict_variant_effects,
    scored_region,
    standard_window_starts,
    variant_window_codes,
)
from benchsuite.io.fasta import open_genome
from benchsuite.io.onehot import encode_sequence
from tests.evaluate.cagi5.synthetic import (
    BASES,
    ELEMENT_LENGTH,
    OracleLike,
    expected_window,
    seen_windows,
    write_genome,
    write_set,
)

ELEMENT = "GATTACACGT"


def _element(chrom: str | None = "chrT") -> Cagi5Element:
    start, end = (2, 12) if chrom else (None, None)
    return Cagi5Element("E1", encode_sequence(ELEMENT), chrom=chrom, start=start, end=end)


def _text(codes: np.ndarray) -> list[str]:
    return ["".join("ACGTN"[c] for c in row) for row in np.atleast_2d(codes)]


def _genome(tmp_path, sequence: str = "CA" + ELEMENT + "CCGGAT", name: str = "chrT"):
    path = tmp_path / "genome.fa"
    path.write_text(f">{name}\n{sequence}\n")
    return open_genome(path)


def _windows(context, starts, offsets, alts, length):
    bases = np.array([BASES.index(b) for b in alts], dtype=np.uint8)
    return _text(context.window_codes(np.array(starts), np.array(offsets), bases, length))


@pytest.mark.parametrize(
    ("length", "offset", "alt", "start", "window", "region"),
    [
        # even L: window [2, 8) = TTACAC, its base 3 is the element's base 5; variant 4 A>G
        (6, 4, "G", 2, "TTGCAC", "TAC"),
        # odd L: window [3, 8) = TACAC, its base 2 is the element's base 5; variant 5 C>T
        (5, 5, "T", 3, "TATAC", "AC"),
        # odd L: window [2, 9) = TTACACG, its base 3 is the element's base 5; variant 4 A>C
        (7, 4, "C", 2, "TTCCACG", "TAC"),
    ],
)
def test_standard_window_is_the_element_centre(length, offset, alt, start, window, region):
    starts, moved = standard_window_starts(10, np.array([offset]), length)
    assert starts.tolist() == [start] and not moved.any()
    context = element_context(_element(), 0, 0)
    assert _windows(context, starts, [offset], [alt], length) == [window]
    ref = _windows(context, starts, [offset], [ELEMENT[offset]], length)[0]
    assert ref[length // 2] == ELEMENT[10 // 2] and ref == ELEMENT[start : start + length]
    lo, hi = scored_region(length)
    assert ref[lo:hi] == region
    assert context.padded_fraction(starts, length).tolist() == [0.0]


def test_variant_outside_the_scored_region_moves_the_window():
    """L = 6: centred window [2, 8), scored region [3, 6); offsets 0 and 8 move it by 3."""
    offsets = np.array([0, 3, 5, 8])
    starts, moved = standard_window_starts(10, offsets, 6)
    assert starts.tolist() == [-1, 2, 2, 5] and moved.tolist() == [True, False, False, True]
    context = element_context(_element(chrom=None), 1, 1)  # no genome: one N on each side
    got = _windows(context, starts, offsets, ["C", "A", "A", "A"], 6)
    assert got == ["NCATTA", "TAACAC", "TTAAAC", "CACATN"]
    np.testing.assert_allclose(context.padded_fraction(starts, 6), [1 / 6, 0, 0, 1 / 6])
    # bases beyond the context itself count as padded too
    tight = element_context(_element(chrom=None), 0, 0)
    assert _windows(tight, starts, offsets, ["C", "A", "A", "A"], 6) == got
    np.testing.assert_allclose(tight.padded_fraction(np.array([-1, 2, 5, -7]), 6), [1 / 6, 0, 1 / 6, 1])
    # the variant is inside the scored region of every window
    lo, hi = scored_region(6)
    assert np.all((offsets - starts >= lo) & (offsets - starts < hi))


def test_robust_windows_take_genome_flanks(tmp_path):
    """L = 12 > W: the standard window [-1, 11) and its shifts +3 / -3 read the genome around the element."""
    genome = _genome(tmp_path)
    starts, moved = standard_window_starts(10, np.array([4]), 12)
    assert starts.tolist() == [-1] and not moved.any()
    shifted = [-1, 2, -4]  # shifts 0, +3, -3 (|s| <= L // 4 = 3)
    context = element_context(_element(), 4, 4, genome)
    assert context.genome_flanks
    got = _windows(context, shifted, [4, 4, 4], ["C", "C", "C"], 12)
    # chrT ends two bases left of the element: the -3 shift has 2 N no context covers
    assert got == ["AGATTCCACGTC", "TTCCACGTCCGG", "NNCAGATTCCAC"]
    np.testing.assert_allclose(context.padded_fraction(np.array(shifted), 12), [0, 0, 2 / 12])
    # without a genome the same windows are N beyond the element window
    bare = element_context(_element(), 4, 4)
    assert not bare.genome_flanks
    got = _windows(bare, shifted, [4, 4, 4], ["C"] * 3, 12)
    assert got == ["NGATTCCACGTN", "TTCCACGTNNNN", "NNNNGATTCCAC"]
    np.testing.assert_allclose(bare.padded_fraction(np.array(shifted), 12), [2 / 12, 4 / 12, 4 / 12])


def test_genome_is_used_only_where_it_holds_the_element(tmp_path):
    # another assembly: different bases at the header coordinates -> N flanks
    other = _genome(tmp_path, "CA" + "TTTTTTTTTT" + "CCGGAT")
    assert not element_context(_element(), 2, 2, other).genome_flanks
    # the chromosome under another spelling (chrT <-> T) is found
    alias = _genome(tmp_path, name="T")
    context = element_context(_element(), 2, 2, alias)
    assert context.genome_flanks and _text(context.codes) == ["CA" + ELEMENT + "CC"]
    # no coordinates in the header -> N flanks
    assert not element_context(_element(chrom=None), 2, 2, alias).genome_flanks


@pytest.mark.parametrize("length", [128, 512, 300, 301])
def test_cut_keeps_the_given_start_and_pads_with_n(length):
    """The low-level cut: windows at any start, the base written at the variant, N outside."""
    rng = np.random.default_rng(2)
    element = "".join(rng.choice(list(BASES), size=ELEMENT_LENGTH))
    codes = encode_sequence(element)
    offsets = np.array([0, 5, 150, 299])
    starts = offsets - length // 2 + np.array([0, 3, -7, 0])
    bases = np.array([1, 2, 3, 0], dtype=np.uint8)
    got = variant_window_codes(codes, starts, offsets, bases, length)
    assert got.shape == (4, length) and got.dtype == np.uint8
    for row, (a, o, b) in enumerate(zip(starts, offsets, bases, strict=True)):
        chars = [element[i] if 0 <= i < len(element) else "N" for i in range(a, a + length)]
        chars[o - a] = BASES[b]
        assert _text(got[row]) == ["".join(chars)]


@pytest.mark.parametrize("length", [512, 64])
def test_predictor_sees_genome_flanked_windows(tmp_path, length):
    """With a genome holding the elements, every standard and shifted window is real sequence, no N."""
    fa, tsv, elements, rows = write_set(tmp_path, positions=[2, 150, 297])
    flanks = write_genome(tmp_path / "genome.fa", elements)
    predictor = OracleLike(input_length=length)
    data = load_cagi5(fa, tsv)
    effects = predict_variant_effects(predictor, data, n_shifts=3, seed=7, genome=tmp_path / "genome.fa")
    assert effects["genome_flanks"].all()
    assert (effects["padded_standard"] == 0).all() and (effects["padded_robust"] == 0).all()
    expected: list[str] = []
    for name, seq in elements.items():
        for o in (2, 150, 297):
            alleles = [seq[o]] + [a for a in BASES if a != seq[o]]
            for s in [0, *draw_shifts(7, name, o, 3, length).tolist()]:
                expected.extend(expected_window(seq, o, a, length, s, flanks[name]) for a in alleles)
    seen = seen_windows(predictor)
    assert sorted(seen) == sorted(expected) and not any("N" in w for w in seen)


def test_genome_of_another_assembly_is_not_used(tmp_path):
    fa, tsv, elements, _ = write_set(tmp_path, positions=[150])
    write_genome(tmp_path / "genome.fa", elements, scramble=True)
    effects = predict_variant_effects(
        OracleLike(input_length=512), load_cagi5(fa, tsv), n_shifts=2, genome=tmp_path / "genome.fa"
    )
    assert not effects["genome_flanks"].any()
    np.testing.assert_allclose(effects["padded_standard"], 212 / 512)
