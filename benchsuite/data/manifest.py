"""Bundle manifests: the one file that names everything a benchmark is built from.

A *bundle* is a folder holding a manifest (``manifest.yaml``, ``manifest.yml`` or
``manifest.json``) and the files it names: genome FASTA, per target a bigWig coverage track
(plus an optional replicate-2 track) and/or a peak file, the chromosome split, optional
excluded regions, an optional variant set and motif database, and the dataset geometry.
Relative paths are resolved against the manifest's folder. See ``docs/ARCHITECTURE.md``
("Bundle manifest") and ``docs/real-data.md`` (every field, with the paper's hg38 setting).

Targets with a ``track`` are *coverage targets* (the quantitative task and the coverage axis
of the cache); targets with ``peaks`` are *label targets* (the binary task's labels). A
target may have both (the simulated bundles, ENCODE ATAC-seq with IDR peaks) or only peaks
(a *label-only* target, e.g. a cell type with peak calls but no coverage track).

Paths may use environment variables: ``${NAME}``, ``$NAME`` or ``${NAME:-default}``
(``$$`` is a literal ``$``), e.g. ``${BENCHSUITE_REAL_DATA}/realmini/genome.fa``; an unset
variable without a default is a :class:`~benchsuite.errors.ManifestError` naming the field and
the variable.

:func:`load_manifest` validates everything a user can get wrong (missing fields, wrong types,
unknown keys, files that do not exist, inconsistent geometry) and raises
:class:`~benchsuite.errors.ManifestError` naming the manifest file and the offending field.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchsuite.errors import ManifestError

__all__ = [
    "MANIFEST_NAMES",
    "MANIFEST_VERSION",
    "DEFAULT_GEOMETRY",
    "DEFAULT_SPLIT",
    "TargetSpec",
    "SplitSpec",
    "VariantSetSpec",
    "BinaryNegatives",
    "Geometry",
    "Manifest",
    "JASPAR_DEFAULT_EXCLUDE",
    "JASPAR_LOW_INFORMATION_BITS",
    "expand_path_variables",
    "find_manifest",
    "load_manifest",
    "write_manifest",
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

_TOP_KEYS = {
    "benchsuite_manifest",
    "name",
    "genome",
    "targets",
    "split",
    "excluded",
    "map_chrom_names",
    "variants",
    "motifs",
    "truth",
    "geometry",
    "simulator",
    "description",
    "motif_exclude",
    "binary_negatives",
}
_TARGET_KEYS = {"name", "track", "replicate2", "peaks", "description"}
_SPLIT_LIST_KEYS = {"test", "valid", "train", "exclude"}
_SPLIT_TABLE_KEYS = {"table", "name_column", "split_column"}
_SPLIT_TABLE_VALUES = {"train", "valid", "test", "exclude"}
_GEOMETRY_KEYS = set(DEFAULT_GEOMETRY)
_VARIANT_KEYS = {"sequences", "table"}
_NEGATIVE_KEYS = {"source", "fraction"}
_NEGATIVE_SOURCES = ("coverage-threshold", "genome")
_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


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
    description:
        Free text (cell type, assay, accession).

    Every target has a track, peaks or both.
    """

    name: str
    track: Path | None
    replicate2: Path | None = None
    peaks: Path | None = None
    description: str = ""

    @property
    def has_coverage(self) -> bool:
        """True when the target has a coverage track (a quantitative target)."""
        return self.track is not None

    @property
    def has_labels(self) -> bool:
        """True when the target has a peak file (a binary target)."""
        return self.peaks is not None


@dataclass(frozen=True)
class SplitSpec:
    """Chromosome split. ``train=None`` means every other genome chromosome minus ``exclude``."""

    test: tuple[str, ...]
    valid: tuple[str, ...]
    train: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()


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
        """Targets with a peak file (the binary task), in manifest order."""
        return tuple(t for t in self.targets if t.peaks is not None)

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
        ``excluded``, ``variants.sequences``, ``variants.table``, ``motifs`` and ``truth``.
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


# --------------------------------------------------------------------------------------------
# loading


