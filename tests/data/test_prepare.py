"""prepare_dataset: selection, arrays, labels, fingerprint/cache reuse, atomicity, bad inputs.

Every expectation is computed independently from the bundle files with pyfaidx and pyBigWig
(no benchsuite reader), chunk by chunk in plain Python.
"""

from __future__ import annotations

import hashlib
import json
import logging

import numpy as np
import pyBigWig
import pyfaidx
import pytest

from benchsuite.data.cache import open_dataset_cache
from benchsuite.data.manifest import load_manifest
from benchsuite.data.prepare import merge_peak_windows, prepare_dataset
from benchsuite.errors import ChromosomeNameError, DatasetError, InputFileError, ManifestError

from .conftest import CHROM_SIZES, EXCLUDED, GEOMETRY, TARGETS, TRACK_CHROMS, TinyBundle, write_bigwig_direct

C, L = GEOMETRY["chunk_length"], GEOMETRY["input_length"]
SPLIT_CHROMS = {"train": ["chr1", "chr2"], "valid": ["chr9"], "test": ["chr8"]}
_CODE = {"A": 0, "C": 1, "G": 2, "T": 3}


def direct_codes(fasta: pyfaidx.Fasta, chrom: str, start: int, end: int) -> np.ndarray:
    text = str(fasta[chrom][start:end]).upper()
    return np.array([_CODE.get(ch, 4) for ch in text], dtype=np.uint8)


class Direct:
    """Independent reads of the tiny bundle with pyfaidx and pyBigWig."""

    def __init__(self, bundle: TinyBundle):
        self.fasta = pyfaidx.Fasta(str(bundle.genome), as_raw=True)
        self.rep1 = {t: pyBigWig.open(str(bundle.tracks[t])) for t in TARGETS}
        self.rep2 = {t: pyBigWig.open(str(bundle.rep2[t])) for t in TARGETS}
        self.peaks = bundle.peak_intervals

    def codes(self, chrom: str, start: int, end: int) -> np.ndarray:
        return direct_codes(self.fasta, chrom, start, end)

    def cov(self, chrom: str, start: int, end: int, rep2: bool = False) -> np.ndarray:
        handles = self.rep2 if rep2 else self.rep1
        return np.stack([np.asarray(handles[t].values(chrom, start, end), dtype=np.float64) for t in TARGETS])

    def reason(self, chrom: str, start: int, end: int, with_rep2: bool) -> str | None:
        if any(c == chrom and s < end and e > start for c, s, e in EXCLUDED):
            return "excluded"
        if "N" in str(self.fasta[chrom][start:end]).upper():
            return "n_bases"
        cov = self.cov(chrom, start, end)
        if np.isnan(cov).any() or (with_rep2 and np.isnan(self.cov(chrom, start, end, rep2=True)).any()):
            return "nan"
        return None

    def label(self, target: str, chrom: str, start: int, end: int) -> int:
        return int(any(c == chrom and s < end and e > start for c, s, e, _ in self.peaks[target]))


@pytest.fixture(scope="module")
def direct(tiny_bundle_template: TinyBundle) -> Direct:
    return Direct(tiny_bundle_template)


