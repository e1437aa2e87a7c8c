"""A tiny hand-made bundle for the data tests, written without the simulator.

Genome: chr1, chr2 (train), chr8 (test), chr9 (valid) and chrY (excluded by the default
split; the tracks do not have it). Two targets A and B with replicate-2 tracks and
narrowPeak files. Built in:

- N runs on chr1 and chr8;
- NaN gaps (no data) in target A on chr2 and in target B on chr8;
- excluded regions on chr1 and chr8;
- coverage values on a 1/8 grid below 16, exactly representable in float16, so cached
  train/valid coverage equals the bigWig values exactly.

The FASTA is written by hand (60-column lines, pyfaidx builds the index) and the bigWigs with
pyBigWig directly, so these tests do not depend on benchsuite's writers.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyBigWig
import pyfaidx
import pytest
import yaml

from benchsuite.data.manifest import load_manifest
from benchsuite.errors import ManifestError

GEOMETRY = {
    "chunk_length": 300,
    "input_length": 200,
    "bin_sizes": [1, 10, 50],
    "common_bin": 50,
    "coverage_threshold": 2.0,
}
CHROM_SIZES = {"chr1": 36_000, "chr2": 24_000, "chr8": 21_000, "chr9": 15_000, "chrY": 3_000}
TRACK_CHROMS = ("chr1", "chr2", "chr8", "chr9")
TARGETS = ("A", "B")
N_RUNS = {"chr1": [(1_000, 1_090)], "chr8": [(5_000, 5_040)]}
NAN_GAPS = {("A", "chr2"): [(6_000, 6_900)], ("B", "chr8"): [(9_000, 9_250)]}
EXCLUDED = [("chr1", 20_000, 20_500), ("chr8", 15_010, 15_100)]


@dataclass
class TinyBundle:
    """Paths and the ground-truth arrays of the tiny bundle."""

    root: Path
    manifest: Path
    genome: Path
    tracks: dict[str, Path]
    rep2: dict[str, Path]
    peaks: dict[str, Path]
    excluded: Path
    seqs: dict[str, str] = field(default_factory=dict)
    cov: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    peak_intervals: dict[str, list[tuple[str, int, int, int]]] = field(default_factory=dict)

    def manifest_data(self) -> dict:
        return yaml.safe_load(self.manifest.read_text())

    def write_manifest_data(self, data: dict) -> None:
        self.manifest.write_text(yaml.safe_dump(data, sort_keys=False))


def write_fasta(path: Path, seqs: dict[str, str], width: int = 60) -> None:
    with open(path, "w") as handle:
        for name, seq in seqs.items():
            handle.write(f">{name} tiny test chromosome\n")
            for i in range(0, len(seq), width):
                handle.write(seq[i : i + width] + "\n")


def write_bigwig_direct(path: Path, chrom_sizes: dict[str, int], values: dict[str, np.ndarray]) -> None:
    """Base-resolution values -> bigWig as fixed-step entries (span 1); NaN runs get no entry."""
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(chrom_sizes.items()))
    for chrom in chrom_sizes:
        if chrom not in values:
            continue
        arr = np.asarray(values[chrom], dtype=np.float64)
        finite = np.r_[False, ~np.isnan(arr), False]
        edges = np.flatnonzero(np.diff(finite.astype(np.int8)))
        for start, end in zip(edges[0::2], edges[1::2], strict=True):
            bw.addEntries(chrom, int(start), values=arr[start:end], span=1, step=1)
    bw.close()


def _quantize(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 8) / 8, 0, 15.875).astype(np.float32)


def make_tiny_bundle(root: Path, seed: int = 0) -> TinyBundle:
    """Write the tiny bundle into ``root`` and return its description."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "tracks").mkdir(exist_ok=True)
    (root / "peaks").mkdir(exist_ok=True)
    seqs = {}
    for chrom, size in CHROM_SIZES.items():
        codes = rng.integers(0, 4, size)
        seq = np.frombuffer(b"ACGT", dtype=np.uint8)[codes].copy()
        lower = rng.random(size) < 0.1  # soft-masked bases read like upper-case ones
        seq[lower] += 32
        for a, b in N_RUNS.get(chrom, []):
            seq[a:b] = ord("N")
        seqs[chrom] = seq.tobytes().decode()
    genome = root / "genome.fa"
    write_fasta(genome, seqs)

    track_sizes = {c: CHROM_SIZES[c] for c in TRACK_CHROMS}
    bundle = TinyBundle(
        root=root,
        manifest=root / "manifest.yaml",
        genome=genome,
        tracks={t: root / "tracks" / f"{t}.rep1.bw" for t in TARGETS},
        rep2={t: root / "tracks" / f"{t}.rep2.bw" for t in TARGETS},
        peaks={t: root / "peaks" / f"{t}.narrowPeak" for t in TARGETS},
        excluded=root / "excluded.bed",
        seqs=seqs,
    )
    for ti, target in enumerate(TARGETS):
        rep1_values, rep2_values, peaks = {}, {}, []
        for chrom, size in track_sizes.items():
            base = rng.gamma(4.0, 0.1, size)
            signal = np.zeros(size)
            # a peak every ~900 bp on average, target-specific positions and heights
            n_peaks = size // 900
            centers = np.sort(rng.integers(200, size - 200, n_peaks))
            for i, c in enumerate(centers):
                half = int(rng.integers(20, 60))
                height = float(rng.uniform(3, 10)) if (i + ti) % 3 else float(rng.uniform(1.0, 1.8))
                signal[c - half : c + half] += height
                peaks.append((chrom, c - half, c + half, half))
            rep1 = _quantize(base + signal)
            rep2 = _quantize(rng.gamma(4.0, 0.1, size) + signal * rng.uniform(0.6, 1.2))
            for gap_start, gap_end in NAN_GAPS.get((target, chrom), []):
                rep1[gap_start:gap_end] = np.nan
            rep1_values[chrom], rep2_values[chrom] = rep1, rep2
            bundle.cov[target, chrom] = rep1
            bundle.cov[f"{target}.rep2", chrom] = rep2
        write_bigwig_direct(bundle.tracks[target], track_sizes, rep1_values)
        write_bigwig_direct(bundle.rep2[target], track_sizes, rep2_values)
        with open(bundle.peaks[target], "w") as handle:
            for i, (chrom, s, e, summit) in enumerate(peaks):
                handle.write(f"{chrom}\t{s}\t{e}\tpeak{i}\t100\t.\t5.0\t3.0\t2.0\t{summit}\n")
        bundle.peak_intervals[target] = peaks
    with open(bundle.excluded, "w") as handle:
        handle.write("# unmappable regions\n")
        for chrom, s, e in EXCLUDED:
            handle.write(f"{chrom}\t{s}\t{e}\n")
    manifest = {
        "benchsuite_manifest": 1,
        "name": "tiny",
        "genome": "genome.fa",
        "targets": [
            {
                "name": t,
                "track": f"tracks/{t}.rep1.bw",
                "replicate2": f"tracks/{t}.rep2.bw",
                "peaks": f"peaks/{t}.narrowPeak",
                "description": f"tiny target {t}",
            }
            for t in TARGETS
        ],
        "split": {"test": ["chr8"], "valid": ["chr9"], "train": None, "exclude": ["chrY"]},
        "excluded": "excluded.bed",
        "map_chrom_names": False,
        "geometry": GEOMETRY,
    }
    bundle.manifest.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return bundle


