"""The example manifests (examples/) load with every field, on stub file trees; bgzip genomes prepare.

examples/hg38-atac is the paper's setting (hg38, 15 ENCODE ATAC-seq cell lines) and cannot run
here; empty files with its names prove that every field parses. examples/realmini gets the same
treatment (its real-data run is in tests/realdata).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchsuite.data.manifest import Geometry, load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import ManifestError

from .conftest import TinyBundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_VAR = re.compile(r"\$\{(\w+)\}")


def _stub_tree(manifest: Path, roots: dict[str, Path]) -> list[Path]:
    """Create an empty file for every ``${VAR}/...`` path of a manifest, with VAR -> roots[VAR]."""
    created = []

    def visit(node) -> None:
        if isinstance(node, dict):
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)
        elif isinstance(node, str) and (m := _VAR.match(node)):
            path = roots[m.group(1)] / node[m.end() :].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            created.append(path)

    visit(yaml.safe_load(manifest.read_text()))
    return created


def test_hg38_atac_example_parses_every_field(tmp_path: Path, monkeypatch) -> None:
    roots = {"HG38_ATAC_DATA": tmp_path / "encode", "BENCHSUITE_REAL_DATA": tmp_path / "shared"}
    for name, root in roots.items():
        monkeypatch.setenv(name, str(root))
    manifest_path = EXAMPLES / "hg38-atac" / "manifest.yaml"
    files = _stub_tree(manifest_path, roots)
    assert len(files) == 1 + 15 * 3 + 1 + 2 + 1  # genome, 15 x (rep1, rep2, peaks), excluded, CAGI5, JASPAR
    m = load_manifest(manifest_path.parent)
    assert m.name == "hg38-atac-15"
    assert m.genome.name.endswith(".fa.gz") and m.genome.is_relative_to(roots["HG38_ATAC_DATA"].resolve())
    assert len(m.targets) == 15 and len(set(m.target_names)) == 15
    assert m.coverage_target_names == m.label_target_names == m.target_names
    for t in m.targets:
        assert re.fullmatch(r"ENCFF\d{3}[A-Z]{3}\.bigWig", t.track.name)
        assert re.fullmatch(r"ENCFF\d{3}[A-Z]{3}\.bigWig", t.replicate2.name)
        assert re.fullmatch(r"ENCFF\d{3}[A-Z]{3}\.bed\.gz", t.peaks.name)
        assert t.track.parent.name == t.name and t.description
    assert {"GM23338", "PC-3"} <= set(m.target_names)  # the cell lines named in the paper's figures
    assert m.split.test == ("chr8",) and m.split.valid == ("chr9",) and m.split.exclude == ("chrY",)
    assert m.split.train is not None and len(m.split.train) == 21
    assert {"chr8", "chr9", "chrY"}.isdisjoint(m.split.train) and "chrX" in m.split.train
    assert m.excluded is not None and "unmappable" in m.excluded.name
    assert m.map_chrom_names is False
    assert m.geometry == Geometry(3072, 2048, (1, 32, 128), 128, 2.0)
    assert m.variants is not None and m.variants.sequences.name == "elements.fa"
    assert m.motifs is not None and m.motifs.name.startswith("JASPAR2024")
    assert m.motif_exclude is None  # the harness's JASPAR default (the paper's + low-information matrices)
    assert m.binary_negatives is None  # 15 label targets: multi-task labels give the negatives
    roles = [role for role, _ in m.input_files()]
    assert len(roles) == len(files) and roles.count("excluded") == 1

    # a missing download is named with its field
    files[5].unlink()
    with pytest.raises(ManifestError, match=r"targets\[1\]"):
        load_manifest(manifest_path)
    monkeypatch.delenv("HG38_ATAC_DATA")
    with pytest.raises(ManifestError, match="'genome': environment variable HG38_ATAC_DATA is not set"):
        load_manifest(manifest_path)


def test_realmini_example_parses_every_field(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BENCHSUITE_REAL_DATA", str(tmp_path))
    manifest_path = EXAMPLES / "realmini" / "manifest.yaml"
    files = _stub_tree(manifest_path, {"BENCHSUITE_REAL_DATA": tmp_path})
    (tmp_path / "realmini" / "contigs.tsv").write_text(
        "contig\tsplit\nchr1_100\ttrain\nchr2_200\tvalid\nchr8_300\ttest\n"
    )
    m = load_manifest(manifest_path)
    assert len(files) == 1 + 10 + 1 + 1 + 2 + 1
    assert len(m.coverage_targets) == 10 and all(t.name.startswith("ENCFF") for t in m.coverage_targets)
    assert m.label_target_names == ("ENCSR356KRQ",) and m.targets[-1].track is None
    assert m.split.train == ("chr1_100",) and m.split.test == ("chr8_300",)
    assert m.binary_negatives is not None and m.binary_negatives.source == "coverage-threshold"
    assert m.motif_exclude is None and m.variants is not None and m.motifs is not None
    assert m.geometry == Geometry(3072, 2048, (1, 32, 128), 128, 2.0)


def test_bgzip_genome_prepares_like_the_plain_one(
    tiny_bundle: TinyBundle, tiny_cache, tmp_path: Path
) -> None:
    from Bio import bgzf

    packed = tiny_bundle.root / "genome.fa.gz"
    with open(tiny_bundle.genome, "rb") as src, bgzf.BgzfWriter(str(packed), "wb") as dst:
        shutil.copyfileobj(src, dst)
    data = tiny_bundle.manifest_data()
    data["genome"] = "genome.fa.gz"
    tiny_bundle.write_manifest_data(data)
    cache = prepare_dataset(load_manifest(tiny_bundle.root), cache_dir=tmp_path, progress=False)
    assert cache.fingerprint != tiny_cache.fingerprint  # other file content, same sequences
    for kind, split in [("quantitative", "train"), ("binary", "test"), ("wholechrom", "test")]:
        a, b = cache.split(kind, split), tiny_cache.split(kind, split)
        np.testing.assert_array_equal(a.seq, b.seq)
        np.testing.assert_array_equal(a.coords, b.coords)
        np.testing.assert_array_equal(a.cov, b.cov)
