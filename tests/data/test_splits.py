"""resolve_split: the split's chromosomes in the genome (names, defaults, errors)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchsuite.data.manifest import SplitSpec, load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import ChromosomeNameError, ManifestError

from .conftest import CHROM_SIZES, TinyBundle


def test_split_chromosome_not_in_genome(tiny_bundle: TinyBundle, tmp_path) -> None:
    data = tiny_bundle.manifest_data()
    data["split"]["test"] = ["chr5"]
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert (
        "manifest.yaml" in str(info.value) and "split.test" in str(info.value) and "chr5" in str(info.value)
    )
    data["split"]["test"] = ["8"]  # chr8 spelled the Ensembl way
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ChromosomeNameError, match="map_chrom_names"):
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)


def test_resolve_split_default_exclude_any_spelling(tiny_bundle_template: TinyBundle) -> None:

    from benchsuite.data.prepare import resolve_split

    manifest = load_manifest(tiny_bundle_template.root)
    ensembl = {"1": 10, "2": 10, "8": 10, "9": 10, "Y": 10, "MT": 10}
    m = replace(manifest, split=SplitSpec(test=("8",), valid=("9",), train=None, exclude=("chrY", "chrM")))
    assert resolve_split(m, ensembl) == {"train": ["1", "2"], "valid": ["9"], "test": ["8"]}
    explicit = replace(
        manifest, split=SplitSpec(test=("chr8",), valid=("chr9",), train=("chr2",), exclude=())
    )
    assert resolve_split(explicit, CHROM_SIZES) == {"train": ["chr2"], "valid": ["chr9"], "test": ["chr8"]}
    mapped = replace(manifest, map_chrom_names=True)  # chr8/chr9 of the manifest -> 8/9 of the genome
    assert resolve_split(mapped, ensembl) == {"train": ["1", "2", "MT"], "valid": ["9"], "test": ["8"]}