def find_manifest(path_or_bundle_dir: str | Path) -> Path:
    """Locate the manifest file of a bundle.

    Parameters
    ----------
    path_or_bundle_dir:
        A manifest file, or a bundle folder holding ``manifest.yaml``/``.yml``/``.json``.

    Returns
    -------
    pathlib.Path
        The absolute path of the manifest file.

    Raises
    ------
    ManifestError
        If the file or folder does not exist or the folder holds no manifest.
    """
    path = Path(path_or_bundle_dir).expanduser()
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                return (path / name).resolve()
        raise ManifestError(
            f"no manifest found in bundle folder (looked for {', '.join(MANIFEST_NAMES)})",
            source=path,
            hint="point to a bundle folder written by `benchsuite simulate` or to a manifest file",
        )
    if not path.exists():
        raise ManifestError(
            "manifest file or bundle folder does not exist",
            source=path,
            hint="check the path (a bundle folder or its manifest.yaml)",
        )
    return path.resolve()


class _Checker:
    """Field validation helpers that raise ManifestError naming the manifest and the field."""

    def __init__(self, manifest_path: Path):
        self.path = manifest_path
        self.root = manifest_path.parent

    def fail(self, field_name: str, message: str, hint: str | None = None) -> ManifestError:
        return ManifestError(f"field '{field_name}': {message}", source=self.path, hint=hint)

    def mapping(self, value: Any, field_name: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(field_name, f"expected a mapping, got {_type_name(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(field_name, f"keys must be strings, got {key!r}")
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise self.fail(
                    field_name,
                    f"unknown key(s) {', '.join(map(repr, unknown))}",
                    hint=f"allowed keys: {', '.join(sorted(allowed))}",
                )
        return dict(value)

    def string(self, value: Any, field_name: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field_name, f"expected a non-empty string, got {_type_name(value)}")
        return value

    def boolean(self, value: Any, field_name: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field_name, f"expected true or false, got {_type_name(value)}")
        return value

    def integer(self, value: Any, field_name: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field_name, f"expected an integer, got {_type_name(value)}")
        if value < minimum:
            raise self.fail(field_name, f"must be >= {minimum}, got {value}")
        return value

    def number(self, value: Any, field_name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field_name, f"expected a number, got {_type_name(value)}")
        if not math.isfinite(value):
            raise self.fail(field_name, f"must be finite, got {value}")
        return float(value)

    def file(self, value: Any, field_name: str) -> Path:
        text = self.string(value, field_name)
        expanded = expand_path_variables(text, field_name=field_name, source=self.path)
        path = Path(expanded).expanduser()
        if not path.is_absolute():
            path = self.root / path
        path = path.resolve()
        if not path.is_file():
            raise self.fail(
                field_name,
                f"file {text!r} does not exist (resolved to {path})",
                hint="paths are relative to the manifest's folder; fix the path or add the file"
                + (" (check the environment variables it uses)" if expanded != text else ""),
            )
        return path

    def optional_file(self, data: Mapping[str, Any], key: str, field_name: str) -> Path | None:
        value = data.get(key)
        return None if value is None else self.file(value, field_name)

    def names(self, value: Any, field_name: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise self.fail(field_name, f"expected a list of chromosome names, got {_type_name(value)}")
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise self.fail(f"{field_name}[{i}]", f"expected a chromosome name, got {_type_name(item)}")
            out.append(str(item))
        return tuple(out)


def expand_path_variables(text: str, *, field_name: str = "path", source: str | Path | None = None) -> str:
    """Expand environment variables in a manifest path.

    ``${NAME}`` and ``$NAME`` are replaced by the variable's value, ``${NAME:-default}`` by the
    value or, when the variable is unset or empty, ``default``; ``$$`` is a literal ``$``.
    A leading ``~`` is left for :meth:`pathlib.Path.expanduser`.

    Parameters
    ----------
    text:
        The path as written in the manifest.
    field_name:
        Manifest field (for the error message).
    source:
        The manifest file (for the error message).

    Returns
    -------
    str
        The expanded path.

    Raises
    ------
    ManifestError
        A variable without default is not set; the message names the field and the variable.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(3)
        default = match.group(2)
        value = os.environ.get(name)
        if default is not None:
            return value if value else default
        if value is None:
            raise ManifestError(
                f"field '{field_name}': environment variable {name} is not set (path {text!r})",
                source=source,
                hint=f"export {name}=... before running benchsuite, or write the path without ${{{name}}}",
            )
        return value

    return _VARIABLE.sub(replace, text)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return (
        f"{type(value).__name__} {value!r}" if not isinstance(value, (dict, list)) else type(value).__name__
    )


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest: {exc}", source=path) from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                source=path,
                hint="fix the JSON syntax",
            ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ManifestError(
            f"invalid YAML{where}: {problem}", source=path, hint="fix the YAML syntax"
        ) from exc


def _parse_targets(check: _Checker, value: Any) -> tuple[TargetSpec, ...]:
    if not isinstance(value, list) or not value:
        raise check.fail("targets", f"expected a non-empty list of targets, got {_type_name(value)}")
    targets = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"targets[{i}]"
        item = check.mapping(item, where, _TARGET_KEYS)
        if "name" not in item:
            raise check.fail(f"{where}.name", "missing (every target needs a name)")
        if item.get("track") is None and item.get("peaks") is None:
            raise check.fail(
                f"{where}.track",
                "missing (a target needs a bigWig track, a peaks file, or both)",
                hint="give `track:` for coverage (quantitative) and/or `peaks:` for labels (binary)",
            )
        if item.get("track") is None and item.get("replicate2") is not None:
            raise check.fail(
                f"{where}.track",
                "missing (the target has a replicate2 track, which needs a replicate-1 track)",
                hint="add `track:` or remove `replicate2:`",
            )
        name = check.string(item["name"], f"{where}.name")
        if name in seen:
            raise check.fail(
                f"{where}.name", f"duplicate target name {name!r}", hint="target names must be unique"
            )
        seen.add(name)
        description = item.get("description") or ""
        if not isinstance(description, str):
            raise check.fail(f"{where}.description", f"expected a string, got {_type_name(description)}")
        targets.append(
            TargetSpec(
                name=name,
                track=check.optional_file(item, "track", f"{where}.track"),
                replicate2=check.optional_file(item, "replicate2", f"{where}.replicate2"),
                peaks=check.optional_file(item, "peaks", f"{where}.peaks"),
                description=description,
            )
        )
    return tuple(targets)


def _parse_split(check: _Checker, value: Any) -> SplitSpec:
    if value is None:
        value = DEFAULT_SPLIT
    data = check.mapping(value, "split")
    if "table" in data:
        return _parse_split_table(check, check.mapping(data, "split", _SPLIT_TABLE_KEYS))
    data = check.mapping(data, "split", _SPLIT_LIST_KEYS)
    test = check.names(data.get("test", DEFAULT_SPLIT["test"]), "split.test")
    valid = check.names(data.get("valid", DEFAULT_SPLIT["valid"]), "split.valid")
    train_value = data.get("train")
    train = None if train_value is None else check.names(train_value, "split.train")
    exclude_value = data.get("exclude", DEFAULT_SPLIT["exclude"])
    exclude = () if exclude_value is None else check.names(exclude_value, "split.exclude")
    return _checked_split(check, SplitSpec(test=test, valid=valid, train=train, exclude=exclude))


def _parse_motif_exclude(check: _Checker, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise check.fail("motif_exclude", f"expected a list of motif IDs or names, got {_type_name(value)}")
    return tuple(check.string(v, f"motif_exclude[{i}]").strip() for i, v in enumerate(value))


def _parse_binary_negatives(check: _Checker, value: Any) -> BinaryNegatives | None:
    if value is None or value is False:
        return None
    if value is True:
        return BinaryNegatives()
    data = check.mapping(value, "binary_negatives", _NEGATIVE_KEYS)
    source = check.string(data.get("source", "coverage-threshold"), "binary_negatives.source")
    if source not in _NEGATIVE_SOURCES:
        raise check.fail(
            "binary_negatives.source",
            f"unknown source {source!r}",
            hint=f"use one of {', '.join(_NEGATIVE_SOURCES)}",
        )
    fraction = check.number(data.get("fraction", 1.0), "binary_negatives.fraction")
    if not 0.0 < fraction <= 1.0:
        raise check.fail("binary_negatives.fraction", f"must lie in (0, 1], got {fraction:g}")
    return BinaryNegatives(source=source, fraction=fraction)


def _parse_split_table(check: _Checker, data: dict[str, Any]) -> SplitSpec:
    table = check.file(data["table"], "split.table")
    name_column = check.string(data.get("name_column", "contig"), "split.name_column")
    split_column = check.string(data.get("split_column", "split"), "split.split_column")
    groups: dict[str, list[str]] = {key: [] for key in _SPLIT_TABLE_VALUES}
    try:
        with open(table, newline="", encoding="utf-8") as handle:
            lines = (line for line in handle if line.strip() and not line.startswith("#"))
            reader = csv.DictReader(lines, delimiter="\t")
            header = reader.fieldnames or []
            for column, key in ((name_column, "name_column"), (split_column, "split_column")):
                if column not in header:
                    raise ManifestError(
                        f"split table has no column {column!r} (columns: {', '.join(header) or 'none'})",
                        source=table,
                        hint=f"set split.{key} in {check.path} to one of the table's columns",
                    )
            for row_number, row in enumerate(reader, start=2):
                name = (row.get(name_column) or "").strip()
                value = (row.get(split_column) or "").strip().lower()
                if not name:
                    raise ManifestError(f"line {row_number}: empty {name_column!r}", source=table)
                if value not in _SPLIT_TABLE_VALUES:
                    raise ManifestError(
                        f"line {row_number}: split value {value!r} for {name!r} is not one of "
                        f"{', '.join(sorted(_SPLIT_TABLE_VALUES))}",
                        source=table,
                        hint="use train, valid, test or exclude",
                    )
                groups[value].append(name)
    except OSError as exc:
        raise ManifestError(f"cannot read split table: {exc}", source=table) from exc
    split = SplitSpec(
        test=tuple(groups["test"]),
        valid=tuple(groups["valid"]),
        train=tuple(groups["train"]),
        exclude=tuple(groups["exclude"]),
    )
    return _checked_split(check, split)


def _checked_split(check: _Checker, split: SplitSpec) -> SplitSpec:
    if not split.test:
        raise check.fail("split.test", "no test chromosome given")
    if not split.valid:
        raise check.fail("split.valid", "no validation chromosome given")
    if split.train is not None and not split.train:
        raise check.fail("split.train", "empty list (use null for 'every other chromosome')")
    groups = {"test": split.test, "valid": split.valid, "train": split.train or (), "exclude": split.exclude}
    owner: dict[str, str] = {}
    for group, names in groups.items():
        for name in names:
            if name in owner and owner[name] != group:
                raise check.fail(
                    f"split.{group}",
                    f"chromosome {name!r} is in both split.{owner[name]} and split.{group}",
                    hint="each chromosome belongs to one split",
                )
            owner[name] = group
    return split


def _parse_geometry(check: _Checker, value: Any) -> Geometry:
    data = dict(DEFAULT_GEOMETRY)
    if value is not None:
        data.update(check.mapping(value, "geometry", _GEOMETRY_KEYS))
    chunk = check.integer(data["chunk_length"], "geometry.chunk_length")
    length = check.integer(data["input_length"], "geometry.input_length")
    bins_value = data["bin_sizes"]
    if isinstance(bins_value, int) and not isinstance(bins_value, bool):
        bins_value = [bins_value]
    if not isinstance(bins_value, (list, tuple)) or not bins_value:
        raise check.fail(
            "geometry.bin_sizes", f"expected a non-empty list of integers, got {_type_name(bins_value)}"
        )
    bins = tuple(check.integer(b, f"geometry.bin_sizes[{i}]") for i, b in enumerate(bins_value))
    common = check.integer(data["common_bin"], "geometry.common_bin")
    threshold = check.number(data["coverage_threshold"], "geometry.coverage_threshold")
    if length > chunk:
        raise check.fail(
            "geometry.input_length",
            f"input_length {length} is larger than chunk_length {chunk}",
            hint="chunks hold the input window plus room for random shifts (paper: 3072 vs 2048)",
        )
    bad = [b for b in bins if length % b]
    if bad:
        raise check.fail(
            "geometry.bin_sizes",
            f"bin size(s) {', '.join(map(str, bad))} do not divide input_length {length}",
            hint="every bin size must divide input_length",
        )
    if common not in bins:
        raise check.fail(
            "geometry.common_bin",
            f"common_bin {common} is not one of bin_sizes {list(bins)}",
            hint="add it to bin_sizes or pick one of them",
        )
    return Geometry(chunk, length, tuple(sorted(set(bins))), common, threshold)


def load_manifest(path_or_bundle_dir: str | Path) -> Manifest:
    """Read and validate a bundle manifest (YAML or JSON).

    Parameters
    ----------
    path_or_bundle_dir:
        The manifest file, or the bundle folder holding it.

    Returns
    -------
    Manifest
        The validated manifest with absolute paths.

    Raises
    ------
    ManifestError
        If the manifest is missing or malformed, a field has the wrong type, a key is unknown,
        a named file does not exist, or the geometry is inconsistent. The message names the
        manifest file and the field.
    """
    path = find_manifest(path_or_bundle_dir)
    check = _Checker(path)
    document = _read_document(path)
    if document is None:
        raise ManifestError(
            "the manifest is empty", source=path, hint="see docs/ARCHITECTURE.md for the schema"
        )
    data = check.mapping(document, "<top level>")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ManifestError(
            f"unknown top-level field(s) {', '.join(map(repr, unknown))}",
            source=path,
            hint=f"allowed fields: {', '.join(sorted(_TOP_KEYS))}",
        )
    version = data.get("benchsuite_manifest", MANIFEST_VERSION)
    if isinstance(version, bool) or version != MANIFEST_VERSION:
        raise check.fail(
            "benchsuite_manifest",
            f"unsupported manifest version {version!r} (this benchsuite reads version {MANIFEST_VERSION})",
            hint="upgrade benchsuite or rewrite the manifest",
        )
    for required in ("genome", "targets"):
        if required not in data:
            raise check.fail(required, "missing (required)", hint="see docs/ARCHITECTURE.md for the schema")
    name = check.string(data["name"], "name") if data.get("name") is not None else path.parent.name
    variants = None
    if data.get("variants") is not None:
        v = check.mapping(data["variants"], "variants", _VARIANT_KEYS)
        for key in _VARIANT_KEYS:
            if key not in v:
                raise check.fail(f"variants.{key}", "missing (a variant set needs sequences and table)")
        variants = VariantSetSpec(
            sequences=check.file(v["sequences"], "variants.sequences"),
            table=check.file(v["table"], "variants.table"),
        )
    simulator = data.get("simulator")
    if simulator is not None:
        simulator = check.mapping(simulator, "simulator")
    genome = check.file(data["genome"], "genome")
    targets = _parse_targets(check, data["targets"])
    if not any(t.track is not None for t in targets):
        raise check.fail(
            "targets",
            "no target has a coverage track",
            hint="at least one target needs `track:` (the quantitative task and whole-chromosome "
            "metrics need coverage); label-only targets complement coverage targets",
        )
    negatives = _parse_binary_negatives(check, data.get("binary_negatives"))
    if negatives is not None and not any(t.peaks is not None for t in targets):
        raise check.fail(
            "binary_negatives",
            "no target has a peaks file, so there is no binary dataset to add negatives to",
            hint="add `peaks:` to a target or remove binary_negatives",
        )
    return Manifest(
        path=path,
        root=path.parent,
        name=name,
        genome=genome,
        targets=targets,
        split=_parse_split(check, data.get("split")),
        excluded=check.optional_file(data, "excluded", "excluded"),
        map_chrom_names=check.boolean(data.get("map_chrom_names", False), "map_chrom_names"),
        variants=variants,
        motifs=check.optional_file(data, "motifs", "motifs"),
        truth=check.optional_file(data, "truth", "truth"),
        geometry=_parse_geometry(check, data.get("geometry")),
        simulator=simulator,
        motif_exclude=_parse_motif_exclude(check, data.get("motif_exclude")),
        binary_negatives=negatives,
    )


# --------------------------------------------------------------------------------------------
# writing


def _plain(value: Any) -> Any:
    """Turn Paths, tuples and numpy scalars into YAML/JSON-friendly values."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    return value


def write_manifest(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write a manifest atomically (YAML, or JSON when ``path`` ends in ``.json``).

    Parameters
    ----------
    path:
        The manifest file, or a bundle folder (then ``manifest.yaml`` inside it).
    data:
        The manifest content (see ``docs/ARCHITECTURE.md``); paths may be :class:`~pathlib.Path`
        objects and are written as strings (keep them relative to the bundle folder).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from benchsuite.io.atomic import atomic_write

    target = Path(path)
    if target.is_dir() or target.suffix.lower() not in (".yaml", ".yml", ".json"):
        target = target / MANIFEST_NAMES[0]
    plain = _plain(dict(data))
    plain.setdefault("benchsuite_manifest", MANIFEST_VERSION)
    # schema version first, for readers skimming the file
    plain = {"benchsuite_manifest": plain.pop("benchsuite_manifest"), **plain}
    with atomic_write(target, "w") as handle:
        if target.suffix.lower() == ".json":
            json.dump(plain, handle, indent=2)
            handle.write("\n")
        else:
            yaml.safe_dump(plain, handle, sort_keys=False, default_flow_style=None, width=110)
    return target
