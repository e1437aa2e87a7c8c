from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from benchsuite.errors import InputFileError
from benchsuite.io.fasta import Genome, open_genome, read_fasta_records, write_fasta
from benchsuite.io.onehot import encode_sequence

from .conftest import GENOME, fasta_text


def test_plain_genome_codes(plain_fasta: Path, genome_records: dict[str, str]):
    with open_genome(plain_fasta) as genome:
        assert list(genome.chrom_sizes) == ["chr1", "chr2", "chrM"]  # file order
        assert genome.chrom_sizes == {k: len(v) for k, v in genome_records.items()}
        for chrom, seq in genome_records.items():
            codes = genome.fetch_chrom_codes(chrom)
            assert codes.dtype == np.uint8
            np.testing.assert_array_equal(codes, encode_sequence(seq))
        # spans crossing line breaks, hand-checked: chr1[8:14] = "NNacgt"
        assert genome.fetch_codes("chr1", 8, 14).tolist() == [4, 4, 0, 1, 2, 3]
        assert genome.fetch_codes("chr1", 5, 5).shape == (0,)
    assert (plain_fasta.parent / "genome.fa.fai").exists()


def test_plain_and_bgzip_give_identical_codes(plain_fasta: Path, bgzip_fasta: Path):
    plain, packed = open_genome(plain_fasta), open_genome(bgzip_fasta)
    assert plain.chrom_sizes == packed.chrom_sizes
    rng = np.random.default_rng(0)
    for chrom, size in plain.chrom_sizes.items():
        np.testing.assert_array_equal(plain.fetch_chrom_codes(chrom), packed.fetch_chrom_codes(chrom))
        for _ in range(20):
            start = int(rng.integers(0, size))
            end = int(rng.integers(start, size + 1))
            np.testing.assert_array_equal(
                plain.fetch_codes(chrom, start, end), packed.fetch_codes(chrom, start, end)
            )
    assert bgzip_fasta.with_name("genome.fa.gz.gzi").exists()
    plain.close()
    packed.close()


def test_matches_pysam_reader(plain_fasta: Path, genome_records: dict[str, str]):
    pysam = pytest.importorskip("pysam")
    genome = open_genome(plain_fasta)
    with pysam.FastaFile(str(plain_fasta)) as ref:
        for chrom in genome_records:
            assert genome.chrom_sizes[chrom] == ref.get_reference_length(chrom)
            np.testing.assert_array_equal(
                genome.fetch_codes(chrom, 1, genome.chrom_sizes[chrom] - 1),
                encode_sequence(ref.fetch(chrom, 1, genome.chrom_sizes[chrom] - 1)),
            )


def test_fetch_unknown_chromosome(plain_fasta: Path):
    genome = open_genome(plain_fasta)
    with pytest.raises(InputFileError) as err:
        genome.fetch_codes("chr9", 0, 5)
    msg = str(err.value)
    assert "genome.fa" in msg and "chr9" in msg and "0-5" in msg
    assert err.value.hint
    # a chr1 vs 1 slip gets the mapping hint
    with pytest.raises(InputFileError, match="map_chrom_names"):
        genome.fetch_codes("2", 0, 5)
    with pytest.raises(InputFileError, match="chr9"):
        genome.fetch_chrom_codes("chr9")


@pytest.mark.parametrize(("start", "end"), [(0, 21), (-1, 5), (10, 5), (20, 25)])
def test_fetch_out_of_bounds(plain_fasta: Path, start: int, end: int):
    genome = open_genome(plain_fasta)
    with pytest.raises(InputFileError) as err:
        genome.fetch_codes("chr2", start, end)
    msg = str(err.value)
    assert "genome.fa" in msg and f"chr2:{start}-{end}" in msg


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("ACGTACGT\nACGT\n", "header"),
        (">\nACGT\n", "name"),
        (">a\nACGT\n>a\nACGT\n", "'a'"),
        (">a\nACGTACGT\nACG\nACGTACGT\n", "line length"),
    ],
    ids=["empty", "blank", "no-header", "no-name", "duplicate", "line-lengths"],
)
def test_malformed_fasta(tmp_path: Path, content: str, needle: str):
    path = _write(tmp_path / "bad.fa", content)
    with pytest.raises(InputFileError) as err:
        Genome(path)
    msg = str(err.value)
    assert "bad.fa" in msg
    assert needle.lower() in msg.lower()
    assert err.value.hint  # says how to fix


