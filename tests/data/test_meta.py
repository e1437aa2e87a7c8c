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


# --------------------------------------------------------------------------- label sanity


def _one_label_target(bundle: TinyBundle) -> None:
    data = bundle.manifest_data()
    data["targets"][1].pop("peaks")  # B keeps its track; A is the only label target
    bundle.write_manifest_data(data)


def test_single_label_target_warns_only_positives_with_the_fix(tiny_bundle: TinyBundle, tmp_path, caplog):
    import io
    import logging

    from rich.console import Console

    from benchsuite.cli.data import render_summary

    _one_label_target(tiny_bundle)
    with caplog.at_level(logging.WARNING, logger="benchsuite.data.meta"):
        cache = prepare_dataset(tiny_bundle.manifest, cache_dir=tmp_path / "cache", progress=False)
    warnings = cache.meta["label_warnings"]
    n = {s: cache.count("binary", s) for s in ("train", "valid", "test")}
    assert warnings == [
        f"label target 'A': all {n[s]} {s} chunks of the binary dataset are positive, so its "
        "AUROC/AUPR are undefined there and training has no negatives (fix: add peak-free chunks as "
        "negatives with `binary_negatives: {source: coverage-threshold}` (or `source: genome`) in the "
        "manifest)"
        for s in ("train", "valid", "test")
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "benchsuite.data.meta"]
    assert logged == [f"tiny: {w}" for w in warnings]
    stream = io.StringIO()
    render_summary(cache, Console(file=stream, width=400))
    assert f"warning {warnings[2]}" in stream.getvalue()


def test_binary_negatives_clear_the_warning(tiny_bundle: TinyBundle, tmp_path):
    _one_label_target(tiny_bundle)
    data = tiny_bundle.manifest_data()
    data["binary_negatives"] = {"source": "genome"}
    tiny_bundle.write_manifest_data(data)
    cache = prepare_dataset(tiny_bundle.manifest, cache_dir=tmp_path / "cache", progress=False)
    assert cache.meta["label_warnings"] == []


def test_label_warnings_only_negatives_names_the_split():
    from types import SimpleNamespace

    from benchsuite.data.meta import label_warnings

    kinds = {"binary": {"train": {"n": 10, "positives": {"A": 4, "B": 0}}, "test": {"n": 0}}}
    assert label_warnings(SimpleNamespace(binary_negatives=None), kinds) == [
        "label target 'B': none of the 10 train chunks of the binary dataset is positive (no peak of "
        "it in the train chromosomes), so its AUROC/AUPR are undefined there (fix: choose a split "
        "whose train chromosomes hold its peaks)"
    ]
    assert label_warnings(SimpleNamespace(binary_negatives=None), {"binary": None}) == []


def test_tiny_bundle_has_no_label_warning(tiny_cache):
    assert tiny_cache.meta["label_warnings"] == []
