"""Validation of the fields of a bundle manifest.

:class:`Checker` holds the type and file checks; each ``parse_*`` function turns one field of the
document into its model object (:mod:`benchsuite.data.manifest_model`). Every error is a
:class:`~benchsuite.errors.ManifestError` naming the manifest file and the offending field.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchsuite.data.manifest_model import (
    DEFAULT_GEOMETRY,
    DEFAULT_SPLIT,
    BinaryNegatives,
    Geometry,
    SplitSpec,
    TargetSpec,
    VariantSetSpec,
)
from benchsuite.data.manifest_vars import expand_path_variables
from benchsuite.data.peakcall import target_peaks
from benchsuite.errors import ManifestError

__all__ = [
    "Checker",
    "type_name",
    "parse_targets",
    "parse_split",
    "parse_split_table",
    "checked_split",
    "parse_geometry",
    "parse_variants",
    "parse_motif_exclude",
    "parse_binary_negatives",
]

_TARGET_KEYS = {"name", "track", "replicate2", "peaks", "description", "clip_negative"}
_SPLIT_LIST_KEYS = {"test", "valid", "train", "exclude"}
_SPLIT_TABLE_KEYS = {"table", "name_column", "split_column"}
_SPLIT_TABLE_VALUES = {"train", "valid", "test", "exclude"}
_GEOMETRY_KEYS = set(DEFAULT_GEOMETRY)
_VARIANT_KEYS = {"sequences", "table"}
_NEGATIVE_KEYS = {"source", "fraction"}
_NEGATIVE_SOURCES = ("coverage-threshold", "genome")


def type_name(value: Any) -> str:
    """A value's type (and the value, when short) for error messages."""
    if value is None:
        return "nothing (null)"
    return (
        f"{type(value).__name__} {value!r}" if not isinstance(value, (dict, list)) else type(value).__name__
    )


class Checker:
    """Field validation helpers that raise ManifestError naming the manifest and the field."""

    def __init__(self, manifest_path: Path) -> None:
        self.path = manifest_path
        self.root = manifest_path.parent

    def fail(self, field_name: str, message: str, hint: str | None = None) -> ManifestError:
        """The error for ``field_name`` (returned, for the caller to raise)."""
        return ManifestError(f"field '{field_name}': {message}", source=self.path, hint=hint)

    def mapping(self, value: Any, field_name: str, allowed: set[str] | None = None) -> dict[str, Any]:
        """``value`` as a dict with string keys, all of them in ``allowed`` when given."""
        if not isinstance(value, Mapping):
            raise self.fail(field_name, f"expected a mapping, got {type_name(value)}")
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
        """``value`` as a non-empty string."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field_name, f"expected a non-empty string, got {type_name(value)}")
        return value

    def boolean(self, value: Any, field_name: str) -> bool:
        """``value`` as a bool (``true``/``false`` only)."""
        if not isinstance(value, bool):
            raise self.fail(field_name, f"expected true or false, got {type_name(value)}")
        return value

    def integer(self, value: Any, field_name: str, minimum: int = 1) -> int:
        """``value`` as an int of at least ``minimum`` (bools refused)."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field_name, f"expected an integer, got {type_name(value)}")
        if value < minimum:
            raise self.fail(field_name, f"must be >= {minimum}, got {value}")
        return value

    def number(self, value: Any, field_name: str) -> float:
        """``value`` as a finite float (bools refused)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field_name, f"expected a number, got {type_name(value)}")
        if not math.isfinite(value):
            raise self.fail(field_name, f"must be finite, got {value}")
        return float(value)

    def file(self, value: Any, field_name: str) -> Path:
        """``value`` as an existing file's absolute path (variables expanded; relative to the manifest)."""
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
        """:meth:`file` of ``data[key]``, or None when the key is absent or null."""
        value = data.get(key)
        return None if value is None else self.file(value, field_name)

    def names(self, value: Any, field_name: str) -> tuple[str, ...]:
        """``value`` (one name or a list) as a tuple of chromosome names."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise self.fail(field_name, f"expected a list of chromosome names, got {type_name(value)}")
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise self.fail(f"{field_name}[{i}]", f"expected a chromosome name, got {type_name(item)}")
            out.append(str(item))
        return tuple(out)


def parse_targets(check: Checker, value: Any) -> tuple[TargetSpec, ...]:
    """The ``targets`` list: unique names, each with a track, peaks or both; one track at least."""
    if not isinstance(value, list) or not value:
        raise check.fail("targets", f"expected a non-empty list of targets, got {type_name(value)}")
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
        if item.get("track") is None and item.get("clip_negative"):
            raise check.fail(
                f"{where}.clip_negative",
                "set on a target without a coverage track (it clips negative coverage values)",
                hint="remove `clip_negative:` or add `track:`",
            )
        name = check.string(item["name"], f"{where}.name")
        if name in seen:
            raise check.fail(
                f"{where}.name", f"duplicate target name {name!r}", hint="target names must be unique"
            )
        seen.add(name)
        description = item.get("description") or ""
        if not isinstance(description, str):
            raise check.fail(f"{where}.description", f"expected a string, got {type_name(description)}")
        targets.append(
            TargetSpec(
                name=name,
                track=check.optional_file(item, "track", f"{where}.track"),
                replicate2=check.optional_file(item, "replicate2", f"{where}.replicate2"),
                **target_peaks(check, item, f"{where}.peaks"),
                description=description,
                clip_negative=check.boolean(item.get("clip_negative", False), f"{where}.clip_negative"),
            )
        )
    return tuple(targets)


def parse_split(check: Checker, value: Any) -> SplitSpec:
    """The ``split`` field: chromosome lists (paper defaults for missing ones), a split table,
    a fold file (``folds``) or BED regions (``test_regions``/``valid_regions``; see
    :mod:`benchsuite.data.split_fields`)."""
    from benchsuite.data import split_fields

    if value is None:
        value = DEFAULT_SPLIT
    data = check.mapping(value, "split")
    if "table" in data:
        return parse_split_table(check, check.mapping(data, "split", _SPLIT_TABLE_KEYS))
    if "folds" in data:
        return split_fields.parse_split_folds(
            check, check.mapping(data, "split", split_fields.SPLIT_FOLD_KEYS)
        )
    if "test_regions" in data or "valid_regions" in data:
        regions = check.mapping(data, "split", split_fields.SPLIT_REGION_KEYS)
        return split_fields.parse_split_regions(check, regions)
    data = check.mapping(data, "split", _SPLIT_LIST_KEYS)
    test = check.names(data.get("test", DEFAULT_SPLIT["test"]), "split.test")
    valid = check.names(data.get("valid", DEFAULT_SPLIT["valid"]), "split.valid")
    train_value = data.get("train")
    train = None if train_value is None else check.names(train_value, "split.train")
    exclude_value = data.get("exclude", DEFAULT_SPLIT["exclude"])
    exclude = () if exclude_value is None else check.names(exclude_value, "split.exclude")
    return checked_split(check, SplitSpec(test=test, valid=valid, train=train, exclude=exclude))


def parse_split_table(check: Checker, data: dict[str, Any]) -> SplitSpec:
    """A split given as a TSV table (``table``, ``name_column``, ``split_column``)."""
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
    return checked_split(check, split)


def checked_split(check: Checker, split: SplitSpec) -> SplitSpec:
    """``split`` after checking that test/valid are given and no chromosome is in two groups."""
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


def parse_geometry(check: Checker, value: Any) -> Geometry:
    """The ``geometry`` field over the paper's defaults, checked for consistency."""
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
            "geometry.bin_sizes", f"expected a non-empty list of integers, got {type_name(bins_value)}"
        )
    bins = tuple(check.integer(b, f"geometry.bin_sizes[{i}]") for i, b in enumerate(bins_value))
    common = check.integer(data["common_bin"], "geometry.common_bin")
    threshold = check.number(data["coverage_threshold"], "geometry.coverage_threshold")
    if threshold < 0:
        raise check.fail(
            "geometry.coverage_threshold",
            f"coverage_threshold {threshold:g} is negative; coverage is >= 0, so it would select every chunk",
            hint="use a threshold >= 0 (0 keeps every chunk with any coverage)",
        )
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