def test_missing_fasta(tmp_path: Path):
    with pytest.raises(InputFileError, match="not found"):
        open_genome(tmp_path / "nope.fa")


def test_plain_gzip_rejected_with_bgzip_hint(tmp_path: Path):
    path = tmp_path / "genome.fa.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(fasta_text(GENOME))
    with pytest.raises(InputFileError) as err:
        open_genome(path)
    msg = str(err.value)
    assert "genome.fa.gz" in msg and "bgzip" in msg and "gzip" in msg


def test_compression_name_mismatch(tmp_path: Path, bgzip_fasta: Path):
    renamed = tmp_path / "renamed.fa"
    renamed.write_bytes(bgzip_fasta.read_bytes())
    with pytest.raises(InputFileError, match=r"renamed\.fa.*\.gz"):
        open_genome(renamed)
    fake = _write(tmp_path / "fake.fa.gz", fasta_text(GENOME))
    with pytest.raises(InputFileError, match="not compressed"):
        open_genome(fake)


def test_stale_index_is_rebuilt(plain_fasta: Path):
    open_genome(plain_fasta).close()
    plain_fasta.write_text(fasta_text({"chrA": "ACGT" * 30}))
    fai = plain_fasta.with_name("genome.fa.fai")
    old = plain_fasta.stat().st_mtime
    os.utime(fai, (old - 10, old - 10))  # the index predates the edit
    genome = open_genome(plain_fasta)
    assert genome.chrom_sizes == {"chrA": 120}
    np.testing.assert_array_equal(genome.fetch_codes("chrA", 0, 4), [0, 1, 2, 3])


