"""Sequence-set bundles: manifest parsing, reading TSV/CSV/FASTA, crop/pad, splits, bad inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchsuite.data.manifest_load import load_manifest
from benchsuite.data.seqset import SPLIT_NAMES, SequenceRecords, assign_split, fit_length, load_sequence_set
from benchsuite.data.seqset_manifest import SeqSplit, SequenceSetManifest
from benchsuite.errors import DatasetError, InputFileError, ManifestError

MANIFEST = """benchsuite_manifest: 1
kind: sequences
name: tiny-set
sequences: {{file: {file}, format: {fmt}{extra}}}
labels: [{{name: bound, column: bound}}]
values: [{{name: bound, column: signal}}]
split: {split}
input_length: {length}
"""
ROWS = [
    ("s0", "ACGTACGTAC", 1, 2.5, "train"),
    ("s1", "acgtn", 0, 0.0, "valid"),
    ("s2", "GGGGCCCCAATT", 1, 7.0, "test"),
]


def write_bundle(
    root: Path,
    rows=ROWS,
    *,
    fmt: str = "tsv",
    split: str = "{column: split}",
    length: int = 8,
    header: tuple[str, ...] = ("id", "sequence", "bound", "signal", "split"),
) -> Path:
    """A bundle folder with a sequence table (or FASTA) and its manifest."""
    root.mkdir(parents=True, exist_ok=True)
    if fmt == "fasta":
        text = "".join(f">{r[0]} bound={r[2]} signal={r[3]} split={r[4]}\n{r[1]}\n" for r in rows)
        (root / "seqs.fa").write_text(text)
        name, extra = "seqs.fa", ""
    else:
        sep = "\t" if fmt == "tsv" else ","
        lines = [sep.join(header)] + [sep.join(str(x) for x in r) for r in rows]
        name = f"seqs.{fmt}"
        (root / name).write_text("\n".join(lines) + "\n")
        extra = ", id_column: id"
    (root / "manifest.yaml").write_text(
        MANIFEST.format(file=name, fmt=fmt, extra=extra, split=split, length=length)
    )
    return root


def load(root: Path) -> SequenceSetManifest:
    manifest = load_manifest(root)
    assert isinstance(manifest, SequenceSetManifest)
    return manifest


# ----------------------------------------------------------------------------- crop / pad


def test_fit_length_centre_crop_even_excess():
    codes = np.arange(10, dtype=np.uint8) % 4
    assert fit_length(codes, 6).tolist() == codes[2:8].tolist()


def test_fit_length_centre_crop_odd_excess_cuts_one_more_on_the_right():
    codes = np.array([0, 1, 2, 3, 0, 1, 2], dtype=np.uint8)  # n=7, L=4: offset (7-4)//2 = 1
    assert fit_length(codes, 4).tolist() == [1, 2, 3, 0]


def test_fit_length_pad_odd_gap_puts_the_extra_n_on_the_right():
    codes = np.array([0, 1, 2], dtype=np.uint8)  # n=3, L=6: 1 N left, 2 right
    assert fit_length(codes, 6).tolist() == [4, 0, 1, 2, 4, 4]


def test_fit_length_equal_length_unchanged():
    codes = np.array([3, 2, 1, 0], dtype=np.uint8)
    assert fit_length(codes, 4).tolist() == [3, 2, 1, 0]


# ----------------------------------------------------------------------------- parsing


def test_tsv_sequence_set_arrays(tmp_path):
    data = load_sequence_set(load(write_bundle(tmp_path / "b")))
    assert data.ids == ["s0", "s1", "s2"]
    assert data.codes.shape == (3, 8)
    assert data.codes[0].tolist() == [1, 2, 3, 0, 1, 2, 3, 0]  # ACGTACGTAC cropped: offset 1
    assert data.codes[1].tolist() == [4, 0, 1, 2, 3, 4, 4, 4]  # acgtn padded: 1 left, 2 right
    assert data.labels[:, 0].tolist() == [1, 0, 1]
    assert data.values[:, 0].tolist() == [2.5, 0.0, 7.0]
    assert [SPLIT_NAMES[s] for s in data.split] == ["train", "valid", "test"]
    assert data.lengths.tolist() == [10, 5, 12]


def test_csv_reads_like_tsv(tmp_path):
    tsv = load_sequence_set(load(write_bundle(tmp_path / "t")))
    csv = load_sequence_set(load(write_bundle(tmp_path / "c", fmt="csv")))
    assert np.array_equal(tsv.codes, csv.codes) and np.array_equal(tsv.labels, csv.labels)
    assert np.array_equal(tsv.values, csv.values) and np.array_equal(tsv.split, csv.split)


def test_fasta_labels_from_header_fields(tmp_path):
    data = load_sequence_set(load(write_bundle(tmp_path / "f", fmt="fasta")))
    assert data.ids == ["s0", "s1", "s2"]
    assert data.labels[:, 0].tolist() == [1, 0, 1]
    assert data.values[:, 0].tolist() == [2.5, 0.0, 7.0]
    assert [SPLIT_NAMES[s] for s in data.split] == ["train", "valid", "test"]


def test_manifest_fields(tmp_path):
    manifest = load(write_bundle(tmp_path / "b"))
    assert manifest.kind == "sequences" and manifest.name == "tiny-set"
    assert manifest.task_target_names("binary") == ("bound",)
    assert manifest.task_target_names("quantitative") == ("bound",)
    assert manifest.target_names == ("bound",)  # a label and a value of one name: one target
    assert manifest.geometry.chunk_length == manifest.geometry.input_length == 8
    assert manifest.geometry.bin_sizes == (8,)
    assert manifest.genome is None and manifest.truth is None and manifest.variants is None


def test_genome_kind_is_the_default_and_explicit_kind_genome_is_accepted(tmp_path):
    root = tmp_path / "g"
    root.mkdir()
    (root / "manifest.yaml").write_text("kind: genome\ntargets: []\n")
    with pytest.raises(ManifestError, match="field 'genome': missing"):
        load_manifest(root)


def test_unknown_kind(tmp_path):
    root = write_bundle(tmp_path / "b")
    text = (root / "manifest.yaml").read_text().replace("kind: sequences", "kind: reads")
    (root / "manifest.yaml").write_text(text)
    with pytest.raises(ManifestError, match="field 'kind': unknown bundle kind 'reads'"):
        load_manifest(root)


def test_no_labels_and_no_values(tmp_path):
    root = write_bundle(tmp_path / "b")
    text = (root / "manifest.yaml").read_text()
    text = "\n".join(x for x in text.splitlines() if not x.startswith(("labels", "values")))
    (root / "manifest.yaml").write_text(text + "\n")
    with pytest.raises(ManifestError, match="needs `labels:` .binary., `values:` .quantitative. or both"):
        load_manifest(root)


def test_genome_field_in_a_sequence_set_is_unknown(tmp_path):
    root = write_bundle(tmp_path / "b")
    (root / "manifest.yaml").write_text((root / "manifest.yaml").read_text() + "genome: g.fa\n")
    with pytest.raises(ManifestError, match="unknown top-level field.s. 'genome' for a sequence-set"):
        load_manifest(root)


def test_fractions_must_sum_to_one(tmp_path):
    root = write_bundle(tmp_path / "b", split="{seed: 0, fractions: {train: 0.8, valid: 0.1, test: 0.2}}")
    with pytest.raises(ManifestError, match="field 'split.fractions': each fraction must be > 0"):
        load_manifest(root)


# ----------------------------------------------------------------------------- seeded split


def _records(n: int) -> SequenceRecords:
    return SequenceRecords([f"s{i}" for i in range(n)], ["A"] * n, [f"line {i + 2}" for i in range(n)], {})


def test_seeded_split_is_deterministic_and_sized():
    split = SeqSplit(seed=3, fractions=(0.8, 0.1, 0.1))
    a = assign_split(_records(100), Path("x.tsv"), split)
    b = assign_split(_records(100), Path("x.tsv"), split)
    assert np.array_equal(a, b)
    assert np.bincount(a, minlength=3).tolist() == [80, 10, 10]
    other = assign_split(_records(100), Path("x.tsv"), SeqSplit(seed=4, fractions=(0.8, 0.1, 0.1)))
    assert not np.array_equal(a, other)


def test_seeded_split_in_a_bundle(tmp_path):
    rows = [(f"s{i}", "ACGT", i % 2, 1.0, "train") for i in range(20)]
    root = write_bundle(
        tmp_path / "b", rows, split="{seed: 1, fractions: {train: 0.5, valid: 0.25, test: 0.25}}"
    )
    data = load_sequence_set(load(root))
    assert np.bincount(data.split, minlength=3).tolist() == [10, 5, 5]


# ----------------------------------------------------------------------------- bad inputs


def test_missing_column_names_file_and_column(tmp_path):
    root = write_bundle(tmp_path / "b", header=("id", "sequence", "label", "signal", "split"))
    with pytest.raises(InputFileError) as err:
        load_sequence_set(load(root))
    assert str(root / "seqs.tsv") in str(err.value)
    assert "no column 'bound' (the file has 'id', 'sequence', 'label', 'signal', 'split')" in str(err.value)


def test_non_acgtn_character_names_line_and_column(tmp_path):
    rows = [ROWS[0], ("s1", "ACGRT", 0, 0.0, "valid"), ROWS[2]]
    with pytest.raises(InputFileError) as err:
        load_sequence_set(load(write_bundle(tmp_path / "b", rows)))
    assert "line 3, column 'sequence': character 'R' at position 4 is not A, C, G, T or N" in str(err.value)
    assert "seqs.tsv" in str(err.value) and "replace IUPAC codes by N" in str(err.value)


def test_label_not_zero_or_one(tmp_path):
    rows = [ROWS[0], ROWS[1], ("s2", "ACGT", 2, 1.0, "test")]
    with pytest.raises(InputFileError, match=r"line 4, column 'bound': label '2' is not 0 or 1"):
        load_sequence_set(load(write_bundle(tmp_path / "b", rows)))


def test_negative_value(tmp_path):
    rows = [ROWS[0], ("s1", "ACGT", 0, -1.0, "valid"), ROWS[2]]
    with pytest.raises(
        InputFileError, match=r"line 3, column 'signal': value '-1.0' is not a finite number >= 0"
    ):
        load_sequence_set(load(write_bundle(tmp_path / "b", rows)))


def test_unknown_split_value(tmp_path):
    rows = [ROWS[0], ROWS[1], ("s2", "ACGT", 1, 1.0, "testing")]
    with pytest.raises(
        InputFileError, match=r"line 4, column 'split': split 'testing' is not train, valid or test"
    ):
        load_sequence_set(load(write_bundle(tmp_path / "b", rows)))


def test_empty_split_names_file_and_column(tmp_path):
    rows = [ROWS[0], ("s1", "ACGT", 0, 0.0, "train"), ROWS[2]]
    with pytest.raises(DatasetError) as err:
        load_sequence_set(load(write_bundle(tmp_path / "b", rows)))
    assert str(err.value).startswith(f"{tmp_path / 'b' / 'seqs.tsv'}: the valid split holds no sequence")
    assert "(split column 'split')" in str(err.value)


def test_fasta_header_without_the_label_field(tmp_path):
    root = write_bundle(tmp_path / "f", fmt="fasta")
    (root / "seqs.fa").write_text(">s0 signal=1 split=train\nACGT\n")
    with pytest.raises(InputFileError, match=r"line 1: header of 's0' has no field bound=\.\.\."):
        load_sequence_set(load(root))


def test_row_with_too_few_fields(tmp_path):
    root = write_bundle(tmp_path / "b")
    with open(root / "seqs.tsv", "a") as handle:
        handle.write("s3\tACGT\t1\n")
    with pytest.raises(InputFileError, match=r"line 5: 3 fields, the header has 5"):
        load_sequence_set(load(root))


def test_parquet_without_pyarrow_is_one_clear_error(tmp_path):
    pytest.importorskip("pandas")
    try:
        import pyarrow  # noqa: F401

        pytest.skip("pyarrow is installed: the missing-engine error cannot happen")
    except ImportError:
        pass
    root = write_bundle(tmp_path / "b")
    (root / "seqs.parquet").write_bytes(b"PAR1")
    text = (
        (root / "manifest.yaml").read_text().replace("seqs.tsv, format: tsv", "seqs.parquet, format: parquet")
    )
    (root / "manifest.yaml").write_text(text)
    with pytest.raises(InputFileError, match="reading Parquet needs pyarrow or fastparquet"):
        load_sequence_set(load(root))
