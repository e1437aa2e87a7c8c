from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchsuite.errors import ChromosomeNameError, InputFileError
from benchsuite.io.bed import (
    Intervals,
    intervals_to_mask,
    merge_intervals,
    read_bed,
    write_bed,
    write_narrowpeak,
)

SIZES = {"chr1": 1000, "chr2": 500}


def _bed(tmp_path: Path, text: str, name: str = "regions.bed") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_bed3_skips_headers_and_comments(tmp_path: Path):
    path = _bed(
        tmp_path,
        'track name="x"\nbrowser position chr1:1-100\n# comment\n\n'
        "chr1\t10\t20\nchr2\t0\t5\n\nchr1\t100\t200\n",
    )
    iv = read_bed(path, chrom_sizes=SIZES)
    assert iv.chrom.tolist() == ["chr1", "chr2", "chr1"]
    assert iv.start.tolist() == [10, 0, 100] and iv.end.tolist() == [20, 5, 200]
    assert iv.start.dtype == np.int64 and iv.end.dtype == np.int64
    assert iv.name is None and iv.score is None and iv.signal is None
    assert len(iv) == 3 and iv.lengths.tolist() == [10, 5, 100]


def test_read_bed6(tmp_path: Path):
    path = _bed(tmp_path, "chr1\t10\t20\tpeakA\t7.5\t+\nchr2\t3\t9\tpeakB\t.\t-\n")
    iv = read_bed(path)
    assert iv.name.tolist() == ["peakA", "peakB"]
    assert iv.score[0] == 7.5 and np.isnan(iv.score[1])
    assert iv.strand.tolist() == ["+", "-"]
    assert iv.signal is None


def test_read_bed4_and_bed5(tmp_path: Path):
    iv4 = read_bed(_bed(tmp_path, "chr1\t1\t2\tn1\n", "b4.bed"))
    assert iv4.name.tolist() == ["n1"] and iv4.score is None
    iv5 = read_bed(_bed(tmp_path, "chr1\t1\t2\tn1\t3\n", "b5.bed"))
    assert iv5.score.tolist() == [3.0] and iv5.strand is None


def test_read_narrowpeak(tmp_path: Path):
    path = _bed(
        tmp_path,
        "chr1\t100\t300\tp1\t53\t.\t2.91489\t5.39151\t2.11817\t63\n"
        "chr2\t10\t20\tp2\t1000\t.\t4.5\t-1\t-1\t-1\n",
        "peaks.narrowPeak",
    )
    iv = read_bed(path, chrom_sizes=SIZES)
    assert iv.is_narrowpeak
    assert iv.signal.tolist() == [2.91489, 4.5]
    assert iv.pvalue.tolist() == [5.39151, -1.0] and iv.qvalue.tolist() == [2.11817, -1.0]
    assert iv.peak.tolist() == [63, -1] and iv.peak.dtype == np.int64
    assert iv.score.tolist() == [53.0, 1000.0]


def test_space_separated_and_gzip(tmp_path: Path):
    import gzip

    path = tmp_path / "r.bed.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("chr1 5 9\nchr2  1  2\n")
    iv = read_bed(path)
    assert iv.chrom.tolist() == ["chr1", "chr2"] and iv.end.tolist() == [9, 2]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("chr1\t10\t20\nchr1\t20\t20\n", 2, "end 20 <= start 20"),
        ("chr1\t10\t20\n# c\nchr1\t30\t25\n", 3, "end 25 <= start 30"),
        ("chr1\t-5\t20\n", 1, "negative start"),
        ("chr1\t10\t20\nchr2\t400\t501\n", 2, "past the end of chr2"),
        ("track x\nchr1\t1.5\t20\n", 2, "start '1.5' is not an integer"),
        ("chr1\t1\tabc\n", 1, "end 'abc' is not an integer"),
        ("chr1\t1\t5\nchr1\t10\n", 2, "at least 3"),
        ("chr1\t1\t5\nchrUn_x\t10\t20\n", 2, "unknown chromosome 'chrUn_x'"),
        ("chr1\t1\t5\tn\t1\t+\nchr1\t1\t5\tn\n", 2, "earlier lines have 6"),
        ("chr1\t1\t5\tn\t1\t*\n", 1, "strand"),
        ("chr1\t1\t5\tn\tx\t+\n", 1, "score"),
        ("chr1\t0\t10\tp\t1\t.\t1\t1\t1\t10\n", 1, "peak offset 10"),
        ("chr1\t0\t10\tp\t1\t.\tz\t1\t1\t3\n", 1, "signalValue"),
    ],
    ids=[
        "empty",
        "end<start",
        "negative",
        "past-end",
        "float-start",
        "text-end",
        "few-columns",
        "unknown-chrom",
        "column-count",
        "strand",
        "score",
        "peak",
        "signal",
    ],
)
def test_bad_lines(tmp_path: Path, text: str, line: int, needle: str):
    path = _bed(tmp_path, text, "bad.bed")
    with pytest.raises(InputFileError) as err:
        read_bed(path, chrom_sizes=SIZES)
    msg = str(err.value)
    assert "bad.bed" in msg
    assert f"line {line}:" in msg
    assert needle in msg
    assert err.value.hint