def parse_variants(check: Checker, value: Any) -> VariantSetSpec | None:
    """The optional ``variants`` field (element sequences and variants table)."""
    if value is None:
        return None
    v = check.mapping(value, "variants", _VARIANT_KEYS)
    for key in _VARIANT_KEYS:
        if key not in v:
            raise check.fail(f"variants.{key}", "missing (a variant set needs sequences and table)")
    return VariantSetSpec(
        sequences=check.file(v["sequences"], "variants.sequences"),
        table=check.file(v["table"], "variants.table"),
    )


def parse_motif_exclude(check: Checker, value: Any) -> tuple[str, ...] | None:
    """The optional ``motif_exclude`` list (one ID or name, or a list of them)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise check.fail("motif_exclude", f"expected a list of motif IDs or names, got {type_name(value)}")
    return tuple(check.string(v, f"motif_exclude[{i}]").strip() for i, v in enumerate(value))


def parse_binary_negatives(
    check: Checker, value: Any, targets: tuple[TargetSpec, ...]
) -> BinaryNegatives | None:
    """The optional ``binary_negatives`` field (``true`` or a mapping); needs a target with peaks."""
    negatives = _binary_negatives(check, value)
    if negatives is not None and not any(t.has_labels for t in targets):
        raise check.fail(
            "binary_negatives",
            "no target has a peaks file, so there is no binary dataset to add negatives to",
            hint="add `peaks:` to a target or remove binary_negatives",
        )
    no_coverage = not any(t.track is not None for t in targets)
    if negatives is not None and negatives.source == "coverage-threshold" and no_coverage:
        raise check.fail(
            "binary_negatives.source",
            "source 'coverage-threshold' needs coverage, but no target has a `track:`",
            hint="use `binary_negatives: {source: genome}` (peak-free chunks of the whole "
            "genome) for a bundle of peak files only",
        )
    return negatives


def _binary_negatives(check: Checker, value: Any) -> BinaryNegatives | None:
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
