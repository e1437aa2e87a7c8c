"""A genome bundle of peak files only (targets with ``peaks:``, no ``track:``): prepare builds the
peak-centred and whole-chromosome sets, no coverage-threshold set, and says why."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.manifest import load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import ManifestError
from tests.data.conftest import make_tiny_bundle


def _peaks_only(root, **extra):
    bundle = make_tiny_bundle(root)
    data = bundle.manifest_data()
    for target in data["targets"]:
        target.pop("track")
        target.pop("replicate2")
    data.update(extra)
    bundle.write_manifest_data(data)
    return bundle


def test_prepare_builds_binary_and_tiles_without_coverage(tmp_path):
    bundle = _peaks_only(tmp_path / "bundle", binary_negatives={"source": "genome"})
    cache = prepare_dataset(bundle.root, cache_dir=tmp_path / "cache", progress=False)
    assert not any(cache.has("quantitative", s) for s in ("train", "valid", "test"))
    assert all(cache.has("binary", s) and cache.count("binary", s) > 0 for s in ("train", "valid", "test"))
    assert cache.has("wholechrom", "test")
    assert cache.meta["unavailable"]["quantitative"].startswith("no target has a coverage track in ")
    labels = np.asarray(cache.split("binary", "test").labels)
    assert labels.shape[1] == 2 and 0 < labels.mean() < 1  # genome negatives: both classes


def test_coverage_threshold_negatives_need_coverage(tmp_path):
    bundle = _peaks_only(tmp_path / "bundle", binary_negatives=True)
    with pytest.raises(ManifestError) as info:
        load_manifest(bundle.root)
    assert "binary_negatives.source" in str(info.value) and "needs coverage" in str(info.value)
    assert "{source: genome}" in (info.value.hint or "")
