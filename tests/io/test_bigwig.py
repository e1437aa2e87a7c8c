from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

from benchsuite.errors import ChromosomeNameError, InputFileError
from benchsuite.io.bigwig import BigWig, check_track_chroms, open_bigwig, run_length_encode, write_bigwig

SIZES = {"chr1": 1000, "chr2": 300, "chrM": 50}


def _coverage(rng: np.random.Generator) -> dict[str, np.ndarray]:
    chr1 = np.repeat(rng.random(100).astype(np.float32), 10)  # runs of 10 equal values
    chr1[100:250] = np.nan  # a gap without data
    chr1[300:400] = 0.0  # real zeros
    chr1[995:] = np.nan  # no data up to the end
    chr2 = rng.random(300).astype(np.float32)  # every base different
    chr2[:5] = np.nan
    return {"chr1": chr1, "chr2": chr2}


@pytest.fixture()
def track(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    values = _coverage(np.random.default_rng(0))
    return write_bigwig(tmp_path / "cov.bw", SIZES, values), values


def test_round_trip_keeps_nan_and_zero(track):
    path, values = track
    direct = pyBigWig.open(str(path))
    with open_bigwig(path) as bw:
        for chrom, expected in values.items():
            got = bw.values(chrom, 0, SIZES[chrom])
            assert got.dtype == np.float32 and got.shape == (SIZES[chrom],)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
            np.testing.assert_array_equal(got, expected)  # NaN compares equal at equal positions
            ref = np.asarray(direct.values(chrom, 0, SIZES[chrom], numpy=True), dtype=np.float32)
            np.testing.assert_array_equal(got, ref)
        chr1 = bw.values("chr1", 0, 1000)
        assert np.isnan(chr1[100:250]).all() and np.isnan(chr1[995:]).all()
        assert (chr1[300:400] == 0).all()
        # a chromosome without values has no data at all
        assert np.isnan(bw.values("chrM", 0, 50)).all()
        np.testing.assert_array_equal(bw.values("chr1", 290, 310), values["chr1"][290:310])
        assert bw.values("chr1", 7, 7).shape == (0,)
    direct.close()


def test_header_order_and_compact_runs(track):
    path, values = track
    direct = pyBigWig.open(str(path))
    assert list(direct.chroms().items()) == list(SIZES.items())
    # one entry per run of equal non-NaN values, not one per base
    chr1_entries = direct.intervals("chr1")
    expected_runs = run_length_encode(values["chr1"])[0].shape[0]
    assert len(chr1_entries) == expected_runs < 100
    assert len(direct.intervals("chr2")) == 295
    assert direct.intervals("chrM") is None or len(direct.intervals("chrM")) == 0
    direct.close()
    assert open_bigwig(path).chrom_sizes == SIZES


def test_values_stored_as_float32(tmp_path: Path):
    vals = np.array([0.1, 0.1, 1 / 3, 1e-8], dtype=np.float64)
    path = write_bigwig(tmp_path / "f.bw", {"c": 4}, {"c": vals})
    np.testing.assert_array_equal(open_bigwig(path).values("c", 0, 4), vals.astype(np.float32))


def test_run_length_encode_matches_loop():
    rng = np.random.default_rng(3)
    arr = rng.choice(np.array([0.0, 1.5, np.nan, 2.0], dtype=np.float32), size=500)
    starts, ends, vals = run_length_encode(arr)
    runs = []
    i = 0
    while i < len(arr):
        j = i
        while j + 1 < len(arr) and (arr[j + 1] == arr[i] or (np.isnan(arr[j + 1]) and np.isnan(arr[i]))):
            j += 1
        if not np.isnan(arr[i]):
            runs.append((i, j + 1, arr[i]))
        i = j + 1
    assert list(zip(starts.tolist(), ends.tolist(), vals.tolist(), strict=True)) == [
        (a, b, float(v)) for a, b, v in runs
    ]
    assert [x.shape[0] for x in run_length_encode(np.zeros(0))] == [0, 0, 0]
    assert run_length_encode(np.full(5, np.nan))[0].shape == (0,)


def test_write_rejects_bad_input(tmp_path: Path):
    with pytest.raises(ValueError, match="shape"):
        write_bigwig(tmp_path / "x.bw", {"c": 10}, {"c": np.zeros(9)})
    with pytest.raises(ValueError, match="not in chrom_sizes"):
        write_bigwig(tmp_path / "x.bw", {"c": 10}, {"d": np.zeros(10)})
    assert not list(tmp_path.iterdir())  # nothing written, no temp files


def test_values_errors(track):
    path, _ = track
    bw = open_bigwig(path)
    with pytest.raises(InputFileError) as err:
        bw.values("chr9", 0, 10)
    assert "cov.bw" in str(err.value) and "chr9" in str(err.value)
    for start, end in [(0, 1001), (-1, 5), (10, 5)]:
        with pytest.raises(InputFileError) as err:
            bw.values("chr1", start, end)
        assert "cov.bw" in str(err.value) and f"chr1:{start}-{end}" in str(err.value)


def test_not_a_bigwig(tmp_path: Path):
    text = tmp_path / "cov.bedGraph"
    text.write_text("chr1\t0\t10\t1.0\n")
    with pytest.raises(InputFileError) as err:
        BigWig(text)
    assert "cov.bedGraph" in str(err.value) and "bedGraphToBigWig" in str(err.value)
    bigbed = tmp_path / "peaks.bb"
    bigbed.write_bytes((0x8789F2EB).to_bytes(4, "little") + b"\0" * 60)
    with pytest.raises(InputFileError, match="bigBed"):
        BigWig(bigbed)
    with pytest.raises(InputFileError, match="not found"):
        BigWig(tmp_path / "missing.bw")
    empty = tmp_path / "empty.bw"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.bw"):
        BigWig(empty)


def test_truncated_bigwig(track, tmp_path: Path):
    path, _ = track
    data = path.read_bytes()
    cut = tmp_path / "cut.bw"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError) as err:
        BigWig(cut)
    assert "cut.bw" in str(err.value) and "corrupt" in str(err.value)


