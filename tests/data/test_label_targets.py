"""Label-only targets and binary negatives in the dataset cache.

Built on the tiny hand-made bundle (targets A and B with tracks, replicate 2 and peaks); the
expected arrays are recomputed here from the bundle's ground truth (peak intervals, coverage),
not from benchsuite's own helpers.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
from benchsuite.data.manifest import (
    BinaryNegatives,
    load_manifest,
)
from benchsuite.data.prepare import _parameters, position_uniform, prepare_dataset, resolve_split

from .conftest import GEOMETRY, TinyBundle


def _direct_labels(bundle: TinyBundle, target: str, chrom: str, starts: np.ndarray) -> np.ndarray:
    """1 when a peak of ``target`` overlaps the central input window of each chunk (direct loop)."""
    flank = (GEOMETRY["chunk_length"] - GEOMETRY["input_length"]) // 2
    out = np.zeros(starts.size, dtype=np.uint8)
    for i, s in enumerate(starts):
        q0, q1 = s + flank, s + flank + GEOMETRY["input_length"]
        out[i] = any(c == chrom and a < q1 and b > q0 for c, a, b, _ in bundle.peak_intervals[target])
    return out


def _add_label_only_target(bundle: TinyBundle, *, negatives: dict | None = None) -> dict:
    """Targets: A (track + peaks), B (track only), C (peaks only: B's peak file)."""
    data = bundle.manifest_data()
    a, b = data["targets"]
    c = {"name": "C", "peaks": b.pop("peaks"), "description": "peaks only"}
    b.pop("replicate2")
    a.pop("replicate2")
    data["targets"] = [a, b, c]
    if negatives is not None:
        data["binary_negatives"] = negatives
    bundle.write_manifest_data(data)
    return data


def test_label_only_target_manifest_and_cache(tiny_bundle: TinyBundle, tmp_path) -> None:
    _add_label_only_target(tiny_bundle)
    m = load_manifest(tiny_bundle.root)
    assert m.target_names == ("A", "B", "C")
    assert m.coverage_target_names == ("A", "B") and m.label_target_names == ("A", "C")
    assert m.task_target_names("quantitative") == ("A", "B") and m.task_target_names("binary") == ("A", "C")
    c = m.targets[2]
    assert c.track is None and not c.has_coverage and c.has_labels
    assert [role for role, _ in m.input_files()].count("track:C") == 0

    cache = prepare_dataset(m, cache_dir=tmp_path, progress=False)
    assert cache.target_names == ("A", "B") and cache.label_target_names == ("A", "C")
    assert cache.task_target_names("binary") == ("A", "C")
    for split in ("train", "valid", "test"):
        binary = cache.split("binary", split)
        assert binary.cov.shape[1] == 2 and binary.labels is not None and binary.labels.shape[1] == 2
        assert not np.isnan(np.asarray(binary.cov, dtype=np.float32)).any()
        for ci, chrom in enumerate(binary.chroms):
            rows = binary.coords[:, 0] == ci
            if not rows.any():
                continue
            starts = binary.coords[rows, 1]
            np.testing.assert_array_equal(
                binary.labels[rows, 0], _direct_labels(tiny_bundle, "A", chrom, starts)
            )
            # C's labels are B's peaks (C reuses B's peak file)
            np.testing.assert_array_equal(
                binary.labels[rows, 1], _direct_labels(tiny_bundle, "B", chrom, starts)
            )
        # every peak-centred chunk holds a peak of A or C
        assert np.asarray(binary.labels).max(axis=1).min() == 1
    quant = cache.split("quantitative", "test")
    assert quant.cov.shape[1] == 2 and quant.labels is not None and quant.labels.shape[1] == 2
    meta = cache.meta["kinds"]["binary"]["train"]
    assert set(meta["positives"]) == {"A", "C"}

    # the DataModules report the task's targets
    qdm = QuantitativeDataModule(m, cache_dir=tmp_path, bin_size=10, progress=False)
    bdm = BinaryDataModule(m, cache_dir=tmp_path, progress=False)
    assert qdm.task_spec().num_targets == 2 and qdm.task_spec().target_names == ("A", "B")
    assert bdm.task_spec().num_targets == 2 and bdm.task_spec().target_names == ("A", "C")
    bdm.setup("fit")
    x, y = next(iter(bdm.train_dataloader()))
    assert x.shape[1:] == (4, GEOMETRY["input_length"]) and y.shape[1:] == (2,)
    qdm.setup("fit")
    x, y = next(iter(qdm.train_dataloader()))
    assert y.shape[1:] == (2, GEOMETRY["input_length"] // 10)


def test_fingerprint_parameters_unchanged_for_ordinary_bundles(tiny_bundle: TinyBundle) -> None:
    m = load_manifest(tiny_bundle.root)
    split = resolve_split(m, {"chr1": 1, "chr2": 1, "chr8": 1, "chr9": 1, "chrY": 1})
    params = _parameters(m, m.geometry, split)
    assert set(params) == {"geometry", "targets", "split", "map_chrom_names"}
    _add_label_only_target(tiny_bundle, negatives={"source": "genome", "fraction": 0.5})
    m2 = load_manifest(tiny_bundle.root)
    params2 = _parameters(m2, m2.geometry, split)
    assert params2["coverage_targets"] == ["A", "B"] and params2["label_targets"] == ["A", "C"]
    assert params2["binary_negatives"] == {"source": "genome", "fraction": 0.5}


@pytest.mark.parametrize("source", ["genome", "coverage-threshold"])
def test_binary_negatives(tiny_bundle: TinyBundle, tmp_path, source: str) -> None:
    data = tiny_bundle.manifest_data()
    data["binary_negatives"] = {"source": source}
    # the tiny bundle's background rarely exceeds 2; a lower threshold leaves peak-free chunks above it
    threshold = 1.2
    data["geometry"]["coverage_threshold"] = threshold
    tiny_bundle.write_manifest_data(data)
    m = load_manifest(tiny_bundle.root)
    assert m.binary_negatives == BinaryNegatives(source, 1.0)
    cache = prepare_dataset(m, cache_dir=tmp_path / "all", progress=False)
    chunk = GEOMETRY["chunk_length"]
    total_negatives = 0
    for split in ("train", "valid", "test"):
        arrays = cache.split("binary", split)
        labels = np.asarray(arrays.labels)
        negative = labels.max(axis=1) == 0
        info = cache.meta["kinds"]["binary"][split]
        assert info["negatives"]["kept"] == int(negative.sum())
        total_negatives += int(negative.sum())
        coords = arrays.coords
        # chunks never overlap
        for ci in np.unique(coords[:, 0]):
            starts = np.sort(coords[coords[:, 0] == ci, 1])
            assert (np.diff(starts) >= chunk).all()
        for row in np.flatnonzero(negative):
            chrom, start = arrays.chroms[coords[row, 0]], int(coords[row, 1])
            assert start % chunk == 0  # on the coverage-threshold grid
            # no peak of any target touches a negative chunk
            for target in ("A", "B"):
                assert not any(
                    c == chrom and a < start + chunk and b > start
                    for c, a, b, _ in tiny_bundle.peak_intervals[target]
                )
            true = np.stack([tiny_bundle.cov[t, chrom][start : start + chunk] for t in ("A", "B")])
            assert not np.isnan(true).any()
            if source == "coverage-threshold":
                assert true.max() > threshold
    assert total_negatives > 0
    below = sum(
        cache.meta["kinds"]["binary"][s]["negatives"]["below_threshold"] for s in ("train", "valid", "test")
    )
    assert (below > 0) == (source == "coverage-threshold")
    # thinning by a hash of the position: a subset, the same on every run
    data["binary_negatives"] = {"source": source, "fraction": 0.5}
    tiny_bundle.write_manifest_data(data)
    half = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "half", progress=False)
    assert half.fingerprint != cache.fingerprint
    for split in ("train", "valid", "test"):
        full, part = cache.split("binary", split), half.split("binary", split)
        neg_full = {tuple(c) for c, lab in zip(full.coords, full.labels, strict=True) if lab.max() == 0}
        neg_part = {tuple(c) for c, lab in zip(part.coords, part.labels, strict=True) if lab.max() == 0}
        assert neg_part <= neg_full
        expected = {
            (ci, s) for ci, s in neg_full if position_uniform(full.chroms[ci], np.array([s]))[0] < 0.5
        }
        assert neg_part == expected
        pos_full = {tuple(c) for c, lab in zip(full.coords, full.labels, strict=True) if lab.max() > 0}
        pos_part = {tuple(c) for c, lab in zip(part.coords, part.labels, strict=True) if lab.max() > 0}
        assert pos_full == pos_part


def test_position_uniform_is_uniform_and_deterministic() -> None:
    u = position_uniform("chr1", np.arange(0, 3_000_000, 300))
    assert ((u >= 0) & (u < 1)).all()
    assert abs(u.mean() - 0.5) < 0.01 and abs((u < 0.25).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(u, position_uniform("chr1", np.arange(0, 3_000_000, 300)))
    assert not np.array_equal(u, position_uniform("chr2", np.arange(0, 3_000_000, 300)))
