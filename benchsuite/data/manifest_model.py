"""The manifest model: the frozen dataclasses a validated bundle manifest is made of.

:class:`Manifest` holds :class:`TargetSpec` (one per target), :class:`SplitSpec`, an optional
:class:`VariantSetSpec` and :class:`BinaryNegatives`, and the :class:`Geometry`; every path in
it is absolute. Also the schema's constants: the manifest file names and version, the paper's
default geometry and split, and the default motif exclusions of JASPAR databases.

Manifests are read and validated by :func:`benchsuite.data.manifest_load.load_manifest`
(re-exported by :mod:`benchsuite.data.manifest`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchsuite.data.peakcall import PeakCall

__all__ = [
    "MANIFEST_NAMES",
    "MANIFEST_VERSION",
    "DEFAULT_GEOMETRY",
    "DEFAULT_SPLIT",
    "JASPAR_DEFAULT_EXCLUDE",
    "JASPAR_LOW_INFORMATION_BITS",
    "TargetSpec",
    "SplitSpec",
    "VariantSetSpec",
    "BinaryNegatives",
    "Geometry",
    "Manifest",
]

#: file names looked up, in order, when a bundle folder is given
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")
#: the schema version this code reads (``benchsuite_manifest:``)
MANIFEST_VERSION = 1
#: the paper's geometry (3,072-bp chunks, 2,048-bp inputs, bins 1/32/128, threshold 2)
DEFAULT_GEOMETRY: dict[str, Any] = {
    "chunk_length": 3072,
    "input_length": 2048,
    "bin_sizes": [1, 32, 128],
    "common_bin": 128,
    "coverage_threshold": 2.0,
}
#: the paper's split: chr8 test, chr9 validation, every other chromosome but chrY for training
DEFAULT_SPLIT: dict[str, Any] = {"test": ["chr8"], "valid": ["chr9"], "train": None, "exclude": ["chrY"]}
#: motifs left out of motif recovery against a JASPAR database when ``motif_exclude`` is not
#: given: the paper's two (MA1929.1, MA0615.1; an ID with a version removes every version, e.g.
#: MA1929.2 in JASPAR 2024) ...
JASPAR_DEFAULT_EXCLUDE: tuple[str, ...] = ("MA1929.1", "MA0615.1")
#: ... plus every matrix of the database whose mean information content is below this many bits
#: per position (JASPAR 2024: MA1929.2 and MA1930.2, the long CTCF matrices, and MA1978.2,
#: ZNF354A; the next one has 0.73). Such long, low-information matrices match almost any
#: first-layer filter, an untrained random one included (see docs/real-data.md).
JASPAR_LOW_INFORMATION_BITS: float = 0.7


@dataclass(frozen=True)
class TargetSpec:
    """One prediction target (e.g. one cell type's accessibility).

    Attributes
    ----------
    name:
        Unique target name (used in metrics and records).
    track:
        bigWig coverage track, replicate 1 (the quantitative training target); None for a
        label-only target.
    replicate2:
        Optional bigWig of replicate 2 (the experimental ceiling); needs ``track``.
    peaks:
        Optional BED/narrowPeak file of this target's peaks (binary labels).
    peak_call:
        Instead of a peak file: call the peaks on this target's track
        (:class:`benchsuite.data.peakcall.PeakCall`, manifest ``peaks: {call: threshold}``).
    description:
        Free text (cell type, assay, accession).
    clip_negative:
        Read negative coverage values of this target's tracks as 0 (manifest
        ``clip_negative: true``); by default a negative value is an error. Part of the
        dataset fingerprint when set.

    Every target has a track, peaks or both.
    """

    name: str
    track: Path | None
    replicate2: Path | None = None
    peaks: Path | None = None
    description: str = ""
    clip_negative: bool = False
    peak_call: PeakCall | None = None

    @property
    def has_coverage(self) -> bool:
        """True when the target has a coverage track (a quantitative target)."""
        return self.track is not None

    @property
    def has_labels(self) -> bool:
        """True when the target has a peak file or called peaks (a binary target)."""
        return self.peaks is not None or self.peak_call is not None


@dataclass(frozen=True)
class SplitSpec:
    """The split. ``train=None`` means every other genome chromosome minus ``exclude``.

    A chromosome split lists ``test``/``valid`` chromosomes (or reads them from a split table
    or a fold file: ``fold`` then names the file). A *region* split gives BED files instead
    (``test_regions``, ``valid_regions``; ``test``/``valid`` are empty): test and validation
    windows lie inside those regions, training windows on the training chromosomes outside
    both, so one chromosome can serve every split.
    """

    test: tuple[str, ...]
    valid: tuple[str, ...]
    train: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    test_regions: Path | None = None
    valid_regions: Path | None = None
    fold: str | None = None

    @property
    def by_regions(self) -> bool:
        """Whether the split is given as BED regions (``test_regions``/``valid_regions``)."""
        return self.test_regions is not None


@dataclass(frozen=True)
class VariantSetSpec:
    """A CAGI5-style variant set: element sequences (FASTA) and a variants table (TSV)."""

    sequences: Path
    table: Path


@dataclass(frozen=True)
class BinaryNegatives:
    """Peak-free chunks added to the binary (peak-centred) dataset as negatives.

    The paper's peak-centred set has negatives only through multi-task labels (a chunk holding
    a peak of one cell type is a negative for the others). With one label target (or a few that
    share most peaks) every chunk would be positive; this adds chunks without any peak.

    Attributes
    ----------
    source:
        ``"coverage-threshold"``: chunks of the coverage-threshold grid whose max coverage (any
        coverage target) exceeds the threshold, i.e. accessible in some coverage target but
        without a peak of any label target (Basset-like hard negatives); ``"genome"``: every
        clean chunk of that grid without a peak.
    fraction:
        Keep this fraction of the eligible chunks, chosen by a hash of (chromosome, start), so
        the choice is deterministic and independent of block sizes (1.0 keeps all).

    Negative chunks never overlap a peak of any label target nor a peak-centred chunk.
    """

    source: str = "coverage-threshold"
    fraction: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        return {"source": self.source, "fraction": self.fraction}


@dataclass(frozen=True)
class Geometry:
    """Dataset geometry.

    Attributes
    ----------
    chunk_length:
        Length of the stored chunks (paper: 3,072 = 1.5 x input).
    input_length:
        Model input length (paper: 2,048); random shift picks a window of this length.
    bin_sizes:
        Output resolutions benchmarked (each divides ``input_length``).
    common_bin:
        The resolution at which models of different resolutions are compared.
    coverage_threshold:
        A chunk enters the coverage-threshold dataset if the max coverage of any target exceeds it.
    """

    chunk_length: int
    input_length: int
    bin_sizes: tuple[int, ...]
    common_bin: int
    coverage_threshold: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        return {
            "chunk_length": self.chunk_length,
            "input_length": self.input_length,
            "bin_sizes": list(self.bin_sizes),
            "common_bin": self.common_bin,
            "coverage_threshold": self.coverage_threshold,
        }


@dataclass(frozen=True)
class Manifest:
    """A validated bundle manifest; every path is absolute and exists."""

    path: Path
    root: Path
    name: str
    genome: Path
    targets: tuple[TargetSpec, ...]
    split: SplitSpec
    excluded: Path | None = None
    map_chrom_names: bool = False
    variants: VariantSetSpec | None = None
    motifs: Path | None = None
    truth: Path | None = None
    geometry: Geometry = field(default_factory=lambda: _default_geometry())
    simulator: dict[str, Any] | None = None
    motif_exclude: tuple[str, ...] | None = None
    binary_negatives: BinaryNegatives | None = None

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every target name in manifest order (coverage and label-only targets)."""
        return tuple(t.name for t in self.targets)

    @property
    def coverage_targets(self) -> tuple[TargetSpec, ...]:
        """Targets with a coverage track (the quantitative task), in manifest order."""
        return tuple(t for t in self.targets if t.track is not None)

    @property
    def label_targets(self) -> tuple[TargetSpec, ...]:
        """Targets with a peak file or called peaks (the binary task), in manifest order."""
        return tuple(t for t in self.targets if t.has_labels)

    @property
    def coverage_target_names(self) -> tuple[str, ...]:
        """Names of :attr:`coverage_targets` (the ``T`` axis of cached coverage)."""
        return tuple(t.name for t in self.coverage_targets)

    @property
    def label_target_names(self) -> tuple[str, ...]:
        """Names of :attr:`label_targets` (the ``T`` axis of cached labels)."""
        return tuple(t.name for t in self.label_targets)

    def task_target_names(self, kind: str) -> tuple[str, ...]:
        """The targets a model of task ``kind`` predicts.

        Parameters
        ----------
        kind:
            ``"quantitative"`` (coverage targets) or ``"binary"`` (label targets).
        """
        if kind == "quantitative":
            return self.coverage_target_names
        if kind == "binary":
            return self.label_target_names
        raise ValueError(f"unknown task kind {kind!r} (binary or quantitative)")

    def input_files(self) -> list[tuple[str, Path]]:
        """Every file the manifest names, as ``(role, path)`` pairs in a stable order.

        Roles are ``genome``, ``track:<target>``, ``replicate2:<target>``, ``peaks:<target>``,
        ``excluded``, ``split.test_regions``, ``split.valid_regions``, ``variants.sequences``,
        ``variants.table``, ``motifs`` and ``truth``.
        """
        files: list[tuple[str, Path]] = [("genome", self.genome)]
        for t in self.targets:
            if t.track is not None:
                files.append((f"track:{t.name}", t.track))
            if t.replicate2 is not None:
                files.append((f"replicate2:{t.name}", t.replicate2))
            if t.peaks is not None:
                files.append((f"peaks:{t.name}", t.peaks))
        if self.excluded is not None:
            files.append(("excluded", self.excluded))
        if self.split.test_regions is not None:
            files.append(("split.test_regions", self.split.test_regions))
        if self.split.valid_regions is not None:
            files.append(("split.valid_regions", self.split.valid_regions))
        if self.variants is not None:
            files.append(("variants.sequences", self.variants.sequences))
            files.append(("variants.table", self.variants.table))
        if self.motifs is not None:
            files.append(("motifs", self.motifs))
        if self.truth is not None:
            files.append(("truth", self.truth))
        return files


def _default_geometry() -> Geometry:
    g = DEFAULT_GEOMETRY
    return Geometry(
        g["chunk_length"], g["input_length"], tuple(g["bin_sizes"]), g["common_bin"], g["coverage_threshold"]
    )