def test_pickle_reopens(track):
    path, values = track
    bw = open_bigwig(path)
    clone = pickle.loads(pickle.dumps(bw))
    np.testing.assert_array_equal(clone.values("chr2", 0, 300), values["chr2"])
    bw.close()
    np.testing.assert_array_equal(bw.values("chr2", 0, 300), values["chr2"])


def test_check_track_chroms_exact(track):
    path, _ = track
    assert check_track_chroms(open_bigwig(path), dict(SIZES)) == {c: c for c in SIZES}
    # a genome may be a subset of the track
    assert check_track_chroms(open_bigwig(path), {"chr2": 300}) == {"chr2": "chr2"}


def test_check_track_chroms_name_mismatch(track):
    path, _ = track
    genome = {"1": 1000, "2": 300, "MT": 50}
    with pytest.raises(ChromosomeNameError) as err:
        check_track_chroms(open_bigwig(path), genome, genome_source="genome.fa")
    msg = str(err.value)
    assert "cov.bw" in msg and "genome.fa" in msg and "'1'" in msg and "map_chrom_names: true" in msg
    mapping = check_track_chroms(open_bigwig(path), genome, map_names=True)
    assert mapping == {"1": "chr1", "2": "chr2", "MT": "chrM"}


def test_check_track_chroms_missing(track):
    path, _ = track
    genome = {"chr1": 1000, "chr2": 300, "chrX": 700}
    for map_names in (False, True):
        with pytest.raises(InputFileError) as err:
            check_track_chroms(open_bigwig(path), genome, map_names=map_names)
        msg = str(err.value)
        assert "cov.bw" in msg and "chrX" in msg and err.value.hint


def test_check_track_chroms_length_mismatch(track):
    path, _ = track
    with pytest.raises(InputFileError) as err:
        check_track_chroms(open_bigwig(path), {"chr1": 999, "chr2": 300})
    msg = str(err.value)
    assert "cov.bw" in msg and "chr1" in msg and "assembly" in msg


@pytest.mark.realdata
def test_real_track_nan_outside_targets(real_data: Path):
    import csv

    folder = real_data / "realmini"
    with open(folder / "contigs.tsv") as handle:
        row = next(csv.DictReader(handle, delimiter="\t"))
    track_path = sorted((folder / "tracks").glob("*.bw"))[0]
    bw = open_bigwig(track_path)
    chrom = row["contig"]
    vals = bw.values(chrom, 0, bw.chrom_sizes[chrom])
    direct = pyBigWig.open(str(track_path))
    np.testing.assert_array_equal(
        vals, np.asarray(direct.values(chrom, 0, bw.chrom_sizes[chrom], numpy=True))
    )
    start, end = int(row["target_start"]), int(row["target_end"])
    assert np.isnan(vals[:start]).all() and np.isnan(vals[end:]).all()
    assert not np.isnan(vals[start:end]).any()


def test_mixed_runs_and_fixed_step_sections(tmp_path: Path):
    """Random mixes of NaN gaps, long equal runs and stretches of distinct values round-trip."""
    rng = np.random.default_rng(5)
    for trial in range(25):
        n = int(rng.integers(1, 400))
        kind = rng.integers(0, 3, n)
        arr = np.where(kind == 0, np.nan, np.where(kind == 1, 1.0, rng.random(n))).astype(np.float32)
        arr[: n // 3] = rng.random(n // 3)  # a stretch where every base differs (fixedStep)
        arr[n // 3 : n // 2] = 0.0
        path = write_bigwig(tmp_path / f"m{trial}.bw", {"c": n}, {"c": arr}, max_zooms=trial % 2)
        direct = pyBigWig.open(str(path))
        got = np.asarray(direct.values("c", 0, n, numpy=True), dtype=np.float32)
        direct.close()
        np.testing.assert_array_equal(got, arr)


def test_fork_workers_read_independently(track):
    import multiprocessing

    path, values = track
    bw = open_bigwig(path)
    bw.values("chr1", 0, 10)  # open the handle in the parent before forking
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.starmap(_read_slice, [(bw, "chr2", i * 30, i * 30 + 30) for i in range(10)])
    np.testing.assert_array_equal(np.concatenate(results), values["chr2"])


def _read_slice(bw: BigWig, chrom: str, start: int, end: int) -> np.ndarray:
    return bw.values(chrom, start, end)