def test_read_only_folder_uses_cache_index(plain_fasta: Path, tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BENCHSUITE_CACHE", str(cache))
    real_access = os.access

    def no_write(path, mode, *args, **kwargs):
        if mode & os.W_OK and Path(path) == plain_fasta.parent:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", no_write)
    genome = open_genome(plain_fasta)
    assert not plain_fasta.with_name("genome.fa.fai").exists()
    assert list((cache / "fasta-index").glob("*genome.fa.fai"))
    np.testing.assert_array_equal(genome.fetch_chrom_codes("chr2"), encode_sequence(GENOME["chr2"]))


def test_pickle_and_reopen(plain_fasta: Path):
    genome = open_genome(plain_fasta)
    first = genome.fetch_codes("chr1", 0, 10)
    clone = pickle.loads(pickle.dumps(genome))
    np.testing.assert_array_equal(clone.fetch_codes("chr1", 0, 10), first)
    genome.close()
    np.testing.assert_array_equal(genome.fetch_codes("chr1", 0, 10), first)  # reopens


def test_write_fasta_text_codes_and_index(tmp_path: Path):
    codes = np.array([0, 1, 2, 3, 4] * 5, dtype=np.uint8)
    out = write_fasta(
        tmp_path / "out.fa", [("seqA desc here", "ACGTacgtNN" * 2 + "A"), ("seqB", codes)], line_width=8
    )
    assert out == tmp_path / "out.fa"
    text = out.read_text()
    assert text.startswith(">seqA desc here\nACGTacgt\nNNACGTac\ngtNNA\n>seqB\nACGTNACG\n")
    # .fai is written, with samtools' columns: name, length, offset, bases per line, bytes per line
    fai = out.with_name("out.fa.fai").read_text().splitlines()
    assert fai[0].split("\t") == ["seqA", "21", str(len(">seqA desc here\n")), "8", "9"]
    assert fai[1].split("\t")[:2] == ["seqB", "25"]
    genome = open_genome(out)
    np.testing.assert_array_equal(genome.fetch_chrom_codes("seqB"), codes)
    np.testing.assert_array_equal(genome.fetch_codes("seqA", 4, 12), encode_sequence("acgtNNAC"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_write_fasta_bgzip_readable_by_htslib(tmp_path: Path):
    pysam = pytest.importorskip("pysam")
    out = write_fasta(tmp_path / "out.fa.gz", GENOME.items(), line_width=7)
    assert out.with_name("out.fa.gz.gzi").exists()
    with pysam.FastaFile(str(out)) as ref:
        assert ref.fetch("chr1") == GENOME["chr1"]
    genome = open_genome(out)
    np.testing.assert_array_equal(genome.fetch_chrom_codes("chr1"), encode_sequence(GENOME["chr1"]))


def test_write_fasta_rejects_bad_records(tmp_path: Path):
    with pytest.raises(ValueError, match="duplicate"):
        write_fasta(tmp_path / "d.fa", [("a", "AC"), ("a x", "GT")])
    with pytest.raises(ValueError, match="name"):
        write_fasta(tmp_path / "e.fa", [("", "AC")])
    assert not (tmp_path / "d.fa").exists() and not (tmp_path / "e.fa").exists()


def test_read_fasta_records(tmp_path: Path):
    path = _write(
        tmp_path / "elements.fa",
        ">LDLR chr19:11199049-11201097 hg19\nACGT\nacgt\n\n>F9\nNNNN\n",
    )
    assert read_fasta_records(path) == [
        ("LDLR", "chr19:11199049-11201097 hg19", "ACGTacgt"),
        ("F9", "", "NNNN"),
    ]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "no '>'"),
        ("ACGT\n>a\nAC\n", "line 1"),
        (">a\nAC\n>a\nGT\n", "line 3"),
        (">a\nAC\n> \nGT\n", "line 3"),
    ],
    ids=["empty", "no-header", "duplicate", "no-name"],
)
def test_read_fasta_records_errors(tmp_path: Path, content: str, needle: str):
    path = _write(tmp_path / "small.fa", content)
    with pytest.raises(InputFileError) as err:
        read_fasta_records(path)
    assert "small.fa" in str(err.value) and needle in str(err.value)


@pytest.mark.realdata
def test_real_cagi5_elements(real_data: Path):
    records = read_fasta_records(real_data / "cagi5" / "elements.fa")
    assert len(records) == 15
    names = {name for name, _, _ in records}
    assert {"LDLR", "F9", "TERT-GBM", "MYCrs6983267"} <= names
    for _name, description, seq in records:
        region, assembly = description.split()
        assert assembly == "hg19"
        chrom, span = region.split(":")
        start, end = map(int, span.split("-"))
        assert chrom.startswith("chr") and end - start == len(seq) == 2048


@pytest.mark.realdata
def test_real_genome_matches_pysam(real_data: Path):
    pysam = pytest.importorskip("pysam")
    path = real_data / "realmini" / "genome.fa"
    genome = open_genome(path)
    assert len(genome.chrom_sizes) == 65
    with pysam.FastaFile(str(path)) as ref:
        for chrom in list(genome.chrom_sizes)[:3]:
            np.testing.assert_array_equal(
                genome.fetch_codes(chrom, 1000, 3000), encode_sequence(ref.fetch(chrom, 1000, 3000))
            )


def _fetch(genome: Genome, chrom: str, start: int, end: int) -> np.ndarray:
    return genome.fetch_codes(chrom, start, end)


def test_fork_workers_read_independently(bgzip_fasta: Path):
    import multiprocessing

    genome = open_genome(bgzip_fasta)
    genome.fetch_codes("chr1", 0, 5)  # open the handle in the parent before forking
    jobs = [(genome, "chr1", i, i + 7) for i in range(0, 45, 5)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.starmap(_fetch, jobs)
    for (_, chrom, start, end), got in zip(jobs, results, strict=True):
        np.testing.assert_array_equal(got, encode_sequence(GENOME[chrom][start:end]))
