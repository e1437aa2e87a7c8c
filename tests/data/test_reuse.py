"""Cache reuse: the fingerprint (content, not location; every parameter) and rebuilding."""

from __future__ import annotations

import logging

import pytest

from benchsuite.data.cache import open_dataset_cache
from benchsuite.data.manifest import load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.data.reuse import fingerprint_parameters
from benchsuite.data.splits import resolve_split
from benchsuite.errors import DatasetError

from .conftest import (
    CHROM_SIZES,
    TRACK_CHROMS,
    TinyBundle,
    add_label_only_target,
    coords_of,
    write_bigwig_direct,
)


def test_cache_reuse_and_rebuild(tiny_bundle: TinyBundle, tmp_path, caplog) -> None:
    cache_dir = tmp_path / "cache"
    first = prepare_dataset(tiny_bundle.manifest, cache_dir=cache_dir, progress=False)
    assert not first.reused
    with caplog.at_level(logging.INFO, logger="benchsuite.data"):
        second = prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert second.reused and second.fingerprint == first.fingerprint
    assert "reusing" in caplog.text
    # a moved bundle keeps its fingerprint (content, not location)
    moved = tmp_path / "moved"
    tiny_bundle.root.rename(moved)
    assert prepare_dataset(moved, cache_dir=cache_dir, progress=False).reused
    moved.rename(tiny_bundle.root)
    # touching a file without changing it: same content, same fingerprint
    tiny_bundle.tracks["B"].touch()
    assert (
        prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False).fingerprint
        == first.fingerprint
    )
    # a changed track: new fingerprint, rebuilt
    values = {c: tiny_bundle.cov["B", c].copy() for c in TRACK_CHROMS}
    values["chr9"][100:110] = 7.0
    write_bigwig_direct(tiny_bundle.tracks["B"], {c: CHROM_SIZES[c] for c in TRACK_CHROMS}, values)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchsuite.data"):
        third = prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert not third.reused and third.fingerprint != first.fingerprint
    assert "reusing" not in caplog.text and "preparing" in caplog.text
    row = [
        i
        for i, (c, s) in enumerate(coords_of(third.split("quantitative", "valid")))
        if c == "chr9" and s == 0
    ]
    assert third.split("quantitative", "valid").cov[row[0], 1, 100:110].tolist() == [7.0] * 10
    # force rebuilds the same fingerprint
    forced = prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False, force=True)
    assert not forced.reused and forced.fingerprint == third.fingerprint
    assert sorted(p.name for p in cache_dir.iterdir() if not p.name.startswith(".")) == sorted(
        [first.fingerprint, third.fingerprint, "file-hashes.json"]
    )


def test_parameters_change_the_fingerprint(tiny_bundle: TinyBundle, tmp_path) -> None:
    base = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert prepare_dataset(
        tiny_bundle.root, cache_dir=tmp_path, progress=False, coverage_threshold=3
    ).fingerprint != (base.fingerprint)
    data = tiny_bundle.manifest_data()
    data["geometry"]["input_length"] = 100
    tiny_bundle.write_manifest_data(data)
    assert (
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False).fingerprint != base.fingerprint
    )


def test_incomplete_cache_is_rebuilt(tiny_bundle: TinyBundle, tmp_path) -> None:
    cache = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    (cache.root / "quantitative" / "train" / "seq.u8").write_bytes(b"short")
    with pytest.raises(DatasetError, match="wrong size"):
        open_dataset_cache(cache.root).split("quantitative", "train")
    rebuilt = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False, force=True)
    assert len(rebuilt.split("quantitative", "train")) == len(cache.split("quantitative", "train"))


def test_fingerprint_parameters_unchanged_for_ordinary_bundles(tiny_bundle: TinyBundle) -> None:
    m = load_manifest(tiny_bundle.root)
    split = resolve_split(m, {"chr1": 1, "chr2": 1, "chr8": 1, "chr9": 1, "chrY": 1})
    params = fingerprint_parameters(m, m.geometry, split)
    assert set(params) == {"geometry", "targets", "split", "map_chrom_names"}
    add_label_only_target(tiny_bundle, negatives={"source": "genome", "fraction": 0.5})
    m2 = load_manifest(tiny_bundle.root)
    params2 = fingerprint_parameters(m2, m2.geometry, split)
    assert params2["coverage_targets"] == ["A", "B"] and params2["label_targets"] == ["A", "C"]
    assert params2["binary_negatives"] == {"source": "genome", "fraction": 0.5}
