"""Manifest field validation: every error names the manifest file and the field; split tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchsuite.data.manifest import JASPAR_DEFAULT_EXCLUDE, load_manifest, write_manifest
from benchsuite.errors import BenchsuiteError, ManifestError

from .conftest import TinyBundle, expect_manifest_error


def test_split_table(tiny_bundle: TinyBundle) -> None:
    (tiny_bundle.root / "contigs.tsv").write_text(
        "contig\tsplit\tlength\nchr1\ttrain\t1\nchr2\ttrain\t2\nchr8\ttest\t3\nchr9\tvalid\t4\nchrY\texclude\t5\n"
    )
    data = tiny_bundle.manifest_data()
    data["split"] = {"table": "contigs.tsv", "name_column": "contig", "split_column": "split"}
    tiny_bundle.write_manifest_data(data)
    m = load_manifest(tiny_bundle.root)
    assert m.split.train == ("chr1", "chr2")
    assert m.split.test == ("chr8",) and m.split.valid == ("chr9",) and m.split.exclude == ("chrY",)


@pytest.mark.realdata
def test_split_table_of_realmini(real_data: Path, tmp_path: Path) -> None:
    realmini = real_data / "realmini"
    targets = [line.split("\t") for line in (realmini / "targets.tsv").read_text().splitlines()[1:]]
    manifest = {
        "name": "realmini",
        "genome": str(realmini / "genome.fa"),
        "targets": [{"name": ident, "track": str(realmini / path)} for ident, path, _ in targets],
        "split": {"table": str(realmini / "contigs.tsv"), "name_column": "contig", "split_column": "split"},
        "geometry": {"chunk_length": 3072, "input_length": 2048, "bin_sizes": [1, 32], "common_bin": 32},
    }
    path = write_manifest(tmp_path / "manifest.yaml", manifest)
    m = load_manifest(path)
    rows = [line.split("\t") for line in (realmini / "contigs.tsv").read_text().splitlines()[1:]]
    assert m.split.test == tuple(r[0] for r in rows if r[1] == "test")
    assert len(m.split.train or ()) == 45 and len(m.split.valid) == 10 and len(m.split.test) == 10
    assert len(m.targets) == 10


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda d: d.pop("genome"), ["'genome'", "missing"]),
        (lambda d: d.pop("targets"), ["'targets'", "missing"]),
        (lambda d: d["targets"][1].pop("track"), ["targets[1].track", "missing"]),
        (lambda d: d.update(colour="blue"), ["unknown top-level", "'colour'"]),
        (lambda d: d["targets"][0].update(bigwig="x.bw"), ["targets[0]", "'bigwig'"]),
        (lambda d: d["geometry"].update(chunk_length="big"), ["geometry.chunk_length", "integer"]),
        (lambda d: d["geometry"].update(chunk_length=True), ["geometry.chunk_length", "integer"]),
        (lambda d: d["geometry"].update(coverage_threshold="two"), ["geometry.coverage_threshold", "number"]),
        (lambda d: d["geometry"].update(coverage_threshold=-1), ["geometry.coverage_threshold", "negative"]),
        (
            lambda d: d["geometry"].update(input_length=400),
            ["geometry.input_length", "larger than chunk_length"],
        ),
        (lambda d: d["geometry"].update(bin_sizes=[1, 3]), ["geometry.bin_sizes", "3", "divide"]),
        (lambda d: d["geometry"].update(common_bin=20), ["geometry.common_bin", "20"]),
        (lambda d: d.update(map_chrom_names="yes"), ["map_chrom_names", "true or false"]),
        (lambda d: d.update(targets=[]), ["'targets'", "non-empty"]),
        (lambda d: d["targets"][1].update(name="A"), ["targets[1].name", "duplicate"]),
        (
            lambda d: d["targets"][0].update(track="tracks/missing.bw"),
            ["targets[0].track", "missing.bw", "does not exist"],
        ),
        (lambda d: d.update(genome="nope.fa"), ["'genome'", "nope.fa", "does not exist"]),
        (lambda d: d.update(excluded="gone.bed"), ["'excluded'", "gone.bed"]),
        (lambda d: d.update(variants={"sequences": "genome.fa"}), ["variants.table", "missing"]),
        (lambda d: d["split"].update(valid=["chr8"]), ["split", "chr8", "both"]),
        (lambda d: d["split"].update(test=[]), ["split.test"]),
        (lambda d: d.update(split=["chr8"]), ["'split'", "mapping"]),
        (lambda d: d.update(benchsuite_manifest=2), ["benchsuite_manifest", "version"]),
    ],
)
def test_malformed_manifest(tiny_bundle: TinyBundle, edit, fragments: list[str]) -> None:
    data = tiny_bundle.manifest_data()
    edit(data)
    tiny_bundle.write_manifest_data(data)
    error = expect_manifest_error(tiny_bundle, *fragments)
    assert isinstance(error, BenchsuiteError)
    assert error.source == str(tiny_bundle.manifest.resolve())


def test_bad_split_table_value(tiny_bundle: TinyBundle) -> None:
    table = tiny_bundle.root / "contigs.tsv"
    table.write_text("contig\tsplit\nchr1\ttrain\nchr8\ttesting\n")
    data = tiny_bundle.manifest_data()
    data["split"] = {"table": "contigs.tsv"}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError, match="line 3") as info:
        load_manifest(tiny_bundle.root)
    assert "contigs.tsv" in str(info.value) and "testing" in str(info.value)
    data["split"] = {"table": "contigs.tsv", "name_column": "chrom"}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError, match="no column 'chrom'"):
        load_manifest(tiny_bundle.root)


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda d: d["targets"][0].pop("track") and d["targets"][0].pop("peaks"), ["targets[0].track"]),
        (
            lambda d: (
                [t.pop("track") for t in d["targets"]]
                and [t.pop("replicate2") for t in d["targets"]]
                and d.update(binary_negatives=True)
            ),
            ["binary_negatives.source", "needs coverage", "no target has a `track:`"],
        ),
        (lambda d: d.update(motif_exclude=3), ["motif_exclude", "list"]),
        (lambda d: d.update(motif_exclude=["MA0001.1", ""]), ["motif_exclude[1]"]),
        (lambda d: d.update(binary_negatives={"source": "nowhere"}), ["binary_negatives.source", "nowhere"]),
        (lambda d: d.update(binary_negatives={"fraction": 0}), ["binary_negatives.fraction", "(0, 1]"]),
        (lambda d: d.update(binary_negatives={"ratio": 2}), ["binary_negatives", "'ratio'"]),
        (
            lambda d: [t.pop("peaks") for t in d["targets"]] and d.update(binary_negatives=True),
            ["binary_negatives", "no target has a peaks file"],
        ),
    ],
)
def test_new_fields_validation(tiny_bundle: TinyBundle, edit, fragments) -> None:
    data = tiny_bundle.manifest_data()
    edit(data)
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError) as info:
        load_manifest(tiny_bundle.root)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_motif_exclude_field(tiny_bundle: TinyBundle) -> None:
    data = tiny_bundle.manifest_data()
    assert load_manifest(tiny_bundle.root).motif_exclude is None  # default: decided by the harness
    data["motif_exclude"] = ["MA1929.1", "MA0615.1"]
    tiny_bundle.write_manifest_data(data)
    assert load_manifest(tiny_bundle.root).motif_exclude == ("MA1929.1", "MA0615.1")
    data["motif_exclude"] = []
    tiny_bundle.write_manifest_data(data)
    assert load_manifest(tiny_bundle.root).motif_exclude == ()
    assert JASPAR_DEFAULT_EXCLUDE == ("MA1929.1", "MA0615.1")  # the paper's; the harness adds low-IC ones