def expected_quantitative(
    direct: Direct, split: str, threshold: float
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    kept, dropped = [], {"excluded": 0, "n_bases": 0, "nan": 0, "below_threshold": 0}
    for chrom in SPLIT_CHROMS[split]:
        for start in range(0, CHROM_SIZES[chrom] - C + 1, C):
            reason = direct.reason(chrom, start, start + C, with_rep2=split == "test")
            if reason is None and not direct.cov(chrom, start, start + C).max() > threshold:
                reason = "below_threshold"
            if reason is None:
                kept.append((chrom, start))
            else:
                dropped[reason] += 1
    return kept, dropped


def coords_of(arrays) -> list[tuple[str, int]]:
    return [(arrays.chroms[int(c)], int(s)) for c, s in arrays.coords]


# ------------------------------------------------------------------------------ selection


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
    assert arrays.labels is None
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


def test_merge_peak_windows_by_hand() -> None:
    starts, dropped = merge_peak_windows(np.array([1090, 1000, 1050, 2000]), 10_000, 300, 200)
    assert starts.tolist() == [1045 - 150, 2000 - 150]
    assert dropped == {"edge": 0, "overlap": 0}
    # 50: the centred window would start at -100; shifted to 0, 50 is still central (50..250)
    # 1150: the previous window ends at 1150, so 1150 can only lie in a flank -> overlap
    # 9990: a window ending at the chromosome end has its central part at 9750..9950 -> edge
    starts, dropped = merge_peak_windows(np.array([50, 1000, 1150, 9990]), 10_000, 300, 200)
    assert starts.tolist() == [0, 850]
    assert dropped == {"edge": 1, "overlap": 1}
    # 1000 -> window 850..1150 (central 900..1100); 1120 lies in its flank -> overlap;
    # 1250 -> centred at 1100 would overlap, shifted right to 1150 (central 1200..1400) it fits
    starts, dropped = merge_peak_windows(np.array([1000, 1120, 1250]), 10_000, 300, 200)
    assert starts.tolist() == [850, 1150]
    assert dropped == {"edge": 0, "overlap": 1}


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


# ------------------------------------------------------------------------------ cache reuse


def test_cache_reuse_and_rebuild(tiny_bundle: TinyBundle, tmp_path, caplog) -> None:
    cache_dir = tmp_path / "cache"
    first = prepare_dataset(tiny_bundle.manifest, cache_dir=cache_dir, progress=False)
    assert not first.reused
    with caplog.at_level(logging.INFO, logger="benchsuite.data.prepare"):
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
    with caplog.at_level(logging.INFO, logger="benchsuite.data.prepare"):
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


def test_default_cache_dir_from_environment(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BENCHSUITE_CACHE", str(tmp_path / "envcache"))
    cache = prepare_dataset(tiny_bundle.root, progress=False)
    assert cache.root.parent == tmp_path / "envcache"


def test_interrupted_prepare_leaves_no_cache(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    from benchsuite.data import prepare as prepare_module

    calls = {"n": 0}
    original = prepare_module._Builder._emit

    def failing_emit(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt("simulated interruption")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(prepare_module._Builder, "_emit", failing_emit)
    cache_dir = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert calls["n"] == 5
    leftovers = [p for p in cache_dir.iterdir() if p.is_dir()]
    assert leftovers == [], leftovers
    assert not list(cache_dir.rglob("meta.json"))
    monkeypatch.setattr(prepare_module._Builder, "_emit", original)
    cache = prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert not cache.reused and len(cache.split("quantitative", "train")) > 0


def test_incomplete_cache_is_rebuilt(tiny_bundle: TinyBundle, tmp_path) -> None:
    cache = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    (cache.root / "quantitative" / "train" / "seq.u8").write_bytes(b"short")
    with pytest.raises(DatasetError, match="wrong size"):
        open_dataset_cache(cache.root).split("quantitative", "train")
    rebuilt = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False, force=True)
    assert len(rebuilt.split("quantitative", "train")) == len(cache.split("quantitative", "train"))


# ------------------------------------------------------------------------------ bad inputs


def test_track_lacking_a_chromosome(tiny_bundle: TinyBundle, tmp_path) -> None:
    sizes = {c: CHROM_SIZES[c] for c in TRACK_CHROMS if c != "chr2"}
    write_bigwig_direct(tiny_bundle.tracks["A"], sizes, {c: tiny_bundle.cov["A", c] for c in sizes})
    with pytest.raises(InputFileError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    message = str(info.value)
    assert "A.rep1.bw" in message and "chr2" in message
    assert info.value.hint


def test_empty_selection_after_thresholding(tiny_bundle: TinyBundle, tmp_path) -> None:
    with pytest.raises(DatasetError) as info:
        prepare_dataset(
            tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False, coverage_threshold=100
        )
    message = str(info.value)
    assert "manifest.yaml" in message and "train" in message and "100" in message
    assert "--threshold" in (info.value.hint or "")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]  # nothing half-built left


def test_chromosome_name_mismatch(tiny_bundle: TinyBundle, tmp_path) -> None:
    sizes = {c.removeprefix("chr"): CHROM_SIZES[c] for c in TRACK_CHROMS}
    values = {c.removeprefix("chr"): tiny_bundle.cov["B", c] for c in TRACK_CHROMS}
    write_bigwig_direct(tiny_bundle.tracks["B"], sizes, values)
    with pytest.raises(ChromosomeNameError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "B.rep1.bw" in str(info.value) and "map_chrom_names" in str(info.value)
    # opting into name mapping reads the same data
    data = tiny_bundle.manifest_data()
    data["map_chrom_names"] = True
    tiny_bundle.write_manifest_data(data)
    mapped = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    arrays = mapped.split("quantitative", "test")
    assert len(arrays) > 0
    for i, (chrom, start) in enumerate(coords_of(arrays)):
        np.testing.assert_array_equal(arrays.cov[i, 1], tiny_bundle.cov["B", chrom][start : start + C])


def test_peaks_name_mismatch_and_past_end(tiny_bundle: TinyBundle, tmp_path) -> None:
    peaks = tiny_bundle.peaks["A"]
    original = peaks.read_text()
    peaks.write_text(original.replace("chr", ""))
    with pytest.raises(ChromosomeNameError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "A.narrowPeak" in str(info.value)
    peaks.write_text(
        original + f"chr9\t{CHROM_SIZES['chr9'] - 10}\t{CHROM_SIZES['chr9'] + 50}\tbad\t1\t.\t1\t1\t1\t5\n"
    )
    with pytest.raises(InputFileError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "A.narrowPeak" in str(info.value) and "past" in str(info.value)


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


def test_missing_data_is_not_zero(tiny_cache) -> None:
    # chr2 holds a NaN gap in target A at 6000-6900: no chunk may overlap it, and no cached
    # coverage is NaN anywhere
    for split in ("train", "valid", "test"):
        arrays = tiny_cache.split("quantitative", split)
        assert not np.isnan(np.asarray(arrays.cov, dtype=np.float32)).any()
    train = coords_of(tiny_cache.split("quantitative", "train"))
    assert not [s for c, s in train if c == "chr2" and s < 6_900 and s + C > 6_000]


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


def test_resolve_split_default_exclude_any_spelling(tiny_bundle_template: TinyBundle) -> None:
    from dataclasses import replace

    from benchsuite.data.manifest import SplitSpec
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
