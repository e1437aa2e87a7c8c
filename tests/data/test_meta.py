"""meta.json of a cache, and the error for an empty coverage-threshold selection."""

from __future__ import annotations

import hashlib
import json

import pytest

from benchsuite.data.cache import open_dataset_cache
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import DatasetError

from .conftest import GEOMETRY, SPLIT_CHROMS, TARGETS, TinyBundle

C = GEOMETRY["chunk_length"]


def test_meta_records_inputs_and_geometry(tiny_cache, tiny_bundle_template: TinyBundle) -> None:
    meta = json.loads((tiny_cache.root / "meta.json").read_text())
    assert meta["fingerprint"] == tiny_cache.fingerprint == tiny_cache.root.name
    assert meta["targets"] == list(TARGETS)
    assert meta["geometry"]["chunk_length"] == C and meta["geometry"]["coverage_threshold"] == 2.0
    assert meta["split"] == SPLIT_CHROMS
    by_role = {item["role"]: item for item in meta["inputs"]}
    for role, path in [
        ("genome", tiny_bundle_template.genome),
        ("track:A", tiny_bundle_template.tracks["A"]),
        ("replicate2:B", tiny_bundle_template.rep2["B"]),
        ("peaks:A", tiny_bundle_template.peaks["A"]),
        ("excluded", tiny_bundle_template.excluded),
    ]:
        assert by_role[role]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert open_dataset_cache(tiny_cache.root).meta == meta


def test_empty_selection_after_thresholding(tiny_bundle: TinyBundle, tmp_path) -> None:
    with pytest.raises(DatasetError) as info:
        prepare_dataset(
            tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False, coverage_threshold=100
        )
    message = str(info.value)
    assert "manifest.yaml" in message and "train" in message and "100" in message
    assert "--threshold" in (info.value.hint or "")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]  # nothing half-built left
