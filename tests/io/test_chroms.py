from __future__ import annotations

import pytest

from benchsuite.errors import ChromosomeNameError, InputFileError
from benchsuite.io.chroms import chrom_name_aliases, reconcile_chrom_names

UCSC = ["chr1", "chr2", "chrX", "chrM"]
ENSEMBL = ["1", "2", "X", "MT"]


def test_aliases():
    assert chrom_name_aliases("chr1") == ["1"]
    assert chrom_name_aliases("X") == ["chrX"]
    assert set(chrom_name_aliases("chrM")) == {"MT", "M", "chrMT"}
    assert chrom_name_aliases("chrM")[0] == "MT"
    assert "chrM" in chrom_name_aliases("MT")


def test_identical_names():
    assert reconcile_chrom_names(UCSC, list(reversed(UCSC)), reference_source="a", other_source="b") == {
        c: c for c in UCSC
    }


def test_mismatch_reported_with_both_sources():
    with pytest.raises(ChromosomeNameError) as err:
        reconcile_chrom_names(UCSC, ENSEMBL, reference_source="genome.fa", other_source="track.bw")
    msg = str(err.value)
    assert isinstance(err.value, InputFileError)
    assert "genome.fa" in msg and "track.bw" in msg
    assert "'chr1' vs '1'" in msg and "'chrM' vs 'MT'" in msg
    assert "set map_chrom_names: true in the manifest (or --map-chrom-names)" in msg


def test_mapping_when_allowed():
    mapping = reconcile_chrom_names(
        UCSC, ENSEMBL, reference_source="genome.fa", other_source="track.bw", map_names=True
    )
    assert mapping == {"chr1": "1", "chr2": "2", "chrX": "X", "chrM": "MT"}
    assert list(mapping) == UCSC  # reference order
    back = reconcile_chrom_names(ENSEMBL, UCSC, reference_source="a", other_source="b", map_names=True)
    assert back == {"1": "chr1", "2": "chr2", "X": "chrX", "MT": "chrM"}
    # M as the Ensembl-side mitochondrion name too
    assert reconcile_chrom_names(["chrM"], ["M"], reference_source="a", other_source="b", map_names=True) == {
        "chrM": "M"
    }


def test_partial_mismatch_is_still_reported():
    with pytest.raises(ChromosomeNameError, match="'chrX' vs 'X'"):
        reconcile_chrom_names(["chr1", "chrX"], ["chr1", "X"], reference_source="a", other_source="b")


def test_missing_names_reported_even_when_mapping():
    for map_names in (False, True):
        with pytest.raises(ChromosomeNameError) as err:
            reconcile_chrom_names(
                ["chr1", "chr22"], ["1"], reference_source="g.fa", other_source="t.bw", map_names=map_names
            )
        msg = str(err.value)
        assert "chr22" in msg and "g.fa" in msg and "t.bw" in msg
    mapping = reconcile_chrom_names(
        ["chr1", "chr22"], ["1"], reference_source="g", other_source="t", map_names=True, allow_missing=True
    )
    assert mapping == {"chr1": "1"}


def test_exact_match_wins_over_alias():
    # both spellings present in the reference: each maps to itself, no alias is stolen
    mapping = reconcile_chrom_names(["chr1", "1"], ["1", "chr1"], reference_source="a", other_source="b")
    assert mapping == {"chr1": "chr1", "1": "1"}
    with pytest.raises(ChromosomeNameError, match="chr1"):
        reconcile_chrom_names(["chr1", "1"], ["1"], reference_source="a", other_source="b", map_names=True)