def test_chrom_checks_only_with_sizes(tmp_path: Path):
    path = _bed(tmp_path, "chrZ\t0\t5000\n")
    assert read_bed(path).chrom.tolist() == ["chrZ"]  # no genome: nothing to check against


def test_chrom_name_mismatch_and_mapping(tmp_path: Path):
    path = _bed(tmp_path, "1\t0\t10\n2\t5\t8\n1\t20\t30\n", "ensembl.bed")
    with pytest.raises(ChromosomeNameError) as err:
        read_bed(path, chrom_sizes=SIZES, genome_source="genome.fa")
    msg = str(err.value)
    assert "ensembl.bed" in msg and "line 1" in msg and "genome.fa" in msg and "map_chrom_names: true" in msg
    iv = read_bed(path, chrom_sizes=SIZES, map_names=True)
    assert iv.chrom.tolist() == ["chr1", "chr2", "chr1"]
    # after mapping, the chromosome-end check uses the genome's sizes
    too_long = _bed(tmp_path, "2\t0\t501\n", "long.bed")
    with pytest.raises(InputFileError, match=r"line 1: end 501 is past the end of chr2"):
        read_bed(too_long, chrom_sizes=SIZES, map_names=True)


def test_missing_and_empty_file(tmp_path: Path):
    with pytest.raises(InputFileError, match="not found"):
        read_bed(tmp_path / "none.bed")
    iv = read_bed(_bed(tmp_path, "# nothing\n"))
    assert len(iv) == 0 and iv.chrom.shape == (0,)


def test_write_bed_round_trip(tmp_path: Path):
    iv = Intervals(
        chrom=np.array(["chr1", "chr2"]),
        start=np.array([5, 0]),
        end=np.array([10, 7]),
        name=np.array(["a", "b"]),
        score=np.array([1.5, np.nan]),
        strand=np.array(["+", "."]),
    )
    path = write_bed(tmp_path / "out.bed", iv)
    assert path.read_text() == "chr1\t5\t10\ta\t1.5\t+\nchr2\t0\t7\tb\t0\t.\n"
    back = read_bed(path)
    assert back.chrom.tolist() == ["chr1", "chr2"] and back.start.tolist() == [5, 0]
    assert back.score.tolist() == [1.5, 0.0] and back.strand.tolist() == ["+", "."]
    bed3 = write_bed(tmp_path / "out3.bed", Intervals(np.array(["chr1"]), np.array([1]), np.array([2])))
    assert bed3.read_text() == "chr1\t1\t2\n"


def test_write_narrowpeak_round_trip(tmp_path: Path):
    iv = Intervals(
        chrom=np.array(["chr1", "chr1"]),
        start=np.array([100, 400]),
        end=np.array([300, 450]),
        name=np.array(["p1", "p2"]),
        score=np.array([53.0, 2000.0]),
        strand=np.array([".", "."]),
        signal=np.array([2.91489, 4.0]),
        pvalue=np.array([5.39151, -1.0]),
        qvalue=np.array([2.11817, -1.0]),
        peak=np.array([63, -1]),
    )
    path = write_narrowpeak(tmp_path / "out.narrowPeak", iv)
    lines = path.read_text().splitlines()
    assert lines[0] == "chr1\t100\t300\tp1\t53\t.\t2.91489\t5.39151\t2.11817\t63"
    assert lines[1].split("\t")[4] == "1000"  # scores clipped to 0..1000
    back = read_bed(path, chrom_sizes=SIZES)
    for field in ("start", "end", "signal", "pvalue", "qvalue", "peak"):
        np.testing.assert_array_equal(getattr(back, field), getattr(iv, field))
    # BED3 intervals get the format's defaults
    plain = write_narrowpeak(
        tmp_path / "p.narrowPeak", Intervals(np.array(["chr2"]), np.array([1]), np.array([9]))
    )
    assert plain.read_text() == "chr2\t1\t9\t.\t0\t.\t-1\t-1\t-1\t-1\n"


