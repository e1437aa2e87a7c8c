"""A corpus of malformed inputs: each fails ``prepare`` (or ``simulate``) with one clear error.

Every case copies the tiny bundle, breaks one thing, and asserts the error class, the file
and the position or line it names, the hint, and that no cache (not even a temporary folder)
is left behind.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from benchsuite.data.manifest import load_manifest
from benchsuite.data.meta import check_selection
from benchsuite.data.prepare import prepare_dataset
from benchsuite.data.reuse import fingerprint_parameters
from benchsuite.errors import (
    BenchsuiteError,
    ChromosomeNameError,
    ConfigError,
    DatasetError,
    InputFileError,
    ManifestError,
)
from benchsuite.io.bigwig import BigWig
from benchsuite.simulate import simulate_bundle

from .conftest import CHROM_SIZES, SPLIT_CHROMS, TRACK_CHROMS, TinyBundle, write_bigwig_direct, write_fasta

_BIGBED_MAGIC = (0x8789F2EB).to_bytes(4, "little")


# ------------------------------------------------------------------ ways to break the bundle


def _append_peak(bundle: TinyBundle, line: str) -> int:
    """Append a line to target A's narrowPeak file; returns its line number."""
    path = bundle.peaks["A"]
    n = len(path.read_text().splitlines())
    with open(path, "a") as handle:
        handle.write(line + "\n")
    return n + 1


def _rewrite_track(bundle: TinyBundle, target: str, *edits: tuple[str, int, float]) -> None:
    """Rewrite ``target``'s replicate-1 track with each ``(chrom, 0-based position, value)``."""
    values = {c: bundle.cov[target, c].copy() for c in TRACK_CHROMS}
    for chrom, position, value in edits:
        values[chrom][position] = value
    write_bigwig_direct(bundle.tracks[target], {c: CHROM_SIZES[c] for c in TRACK_CHROMS}, values)


def _inject(monkeypatch: pytest.MonkeyPatch, track: str, chrom: str, position: int, value: float) -> None:
    """Make reads of ``track`` return ``value`` at ``chrom``:``position`` (libBigWig cannot write inf,
    other tools can: e.g. bedGraphToBigWig from a bedGraph holding ``inf``)."""
    original = BigWig.values

    def values(self: BigWig, name: str, start: int, end: int) -> np.ndarray:
        out = original(self, name, start, end)
        if self.path.name == track and name == chrom and start <= position < end:
            out[position - start] = value
        return out

    monkeypatch.setattr(BigWig, "values", values)


