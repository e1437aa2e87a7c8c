"""Region splits (test/valid BED regions inside chromosomes), fold files, and the leakage check."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from rich.console import Console

from benchsuite.cli.data import render_summary
from benchsuite.data.manifest import load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import InputFileError, ManifestError

from .conftest import GEOMETRY, TinyBundle

C, L = GEOMETRY["chunk_length"], GEOMETRY["input_length"]
TEST_REGIONS = [("chr1", 0, 9_000), ("chr1", 27_000, 30_000)]
VALID_REGIONS = [("chr1", 12_000, 18_000)]


def _bed(path, rows) -> None:
    path.write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))


def _region_split(bundle: TinyBundle, test=TEST_REGIONS, valid=VALID_REGIONS, **extra) -> None:
    _bed(bundle.root / "test.bed", test)
    _bed(bundle.root / "valid.bed", valid)
    data = bundle.manifest_data()
    data["split"] = {"test_regions": "test.bed", "valid_regions": "valid.bed", "train": ["chr1"], **extra}
    bundle.write_manifest_data(data)


def _inside(starts, width, regions) -> np.ndarray:
    return np.array([any(s <= a and a + width <= e for _, s, e in regions) for a in starts])


def _touches(starts, width, regions) -> np.ndarray:
    return np.array([any(a < e and s < a + width for _, s, e in regions) for a in starts])


def _summary(cache) -> str:
    stream = io.StringIO()
    render_summary(cache, Console(file=stream, width=400))
    return stream.getvalue()


def test_one_chromosome_split_by_regions(tiny_bundle: TinyBundle, tmp_path) -> None:
    """chr1 alone: test and validation windows inside their regions, training windows outside both."""
    _region_split(tiny_bundle)
    cache = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False)
    assert cache.meta["split"] == {"train": ["chr1"], "valid": ["chr1"], "test": ["chr1"]}
    held_out = TEST_REGIONS + VALID_REGIONS
    for kind in ("quantitative", "binary"):
        test, valid, train = (cache.split(kind, s) for s in ("test", "valid", "train"))
        assert len(test) and len(valid) and len(train)
        assert _inside(test.coords[:, 1], C, TEST_REGIONS).all()
        assert _inside(valid.coords[:, 1], C, VALID_REGIONS).all()
        assert not _touches(train.coords[:, 1], C, held_out).any()  # the whole chunk: every shift
        assert cache.meta["kinds"][kind]["train"]["leakage"] == {
            "checked": len(train),
            "touching_held_out": 0,
        }
        assert cache.meta["kinds"][kind]["valid"]["leakage"]["touching_held_out"] == 0
        assert cache.meta["kinds"][kind]["train"]["dropped"]["other_split"] > 0
    tiles = cache.split("wholechrom", "test")
    assert len(tiles) and _inside(tiles.coords[:, 1], L, TEST_REGIONS).all()
    assert cache.meta["split_regions"] == {"test": "test.bed", "valid": "valid.bed"}
    text = _summary(cache)
    assert "by regions: test test.bed, validation valid.bed (training chunks outside both)" in text
    n_train = sum(cache.count(k, "train") for k in ("quantitative", "binary"))
    n_valid = sum(cache.count(k, "valid") for k in ("quantitative", "binary"))
    assert (
        f"leakage check: 0 of {n_train:,} training and {n_valid:,} validation chunks overlap a test "
        f"(or, for training, validation) region; a {C}-bp chunk holds every shifted {L}-bp input"
    ) in text
    assert "other split" in text


def test_region_files_are_in_the_fingerprint(tiny_bundle: TinyBundle, tmp_path) -> None:
    _region_split(tiny_bundle)
    first = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False)
    _bed(tiny_bundle.root / "test.bed", [("chr1", 0, 8_000)])
    second = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False)
    assert first.fingerprint != second.fingerprint
    roles = [item["role"] for item in second.meta["inputs"]]
    assert "split.test_regions" in roles and "split.valid_regions" in roles


def test_chromosome_split_reports_the_leakage_check(tiny_cache) -> None:
    assert tiny_cache.meta["kinds"]["quantitative"]["train"]["leakage"]["touching_held_out"] == 0
    assert "leakage check: 0 of " in _summary(tiny_cache)
    assert "other split" not in _summary(tiny_cache)


def test_overlapping_test_and_valid_regions(tiny_bundle: TinyBundle, tmp_path) -> None:
    _region_split(tiny_bundle, valid=[("chr1", 8_000, 12_000)])
    with pytest.raises(ManifestError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert (
        "field 'split': test region chr1:0-9000 (test.bed) overlaps a validation region (valid.bed)"
        in str(info.value)
    )
    assert info.value.hint == "test and validation regions must be disjoint"


def test_region_split_needs_both_files(tiny_bundle: TinyBundle) -> None:
    _bed(tiny_bundle.root / "test.bed", TEST_REGIONS)
    data = tiny_bundle.manifest_data()
    data["split"] = {"test_regions": "test.bed"}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(
        ManifestError, match="field 'split.valid_regions': missing: a region split needs both"
    ):
        load_manifest(tiny_bundle.root)
    data["split"] = {"test_regions": "test.bed", "valid_regions": "valid.bed", "test": ["chr8"]}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError, match="unknown"):
        load_manifest(tiny_bundle.root)


def test_region_off_the_genome(tiny_bundle: TinyBundle, tmp_path) -> None:
    _region_split(tiny_bundle, test=[("chrZ", 0, 100)])
    with pytest.raises(InputFileError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "chrZ" in str(info.value) and "test.bed" in str(info.value)


# --------------------------------------------------------------------------- folds


def _folds(bundle: TinyBundle, folds: list[dict]) -> None:
    (bundle.root / "folds").mkdir()
    for k, fold in enumerate(folds):
        (bundle.root / "folds" / f"fold_{k}.json").write_text(json.dumps(fold))


FOLDS = [
    {"train": ["chr1", "chr2"], "valid": ["chr9"], "test": ["chr8"]},
    {"train": ["chr2", "chr8"], "valid": ["chr9"], "test": ["chr1"]},
]


def test_fold_file_selects_the_split(tiny_bundle: TinyBundle, tmp_path) -> None:
    _folds(tiny_bundle, FOLDS)
    data = tiny_bundle.manifest_data()
    fingerprints = []
    for k, fold in enumerate(FOLDS):
        data["split"] = {"folds": "folds", "fold": k}
        tiny_bundle.write_manifest_data(data)
        cache = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False)
        assert cache.meta["split"] == {s: fold[s] for s in ("train", "valid", "test")}
        assert cache.meta["split_fold"] == str((tiny_bundle.root / "folds" / f"fold_{k}.json").resolve())
        assert f"fold file {cache.meta['split_fold']}" in _summary(cache)
        fingerprints.append(cache.fingerprint)
    assert fingerprints[0] != fingerprints[1]


def test_missing_fold_lists_the_fold_files(tiny_bundle: TinyBundle) -> None:
    _folds(tiny_bundle, FOLDS)
    data = tiny_bundle.manifest_data()
    data["split"] = {"folds": "folds", "fold": 5}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError) as info:
        load_manifest(tiny_bundle.root)
    assert "field 'split.fold': no fold file fold_5.json in" in str(info.value)
    assert info.value.hint == "fold files found: fold_0.json, fold_1.json (named fold_<k>.json)"


def test_malformed_fold_file(tiny_bundle: TinyBundle) -> None:
    (tiny_bundle.root / "fold.json").write_text(json.dumps({"train": ["chr1"], "test": ["chr8"]}))
    data = tiny_bundle.manifest_data()
    data["split"] = {"folds": "fold.json"}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError, match="is not an object with train, valid and test lists"):
        load_manifest(tiny_bundle.root)


def test_fold_with_a_chromosome_twice(tiny_bundle: TinyBundle) -> None:
    (tiny_bundle.root / "fold.json").write_text(
        json.dumps({"train": ["chr1", "chr8"], "valid": ["chr9"], "test": ["chr8"]})
    )
    data = tiny_bundle.manifest_data()
    data["split"] = {"folds": "fold.json"}
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError, match="chromosome 'chr8' is in both"):
        load_manifest(tiny_bundle.root)
