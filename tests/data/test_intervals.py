"""BED/narrowPeak intervals: name mismatches, intervals past the chromosome end, merging, overlaps."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.intervals import Intervals, merge_intervals, overlaps, read_intervals
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import ChromosomeNameError, InputFileError

from .conftest import CHROM_SIZES, TinyBundle


def test_peaks_name_mismatch_and_past_end(tiny_bundle: TinyBundle, tmp_path) -> None:
    peaks = tiny_bundle.peaks["A"]
    original = peaks.read_text()
    peaks.write_text(original.replace("chr", ""))
    with pytest.raises(ChromosomeNameError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "A.narrowPeak" in str(info.value)
    peaks.write_text(
        original + f"chr9\t{CHROM_SIZES['chr9'] - 10}\t{CHROM_SIZES['chr9'] + 50}\tbad\t1\t.\t1\t1\t1\t5\n"
    )
    with pytest.raises(InputFileError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "A.narrowPeak" in str(info.value) and "past" in str(info.value)


def test_merge_and_overlaps_by_hand() -> None:
    iv = Intervals(np.array([0, 5, 10, 30]), np.array([6, 8, 20, 40]), np.array([1, 6, 15, 35]))
    starts, ends = merge_intervals(iv)
    assert starts.tolist() == [0, 10, 30] and ends.tolist() == [8, 20, 40]
    assert merge_intervals(Intervals.empty())[0].size == 0
    # half-open: [8, 10) touches nothing; [7, 9) overlaps [0, 8); [39, 50) overlaps [30, 40)
    q0, q1 = np.array([8, 7, 39, 20]), np.array([10, 9, 50, 30])
    assert overlaps(starts, ends, q0, q1).tolist() == [False, True, True, False]
    assert not overlaps(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), q0, q1).any()


def test_read_intervals_summits_and_genome_names(tiny_bundle: TinyBundle) -> None:
    sizes = {c: CHROM_SIZES[c] for c in ("chr1", "chr9")}
    peaks = read_intervals(tiny_bundle.peaks["A"], sizes, map_names=False, genome_path=tiny_bundle.genome)
    expected = sorted((s, e, s + o) for c, s, e, o in tiny_bundle.peak_intervals["A"] if c == "chr1")
    assert set(peaks) <= set(sizes)
    iv = peaks["chr1"]
    assert list(zip(iv.start.tolist(), iv.end.tolist(), iv.summit.tolist(), strict=True)) == expected
