"""Bundle manifests: loading, validation errors (naming file and field), writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchsuite.data.manifest import Geometry, Manifest, load_manifest, write_manifest
from benchsuite.errors import BenchsuiteError, ManifestError

from .conftest import TARGETS, TinyBundle


def test_load_manifest_resolves_paths_and_fields(tiny_bundle: TinyBundle) -> None:
    m = load_manifest(tiny_bundle.root)  # the folder ...
    assert load_manifest(tiny_bundle.manifest) == m  # ... or the file
    assert isinstance(m, Manifest)
    assert m.path == tiny_bundle.manifest.resolve()
    assert m.root == tiny_bundle.root.resolve()
    assert m.name == "tiny"
    assert m.genome == tiny_bundle.genome.resolve()
    assert m.target_names == TARGETS
    for target in m.targets:
        assert target.track == tiny_bundle.tracks[target.name].resolve()
        assert target.replicate2 == tiny_bundle.rep2[target.name].resolve()
        assert target.peaks == tiny_bundle.peaks[target.name].resolve()
        assert target.description == f"tiny target {target.name}"
    assert m.split.test == ("chr8",) and m.split.valid == ("chr9",)
    assert m.split.train is None and m.split.exclude == ("chrY",)
    assert m.excluded == tiny_bundle.excluded.resolve()
    assert m.map_chrom_names is False
    assert m.variants is None and m.motifs is None and m.truth is None
    assert m.geometry == Geometry(300, 200, (1, 10, 50), 50, 2.0)
    roles = [role for role, _ in m.input_files()]
    assert roles[0] == "genome" and "track:A" in roles and "replicate2:B" in roles and "excluded" in roles


def test_json_manifest_and_defaults(tiny_bundle: TinyBundle) -> None:
    data = tiny_bundle.manifest_data()
    del data["split"], data["geometry"], data["name"], data["benchsuite_manifest"]
    tiny_bundle.manifest.unlink()
    (tiny_bundle.root / "manifest.json").write_text(json.dumps(data))
    m = load_manifest(tiny_bundle.root)
    assert m.path.name == "manifest.json"
    assert m.name == "bundle"  # the folder name
    # the paper's split and geometry
    assert (m.split.test, m.split.valid, m.split.train, m.split.exclude) == (
        ("chr8",),
        ("chr9",),
        None,
        ("chrY",),
    )
    assert m.geometry == Geometry(3072, 2048, (1, 32, 128), 128, 2.0)


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


def test_write_manifest_roundtrip(tiny_bundle: TinyBundle, tmp_path: Path) -> None:
    data = tiny_bundle.manifest_data()
    data["genome"] = Path("genome.fa")  # Paths are written as strings
    for name in ("manifest.yaml", "manifest.json"):
        out = write_manifest(tiny_bundle.root / name, data)
        assert out == tiny_bundle.root / name
        loaded = yaml.safe_load(out.read_text()) if name.endswith("yaml") else json.loads(out.read_text())
        assert loaded["genome"] == "genome.fa"
        assert list(loaded)[0] == "benchsuite_manifest"
        assert load_manifest(out).target_names == TARGETS
    # a folder gets manifest.yaml; no temporary files are left behind
    folder = tmp_path / "new"
    folder.mkdir()
    assert write_manifest(folder, {"name": "x"}) == folder / "manifest.yaml"
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.yaml"]


# ------------------------------------------------------------------------------------ errors


def _expect_error(bundle: TinyBundle, *fragments: str) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_manifest(bundle.root)
    message = str(info.value)
    assert str(bundle.manifest.name) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist") as info:
        load_manifest(tmp_path / "nope" / "manifest.yaml")
    assert "nope" in str(info.value)
    with pytest.raises(ManifestError, match="no manifest found") as info:
        load_manifest(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_bad_yaml(tiny_bundle: TinyBundle) -> None:
    tiny_bundle.manifest.write_text("name: tiny\ngenome: [genome.fa\ntargets: x\n")
    error = _expect_error(tiny_bundle, "invalid YAML", "line")
    assert error.source == str(tiny_bundle.manifest.resolve())


def test_bad_json(tiny_bundle: TinyBundle) -> None:
    tiny_bundle.manifest.unlink()
    (tiny_bundle.root / "manifest.json").write_text('{"name": "tiny",}')
    with pytest.raises(ManifestError, match="invalid JSON") as info:
        load_manifest(tiny_bundle.root)
    assert "manifest.json" in str(info.value)


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
    error = _expect_error(tiny_bundle, *fragments)
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