def test_intervals_validation_and_indexing():
    iv = Intervals(
        np.array(["a", "b", "c"]), np.array([0, 5, 9]), np.array([1, 6, 10]), name=np.array(["x", "y", "z"])
    )
    sub = iv[iv.start > 1]
    assert sub.chrom.tolist() == ["b", "c"] and sub.name.tolist() == ["y", "z"]
    assert iv[0].start.tolist() == [0]
    with pytest.raises(ValueError, match="rows"):
        Intervals(np.array(["a"]), np.array([0, 1]), np.array([1, 2]))


def _naive_mask(iv: Intervals, chrom: str, length: int) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    for c, s, e in zip(iv.chrom, iv.start, iv.end, strict=True):
        if c == chrom:
            mask[max(s, 0) : min(e, length)] = True
    return mask


def test_merge_intervals_and_mask_against_loop():
    rng = np.random.default_rng(0)
    n = 200
    starts = rng.integers(0, 950, n)
    iv = Intervals(
        chrom=rng.choice(np.array(["chr1", "chr2"]), n),
        start=starts,
        end=starts + rng.integers(1, 40, n),
    )
    merged = merge_intervals(iv)
    assert merged.chrom.tolist()[0] == iv.chrom[0]  # first-appearance order
    for chrom in ("chr1", "chr2"):
        expected = _naive_mask(iv, chrom, 1000)
        np.testing.assert_array_equal(intervals_to_mask(iv, chrom, 1000), expected)
        np.testing.assert_array_equal(intervals_to_mask(merged, chrom, 1000), expected)
        sel = merged.chrom == chrom
        s, e = merged.start[sel], merged.end[sel]
        assert (np.diff(s) > 0).all() and (s[1:] > e[:-1]).all()  # sorted, disjoint, not touching
        # runs of True in the naive mask are exactly the merged intervals
        edges = np.diff(np.concatenate(([0], expected.astype(np.int8), [0])))
        np.testing.assert_array_equal(s, np.flatnonzero(edges == 1))
        np.testing.assert_array_equal(e, np.flatnonzero(edges == -1))


def test_merge_hand_checked():
    iv = Intervals(np.array(["a", "a", "a", "b"]), np.array([5, 0, 10, 3]), np.array([8, 5, 12, 4]))
    merged = merge_intervals(iv)
    assert merged.chrom.tolist() == ["a", "a", "b"]
    assert merged.start.tolist() == [0, 10, 3] and merged.end.tolist() == [8, 12, 4]
    assert len(merge_intervals(Intervals.empty())) == 0
    mask = intervals_to_mask(iv, "a", 11)
    assert mask.tolist() == [True] * 8 + [False, False, True]
    assert not intervals_to_mask(iv, "zzz", 5).any()


@pytest.mark.realdata
def test_real_narrowpeak(real_data: Path):
    folder = real_data / "realmini"
    sizes = {}
    for line in (folder / "genome.fa.fai").read_text().splitlines():
        name, length = line.split("\t")[:2]
        sizes[name] = int(length)
    iv = read_bed(folder / "peaks" / "keratinocyte_atac_ENCSR356KRQ.narrowPeak", chrom_sizes=sizes)
    assert len(iv) == 97 and iv.is_narrowpeak
    assert (iv.end > iv.start).all() and set(iv.chrom.tolist()) <= set(sizes)
    assert ((iv.peak >= 0) & (iv.peak < iv.end - iv.start)).all()


def test_bed12_read_as_bed6(tmp_path: Path):
    path = _bed(tmp_path, "chr1\t10\t50\tgene\t0\t-\t10\t50\t255,0,0\t2\t10,10\t0,30\n", "genes.bed")
    iv = read_bed(path, chrom_sizes=SIZES)
    assert not iv.is_narrowpeak and iv.strand.tolist() == ["-"] and iv.end.tolist() == [50]


def test_track_word_must_be_whole(tmp_path: Path):
    # a chromosome whose name merely starts with "track" is data, not a header
    iv = read_bed(_bed(tmp_path, "track\tname=x\ntrack_contig\t0\t5\n"))
    assert iv.chrom.tolist() == ["track_contig"]
