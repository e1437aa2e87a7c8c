from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from benchsuite.errors import InputFileError
from benchsuite.io.trackcheck import check_coverage_values, refuse_binary_tracks, sniff_format


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ((0x888FFC26).to_bytes(4, "little") + b"\0" * 8, "bigWig"),
        ((0x8789F2EB).to_bytes(4, "little") + b"\0" * 8, "bigBed"),
        (b"", "empty"),
        (gzip.compress(b"chr1\t0\t10\n"), "gzip"),
        (b">chr1\nACGT\n", "FASTA text"),
        (b"track type=wiggle_0\nfixedStep chrom=chr1 start=1 step=1\n1\n", "wig text"),
        (b"# comment\nchr1\t0\t10\t2.5\n", "bedGraph/BED text"),
        (b"hello world\n", "text"),
        (b"\x00\x01\x02\xff\xfe", "unknown binary"),
    ],
)
def test_sniff_format(tmp_path: Path, content: bytes, kind: str):
    path = tmp_path / "f"
    path.write_bytes(content)
    assert sniff_format(path) == kind


def test_refuse_binary_tracks_as_bed(tmp_path: Path):
    path = tmp_path / "peaks.bed"
    path.write_bytes((0x8789F2EB).to_bytes(4, "little") + b"\0" * 8)
    with pytest.raises(InputFileError, match="peaks.bed is a bigBed file, not a BED/narrowPeak text file"):
        refuse_binary_tracks(path)
    path.write_bytes((0x888FFC26).to_bytes(4, "little") + b"\0" * 8)
    with pytest.raises(InputFileError, match="is a bigWig coverage track, not a BED"):
        refuse_binary_tracks(path)
    path.write_text("chr1\t0\t10\n")
    refuse_binary_tracks(path)


def test_check_coverage_values_passes_nan_and_names_first_bad_position():
    ok = np.array([0.0, np.nan, 3.5], dtype=np.float32)
    assert check_coverage_values(ok, path="a.bw", chrom="chr1", start=10) is ok
    bad = np.array([1.0, -0.5, -2.0, np.inf], dtype=np.float32)
    with pytest.raises(InputFileError) as info:
        check_coverage_values(bad.copy(), path="a.bw", chrom="chr1", start=999)
    assert str(info.value).startswith(
        "a.bw: coverage is negative (-0.5) at chr1:1,001 (1-based; 3 bad value(s) in chr1:1,000-1,003)"
    )
    with pytest.raises(InputFileError, match=r"coverage is inf at chr1:1,003 \(1-based; 1 bad value"):
        check_coverage_values(bad.copy(), path="a.bw", chrom="chr1", start=999, clip_negative=True)


def test_check_coverage_values_clips_negatives_keeps_nan():
    values = np.array([-1.0, np.nan, 2.0, -0.0], dtype=np.float32)
    out = check_coverage_values(values, path="a.bw", chrom="c", start=0, clip_negative=True)
    assert out is values
    assert out[0] == 0.0 and np.isnan(out[1]) and out[2] == 2.0 and out[3] == 0.0
