"""Bundle manifests: finding, reading (YAML/JSON, syntax errors) and writing manifest files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchsuite.data.manifest import Geometry, Manifest, load_manifest, write_manifest
from benchsuite.errors import ManifestError

from .conftest import TARGETS, TinyBundle, expect_manifest_error


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


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist") as info:
        load_manifest(tmp_path / "nope" / "manifest.yaml")
    assert "nope" in str(info.value)
    with pytest.raises(ManifestError, match="no manifest found") as info:
        load_manifest(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_bad_yaml(tiny_bundle: TinyBundle) -> None:
    tiny_bundle.manifest.write_text("name: tiny\ngenome: [genome.fa\ntargets: x\n")
    error = expect_manifest_error(tiny_bundle, "invalid YAML", "line")
    assert error.source == str(tiny_bundle.manifest.resolve())


def test_bad_json(tiny_bundle: TinyBundle) -> None:
    tiny_bundle.manifest.unlink()
    (tiny_bundle.root / "manifest.json").write_text('{"name": "tiny",}')
    with pytest.raises(ManifestError, match="invalid JSON") as info:
        load_manifest(tiny_bundle.root)
    assert "manifest.json" in str(info.value)