def unknown_chrom_peak(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    line = _append_peak(b, "chrZ\t100\t200\tpx\t100\t.\t5.0\t3.0\t2.0\t50")
    return {"cls": InputFileError, "has": ["A.narrowPeak", f"line {line}", "unknown chromosome 'chrZ'"]}


def renamed_chrom_peak(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    text = b.peaks["A"].read_text()
    b.peaks["A"].write_text("".join(ln[3:] + "\n" for ln in text.splitlines()))  # chr1 -> 1, ...
    return {
        "cls": ChromosomeNameError,
        "has": ["A.narrowPeak", "line 1", "chromosome '1' is named 'chr1'", "map_chrom_names: true"],
    }


def peak_past_chrom_end(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    end = CHROM_SIZES["chrY"] + 10  # chrY: in the genome, excluded from the split
    line = _append_peak(b, f"chrY\t100\t{end}\tpx\t100\t.\t5.0\t3.0\t2.0\t50")
    return {
        "cls": InputFileError,
        "has": ["A.narrowPeak", f"line {line}", f"end {end} is past the end of chrY"],
    }


def empty_peak_file(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    b.peaks["B"].write_text("track name=empty\n")
    return {
        "cls": InputFileError,
        "has": ["B.narrowPeak", "the peaks file has no intervals", "remove its `peaks:`"],
    }


def no_test_peaks(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    for path in b.peaks.values():
        lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("chr8\t")]
        path.write_text("\n".join(lines) + "\n")
    return {
        "cls": DatasetError,
        "has": [
            "manifest.yaml",
            "no test peak-centred (binary) chunks",
            "no peak on the test chromosomes (chr8 (21,000 bp))",
            "give peaks on the test chromosomes",
        ],
    }


def negative_coverage(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    _rewrite_track(b, "A", ("chr2", 1234, -0.5))
    return {
        "cls": InputFileError,
        "has": ["A.rep1.bw", "coverage is negative (-0.5) at chr2:1,235", "clip_negative: true"],
    }


def infinite_coverage(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    _inject(mp, "B.rep1.bw", "chr9", 99, float("inf"))
    return {"cls": InputFileError, "has": ["B.rep1.bw", "coverage is inf at chr9:100", "must be finite"]}


def negative_infinite_coverage(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    _inject(mp, "B.rep2.bw", "chr8", 5, float("-inf"))
    return {"cls": InputFileError, "has": ["B.rep2.bw", "coverage is -inf at chr8:6"]}


def bigbed_as_bigwig(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    b.tracks["A"].write_bytes(_BIGBED_MAGIC + b"\0" * 60)
    return {"cls": InputFileError, "has": ["A.rep1.bw is a bigBed file, not a bigWig coverage track"]}


def bedgraph_as_bigwig(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    b.rep2["B"].write_text("track type=bedGraph\nchr1\t0\t100\t1.5\n")
    return {
        "cls": InputFileError,
        "has": ["B.rep2.bw is a bedGraph/BED text file, not a bigWig", "bedGraphToBigWig"],
    }


def gzip_as_bigwig(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    b.tracks["B"].write_bytes(gzip.compress(b"chr1\t0\t100\t1.5\n"))
    return {"cls": InputFileError, "has": ["B.rep1.bw is a gzip file, not a bigWig", "bamCoverage"]}


def bigbed_as_peaks(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    b.peaks["A"].write_bytes(_BIGBED_MAGIC + b"\0" * 60)
    return {
        "cls": InputFileError,
        "has": ["A.narrowPeak is a bigBed file, not a BED/narrowPeak text", "bigBedToBed"],
    }


def empty_bigwig(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    b.tracks["A"].write_bytes(b"")
    return {"cls": InputFileError, "has": ["A.rep1.bw is an empty file, not a bigWig"]}


def all_n_valid_chromosome(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    seqs = dict(b.seqs)
    seqs["chr9"] = "N" * CHROM_SIZES["chr9"]
    write_fasta(b.genome, seqs)
    for index in b.root.glob("genome.fa.*"):
        index.unlink()
    return {
        "cls": DatasetError,
        "has": ["no valid chunks left", "50 hold N bases", "(nearly) all N in genome.fa", "chr9 (15,000 bp)"],
        "lacks": ["lower the coverage threshold"],
    }


def cache_path_is_file(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    return {"cls": ConfigError, "has": ["--cache", "cachefile is a file, not a directory"], "cache": "file"}


def cache_parent_is_file(b: TinyBundle, mp: pytest.MonkeyPatch) -> dict:
    return {
        "cls": ConfigError,
        "has": ["--cache", "its parent", "cachefile is a file"],
        "cache": "under-file",
    }


CASES: dict[str, Callable[[TinyBundle, pytest.MonkeyPatch], dict]] = {
    f.__name__: f
    for f in (
        unknown_chrom_peak,
        renamed_chrom_peak,
        peak_past_chrom_end,
        empty_peak_file,
        no_test_peaks,
        negative_coverage,
        infinite_coverage,
        negative_infinite_coverage,
        bigbed_as_bigwig,
        bedgraph_as_bigwig,
        gzip_as_bigwig,
        empty_bigwig,
        bigbed_as_peaks,
        all_n_valid_chromosome,
        cache_path_is_file,
        cache_parent_is_file,
    )
}


@dataclass
class _Outcome:
    error: BenchsuiteError
    cache: Path


def _prepare_failing(bundle: TinyBundle, tmp_path: Path, case: dict) -> _Outcome:
    cache = tmp_path / "cache"
    if case.get("cache") == "file":
        cache = tmp_path / "cachefile"
        cache.write_text("not a folder")
    elif case.get("cache") == "under-file":
        (tmp_path / "cachefile").write_text("not a folder")
        cache = tmp_path / "cachefile" / "datasets"
    with pytest.raises(BenchsuiteError) as info:
        prepare_dataset(bundle.root, cache_dir=cache, progress=False)
    return _Outcome(info.value, cache)


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_input_fails_with_one_clear_error(
    name: str, tiny_bundle: TinyBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    case = CASES[name](tiny_bundle, monkeypatch)
    outcome = _prepare_failing(tiny_bundle, tmp_path, case)
    assert type(outcome.error) is case["cls"], repr(outcome.error)
    message = str(outcome.error)
    assert "(fix: " in message  # every error says how to fix it
    for fragment in case["has"]:
        assert fragment in message, message
    for fragment in case.get("lacks", []):
        assert fragment not in message, message
    # no half-written cache: no folder at all (file-hashes.json may be there)
    if outcome.cache.is_dir():
        assert [p.name for p in outcome.cache.iterdir() if p.is_dir()] == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_renamed_chrom_peak_is_mapped_with_map_chrom_names(
    tiny_bundle: TinyBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    reference = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "a", progress=False)
    renamed_chrom_peak(tiny_bundle, monkeypatch)
    data = tiny_bundle.manifest_data()
    data["map_chrom_names"] = True
    tiny_bundle.write_manifest_data(data)
    cache = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "b", progress=False)
    # the mapped peaks give the same chunks and labels as the original names
    for split in ("train", "valid", "test"):
        a, b = reference.split("binary", split), cache.split("binary", split)
        assert np.array_equal(a.coords, b.coords) and np.array_equal(a.labels, b.labels)


def test_simulate_out_is_a_file(tmp_path: Path):
    out = tmp_path / "bundle"
    out.write_text("x")
    with pytest.raises(ConfigError) as info:
        simulate_bundle("smoke", out, 0, progress=False)
    assert str(info.value).startswith(f"--out: {out} is a file, not a directory (fix: give --out a folder")
    assert out.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_too_short_chromosomes_hint(tiny_bundle: TinyBundle):
    manifest = load_manifest(tiny_bundle.root)
    empty = {
        "n": 0,
        "candidates": 0,
        "dropped": {"excluded": 0, "n_bases": 0, "nan": 0, "below_threshold": 0},
    }
    full = {"n": 3, "candidates": 3, "dropped": empty["dropped"]}
    kinds = {"quantitative": {"train": full, "valid": empty, "test": full}}
    with pytest.raises(DatasetError) as info:
        check_selection(
            manifest,
            kinds,
            2.0,
            split_chroms={**SPLIT_CHROMS, "valid": ["chrS"]},
            chrom_sizes={**CHROM_SIZES, "chrS": 250},
            chunk_length=300,
        )
    message = str(info.value)
    assert "no valid chunks left (0 candidate chunks" in message
    assert "no valid chromosome holds a whole chunk (300 bp): chrS (250 bp)" in message
    assert "lower geometry.chunk_length" in message and "coverage threshold with" not in message


def test_threshold_hint_only_when_the_threshold_dropped_chunks(tiny_bundle: TinyBundle, tmp_path: Path):
    with pytest.raises(DatasetError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False, coverage_threshold=100)
    assert "pass the coverage threshold 100" in info.value.message
    assert (info.value.hint or "").startswith("lower the coverage threshold with --threshold")


# ------------------------------------------------------------------ clip_negative


def _set_clip(bundle: TinyBundle, target_index: int, value: object) -> None:
    data = bundle.manifest_data()
    data["targets"][target_index]["clip_negative"] = value
    bundle.write_manifest_data(data)


def test_clip_negative_reads_negative_values_as_zero(tiny_bundle: TinyBundle, tmp_path: Path):
    _rewrite_track(tiny_bundle, "A", ("chr8", 3001, -2.5), ("chr2", 10, -0.25))
    _set_clip(tiny_bundle, 0, True)
    cache = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    tiles = cache.split("wholechrom", "test")
    row = [i for i, (c, s, _e) in enumerate(tiles.intervals()) if c == "chr8" and s == 3000]
    assert len(row) == 1
    values = np.asarray(tiles.cov[row[0], 0])
    original = tiny_bundle.cov["A", "chr8"][3000:3200]
    assert values[1] == 0.0
    assert np.array_equal(np.delete(values, 1), np.delete(original, 1))
    assert cache.meta["inputs"][1]["role"] == "track:A"


def test_clip_negative_enters_the_fingerprint_only_when_set(tiny_bundle: TinyBundle):
    plain = fingerprint_parameters(
        load_manifest(tiny_bundle.root), load_manifest(tiny_bundle.root).geometry, SPLIT_CHROMS
    )
    assert "clip_negative" not in plain
    _set_clip(tiny_bundle, 1, True)
    manifest = load_manifest(tiny_bundle.root)
    clipped = fingerprint_parameters(manifest, manifest.geometry, SPLIT_CHROMS)
    assert clipped == {**plain, "clip_negative": ["B"]}
    _set_clip(tiny_bundle, 1, False)
    assert fingerprint_parameters(load_manifest(tiny_bundle.root), manifest.geometry, SPLIT_CHROMS) == plain


def test_clip_negative_changes_the_dataset_fingerprint(tiny_bundle: TinyBundle, tmp_path: Path):
    without = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False).fingerprint
    _set_clip(tiny_bundle, 0, True)
    with_clip = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert with_clip.fingerprint != without and not with_clip.reused


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("yes", "expected true or false"), (True, "set on a target without a coverage track")],
)
def test_clip_negative_manifest_errors(tiny_bundle: TinyBundle, value: object, fragment: str):
    data = tiny_bundle.manifest_data()
    if value is True:
        data["targets"].append({"name": "C", "peaks": "peaks/A.narrowPeak", "clip_negative": True})
    else:
        data["targets"][0]["clip_negative"] = value
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError) as info:
        load_manifest(tiny_bundle.root)
    assert "clip_negative" in str(info.value) and fragment in str(info.value)
