"""The chunk builder (through prepare_dataset): selection, arrays, labels, blocks, label targets.

Built on the tiny hand-made bundle (targets A and B with tracks, replicate 2 and peaks). Every
expectation is computed independently from the bundle files with pyfaidx and pyBigWig or from
the bundle's ground truth (peak intervals, coverage), chunk by chunk in plain Python, not from
benchsuite's own helpers.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
from benchsuite.data.manifest import BinaryNegatives, load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.data.windows import position_uniform
from benchsuite.errors import DatasetError

from .conftest import (
    CHROM_SIZES,
    GEOMETRY,
    SPLIT_CHROMS,
    TARGETS,
    TRACK_CHROMS,
    Direct,
    TinyBundle,
    add_label_only_target,
    coords_of,
    expected_quantitative,
    write_bigwig_direct,
)

C, L = GEOMETRY["chunk_length"], GEOMETRY["input_length"]


# ------------------------------------------------------------------ selection and arrays


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_quantitative_selection_matches_direct_computation(tiny_cache, direct: Direct, split: str) -> None:
    arrays = tiny_cache.split("quantitative", split)
    kept, dropped = expected_quantitative(direct, split, GEOMETRY["coverage_threshold"])
    assert coords_of(arrays) == kept
    info = tiny_cache.meta["kinds"]["quantitative"][split]
    assert info["dropped"] == dropped
    assert info["n"] == len(kept) == len(arrays)
    assert info["candidates"] == len(kept) + sum(dropped.values())
    # the fixture really exercises every rule
    if split == "train":
        assert dropped["excluded"] > 0 and dropped["n_bases"] > 0 and dropped["nan"] > 0
        assert dropped["below_threshold"] > 0 and len(kept) > 0


def test_threshold_override_selects_exactly_chunks_above(
    tiny_bundle_template: TinyBundle, direct: Direct, tmp_path
) -> None:
    cache = prepare_dataset(
        tiny_bundle_template.manifest, cache_dir=tmp_path, coverage_threshold=6.5, progress=False
    )
    assert cache.geometry.coverage_threshold == 6.5
    for split in ("train", "valid", "test"):
        kept, dropped = expected_quantitative(direct, split, 6.5)
        assert coords_of(cache.split("quantitative", split)) == kept
        assert (
            cache.meta["kinds"]["quantitative"][split]["dropped"]["below_threshold"]
            == dropped["below_threshold"]
        )


def test_arrays_equal_direct_reads(tiny_cache, direct: Direct) -> None:
    for kind, split in [(k, s) for k in ("quantitative", "binary") for s in ("train", "valid", "test")] + [
        ("wholechrom", "test")
    ]:
        arrays = tiny_cache.split(kind, split)
        assert len(arrays) > 0, (kind, split)
        test = split == "test"
        assert arrays.seq.dtype == np.uint8
        assert arrays.cov.dtype == (np.float32 if test else np.float16)
        assert arrays.cov.shape == (len(arrays), len(TARGETS), arrays.width)
        assert (arrays.cov_rep2 is not None) == test
        for i, (chrom, start) in enumerate(coords_of(arrays)):
            end = start + arrays.width
            np.testing.assert_array_equal(arrays.seq[i], direct.codes(chrom, start, end))
            # values lie on a 1/8 grid, exact in float16: equality, not closeness
            np.testing.assert_array_equal(arrays.cov[i].astype(np.float64), direct.cov(chrom, start, end))
            if test:
                np.testing.assert_array_equal(arrays.cov_rep2[i], direct.cov(chrom, start, end, rep2=True))


def test_wholechrom_tiles_cover_test_chromosome(tiny_cache, direct: Direct) -> None:
    arrays = tiny_cache.split("wholechrom", "test")
    assert arrays.width == L
    expected, dropped = [], {"excluded": 0, "n_bases": 0, "nan": 0}
    for start in range(0, CHROM_SIZES["chr8"] - L + 1, L):
        reason = direct.reason("chr8", start, start + L, with_rep2=True)
        if reason is None:
            expected.append(("chr8", start))
        else:
            dropped[reason] += 1
    assert coords_of(arrays) == expected
    assert tiny_cache.meta["kinds"]["wholechrom"]["test"]["dropped"] == dropped
    # every tile carries its peak labels (genome-wide peak detection): 1 when a peak overlaps it
    assert arrays.labels is not None and arrays.labels.shape == (len(arrays), len(TARGETS))
    for i, (chrom, start) in enumerate(coords_of(arrays)):
        assert arrays.labels[i].tolist() == [direct.label(t, chrom, start, start + L) for t in TARGETS]
    assert 0 < int(np.asarray(arrays.labels).sum()) < arrays.labels.size
    with pytest.raises(DatasetError, match="wholechrom"):
        tiny_cache.split("wholechrom", "train")


def test_binary_windows_and_labels(tiny_cache, direct: Direct) -> None:
    summits = {chrom: [] for chrom in CHROM_SIZES}
    for target in TARGETS:
        for chrom, s, _e, offset in direct.peaks[target]:
            summits[chrom].append(s + offset)
    for split in ("train", "valid", "test"):
        arrays = tiny_cache.split("binary", split)
        info = tiny_cache.meta["kinds"]["binary"][split]
        coords = coords_of(arrays)
        assert arrays.labels is not None and arrays.labels.shape == (len(arrays), len(TARGETS))
        for chrom in SPLIT_CHROMS[split]:
            starts = [s for c, s in coords if c == chrom]
            assert starts == sorted(starts)
            assert all(b - a >= C for a, b in zip(starts, starts[1:], strict=False)), "windows overlap"
            assert all(s >= 0 and s + C <= CHROM_SIZES[chrom] for s in starts)
        for i, (chrom, start) in enumerate(coords):
            c0, c1 = start + (C - L) // 2, start + (C - L) // 2 + L
            assert any(c0 <= m < c1 for m in summits[chrom]), "window not centred on a peak"
            assert direct.reason(chrom, start, start + C, with_rep2=split == "test") is None
            expected = [direct.label(t, chrom, c0, c1) for t in TARGETS]
            assert arrays.labels[i].tolist() == expected
        tally = info["peak_summits"]
        assert tally["total"] == sum(len(summits[c]) for c in SPLIT_CHROMS[split])
        inside = sum(
            any(s + (C - L) // 2 <= m < s + (C - L) // 2 + L for c, s in coords if c == chrom)
            for chrom in SPLIT_CHROMS[split]
            for m in summits[chrom]
        )
        assert inside <= tally["total"] - tally["outside_overlap"] - tally["outside_edge"]
        assert inside > 0.5 * tally["total"]
        positives = arrays.labels.astype(int).sum(axis=0)
        assert info["positives"] == dict(zip(TARGETS, positives.tolist(), strict=True))
        assert positives.min() > 0 and positives.max() < len(arrays)  # both classes present


def test_quantitative_test_labels(tiny_cache, direct: Direct) -> None:
    arrays = tiny_cache.split("quantitative", "test")
    assert arrays.labels is not None
    for i, (chrom, start) in enumerate(coords_of(arrays)):
        c0 = start + (C - L) // 2
        assert arrays.labels[i].tolist() == [direct.label(t, chrom, c0, c0 + L) for t in TARGETS]
    assert tiny_cache.split("quantitative", "train").labels is None


def test_missing_data_is_not_zero(tiny_cache) -> None:
    # chr2 holds a NaN gap in target A at 6000-6900: no chunk may overlap it, and no cached
    # coverage is NaN anywhere
    for split in ("train", "valid", "test"):
        arrays = tiny_cache.split("quantitative", split)
        assert not np.isnan(np.asarray(arrays.cov, dtype=np.float32)).any()
    train = coords_of(tiny_cache.split("quantitative", "train"))
    assert not [s for c, s in train if c == "chr2" and s < 6_900 and s + C > 6_000]


def test_binary_needs_peaks(tiny_bundle: TinyBundle, tmp_path) -> None:
    data = tiny_bundle.manifest_data()
    for target in data["targets"]:
        del target["peaks"]
    tiny_bundle.write_manifest_data(data)
    cache = prepare_dataset(load_manifest(tiny_bundle.root), cache_dir=tmp_path, progress=False)
    assert not cache.has("binary", "train") and cache.split("quantitative", "test").labels is None
    assert cache.label_target_names == ()
    with pytest.raises(DatasetError, match="peaks") as info:
        cache.split("binary", "train")
    assert "manifest.yaml" in str(info.value)


def test_block_size_does_not_change_the_result(
    tiny_bundle_template: TinyBundle, tiny_cache, tmp_path
) -> None:
    small = prepare_dataset(tiny_bundle_template.manifest, cache_dir=tmp_path, progress=False, block_size=1)
    assert small.fingerprint == tiny_cache.fingerprint
    for kind, split in [("quantitative", "train"), ("binary", "test"), ("wholechrom", "test")]:
        a, b = small.split(kind, split), tiny_cache.split(kind, split)
        np.testing.assert_array_equal(a.coords, b.coords)
        np.testing.assert_array_equal(a.seq, b.seq)
        np.testing.assert_array_equal(a.cov, b.cov)
    assert small.meta["kinds"] == tiny_cache.meta["kinds"]


def _write_tiled_bundle(src: TinyBundle, root, copies: int) -> None:
    """Like the tiny bundle (no peaks, no excluded regions), each chromosome repeated ``copies`` times."""
    import yaml

    from .conftest import write_fasta

    (root / "tracks").mkdir(parents=True)
    write_fasta(root / "genome.fa", {c: s * copies for c, s in src.seqs.items()})
    sizes = {c: CHROM_SIZES[c] * copies for c in TRACK_CHROMS}
    targets = []
    for t in TARGETS:
        values = {c: np.tile(src.cov[t, c], copies) for c in TRACK_CHROMS}
        write_bigwig_direct(root / "tracks" / f"{t}.bw", sizes, values)
        targets.append({"name": t, "track": f"tracks/{t}.bw"})
    manifest = {"name": f"x{copies}", "genome": "genome.fa", "targets": targets, "geometry": GEOMETRY}
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest))


def test_prepare_memory_does_not_grow_with_chromosome_length(
    tiny_bundle_template: TinyBundle, tmp_path
) -> None:
    import tracemalloc

    peaks, counts = {}, {}
    for copies in (1, 4):
        root = tmp_path / f"x{copies}"
        _write_tiled_bundle(tiny_bundle_template, root, copies)
        manifest = load_manifest(root)
        # warm-up: first-use costs (imports, FASTA index) are not part of the measurement
        prepare_dataset(manifest, cache_dir=tmp_path / "cache", progress=False, block_size=3 * C)
        tracemalloc.start()
        cache = prepare_dataset(
            manifest, cache_dir=tmp_path / "cache", progress=False, block_size=3 * C, force=True
        )
        peaks[copies] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        counts[copies] = cache.count("quantitative", "train")
    assert counts[4] > 3 * counts[1]  # the data really is 4x larger ...
    assert peaks[4] < 1.5 * peaks[1], peaks  # ... but the peak memory is not


# ------------------------------------------------------------------ label-only targets and negatives


def _direct_labels(bundle: TinyBundle, target: str, chrom: str, starts: np.ndarray) -> np.ndarray:
    """1 when a peak of ``target`` overlaps the central input window of each chunk (direct loop)."""
    flank = (GEOMETRY["chunk_length"] - GEOMETRY["input_length"]) // 2
    out = np.zeros(starts.size, dtype=np.uint8)
    for i, s in enumerate(starts):
        q0, q1 = s + flank, s + flank + GEOMETRY["input_length"]
        out[i] = any(c == chrom and a < q1 and b > q0 for c, a, b, _ in bundle.peak_intervals[target])
    return out


def test_label_only_target_manifest_and_cache(tiny_bundle: TinyBundle, tmp_path) -> None:
    add_label_only_target(tiny_bundle)
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