@pytest.fixture(scope="session")
def tiny_bundle_template(tmp_path_factory: pytest.TempPathFactory) -> TinyBundle:
    """The tiny bundle, built once per session (do not modify; use ``tiny_bundle``)."""
    return make_tiny_bundle(tmp_path_factory.mktemp("tiny") / "bundle")


@pytest.fixture()
def tiny_bundle(tiny_bundle_template: TinyBundle, tmp_path: Path) -> TinyBundle:
    """A private copy of the tiny bundle that a test may modify."""
    root = tmp_path / "bundle"
    shutil.copytree(tiny_bundle_template.root, root)
    t = tiny_bundle_template
    return TinyBundle(
        root=root,
        manifest=root / "manifest.yaml",
        genome=root / "genome.fa",
        tracks={k: root / v.relative_to(t.root) for k, v in t.tracks.items()},
        rep2={k: root / v.relative_to(t.root) for k, v in t.rep2.items()},
        peaks={k: root / v.relative_to(t.root) for k, v in t.peaks.items()},
        excluded=root / "excluded.bed",
        seqs=t.seqs,
        cov=t.cov,
        peak_intervals=t.peak_intervals,
    )


@pytest.fixture(scope="session")
def tiny_cache(tiny_bundle_template: TinyBundle, tmp_path_factory: pytest.TempPathFactory):
    """The prepared cache of the tiny bundle (session-wide, read-only)."""
    from benchsuite.data.prepare import prepare_dataset

    return prepare_dataset(
        tiny_bundle_template.manifest, cache_dir=tmp_path_factory.mktemp("cache"), progress=False
    )


def expect_manifest_error(bundle: TinyBundle, *fragments: str) -> ManifestError:
    """Load ``bundle``'s manifest expecting a ManifestError naming the file and every fragment."""
    with pytest.raises(ManifestError) as info:
        load_manifest(bundle.root)
    message = str(info.value)
    assert str(bundle.manifest.name) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def add_label_only_target(bundle: TinyBundle, *, negatives: dict | None = None) -> dict:
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


# ------------------------------------------------------------------ independent direct reads

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


@pytest.fixture(scope="session")
def direct(tiny_bundle_template: TinyBundle) -> Direct:
    """Direct reads of the session's tiny bundle."""
    return Direct(tiny_bundle_template)


def expected_quantitative(
    direct: Direct, split: str, threshold: float
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    C = GEOMETRY["chunk_length"]
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


# ------------------------------------------------------------------ batches


def onehot_of(text: str) -> np.ndarray:
    """Independent one-hot of a DNA string: rows A, C, G, T; N -> zeros."""
    out = np.zeros((4, len(text)), dtype=np.float32)
    for i, ch in enumerate(text.upper()):
        if ch in "ACGT":
            out["ACGT".index(ch), i] = 1.0
    return out


def seq_text(direct: Direct, chrom: str, start: int, end: int) -> str:
    return str(direct.fasta[chrom][start:end]).upper()


def window_mean(values: np.ndarray, bin_size: int) -> np.ndarray:
    """Mean per bin with explicit loops (independent of the reshape in the loader)."""
    t, n = values.shape
    out = np.zeros((t, n // bin_size))
    for i in range(t):
        for j in range(n // bin_size):
            out[i, j] = sum(values[i, j * bin_size : (j + 1) * bin_size]) / bin_size
    return out


def make_dm(bundle, cache_dir, cls=None, **kwargs):
    """A DataModule (QuantitativeDataModule unless ``cls``) of ``bundle``, prepared and set up."""
    from benchsuite.data.datamodule import QuantitativeDataModule

    cls = cls or QuantitativeDataModule
    dm = cls(bundle.root, cache_dir=cache_dir, progress=False, **kwargs)
    dm.prepare_data()
    dm.setup("fit")
    dm.setup("test")
    return dm


@pytest.fixture(scope="session")
def cache_dir(tiny_cache):
    """The folder holding the session's tiny cache."""
    return tiny_cache.root.parent
