"""Sequence-set bundles: the manifest of labelled sequences that are not tiles of a genome.

A manifest with ``kind: sequences`` names a table (TSV, CSV, Parquet) or a FASTA file of
sequences with per-sequence binary labels (``labels:``, 0/1 columns, multi-label allowed)
and/or scalar quantitative values (``values:``), and a split (a split column, or a seeded
random split). :func:`parse_sequence_set` turns the document into a
:class:`SequenceSetManifest`; :func:`benchsuite.data.manifest_load.load_manifest` dispatches
here by ``kind``. The sequences are read and checked by :mod:`benchsuite.data.seqset`, the
cache is built by :mod:`benchsuite.data.seqset_build` (docs/real-data.md, "Sequence sets").

:class:`SequenceSetManifest` offers the attributes the rest of benchsuite reads of a
:class:`~benchsuite.data.manifest_model.Manifest` (name, targets and their task names,
geometry, motifs, simulator; ``genome``, ``variants`` and ``truth`` are None), so the
DataModules, the runner, the harness and the records take either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchsuite.data.manifest_fields import Checker, parse_motif_exclude
from benchsuite.data.manifest_model import Geometry
from benchsuite.errors import ManifestError

__all__ = [
    "SEQUENCE_SET_KIND",
    "SEQUENCE_FORMATS",
    "SequenceColumn",
    "SequenceSource",
    "SeqSplit",
    "SequenceSetManifest",
    "parse_sequence_set",
    "sequence_set_geometry",
]

#: the manifest ``kind`` of a sequence-set bundle (the genome kind is ``genome``, the default)
SEQUENCE_SET_KIND = "sequences"
#: formats of the sequence file
SEQUENCE_FORMATS = ("tsv", "csv", "parquet", "fasta")
_SUFFIX_FORMAT = {".tsv": "tsv", ".txt": "tsv", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz")

_TOP_KEYS = {
    "benchsuite_manifest",
    "kind",
    "name",
    "description",
    "sequences",
    "labels",
    "values",
    "split",
    "input_length",
    "motifs",
    "motif_exclude",
    "simulator",
}
_SOURCE_KEYS = {"file", "format", "sequence_column", "id_column"}
_COLUMN_KEYS = {"name", "column", "description"}
_SPLIT_KEYS = {"column", "seed", "fractions"}
_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class SequenceSource:
    """Where the sequences are: a table or a FASTA file.

    Attributes
    ----------
    file:
        Absolute path of the file.
    format:
        ``"tsv"``, ``"csv"``, ``"parquet"`` or ``"fasta"``.
    sequence_column:
        Column holding the sequences (tables only).
    id_column:
        Optional column with sequence names (tables; FASTA names come from the header).
    """

    file: Path
    format: str
    sequence_column: str = "sequence"
    id_column: str | None = None


@dataclass(frozen=True)
class SequenceColumn:
    """One target of a sequence set: a label (0/1) or value (scalar) column.

    In a FASTA file, ``column`` is a ``key`` of the header's ``key=value`` fields. A label
    and a value with the same ``name`` are one target (like a genome target with peaks and a
    track): the task conversion pairs them.
    """

    name: str
    column: str
    description: str = ""
    # read by code written for genome targets (replicate-2 ceilings, track/peaks checks)
    track: None = None
    replicate2: None = None
    peaks: None = None


@dataclass(frozen=True)
class SeqSplit:
    """The split: a column of ``train``/``valid``/``test`` values, or a seeded random split."""

    column: str | None = None
    seed: int = 0
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable; part of the dataset fingerprint)."""
        if self.column is not None:
            return {"column": self.column}
        return {"seed": self.seed, "fractions": dict(zip(_SPLITS, self.fractions, strict=True))}


def sequence_set_geometry(input_length: int) -> Geometry:
    """The geometry of a sequence set: one ``input_length`` window per sequence, one bin."""
    return Geometry(
        chunk_length=input_length,
        input_length=input_length,
        bin_sizes=(input_length,),
        common_bin=input_length,
        coverage_threshold=0.0,
    )


@dataclass(frozen=True)
class SequenceSetManifest:
    """A validated sequence-set manifest (``kind: sequences``); every path is absolute."""

    path: Path
    root: Path
    name: str
    sequences: SequenceSource
    labels: tuple[SequenceColumn, ...]
    values: tuple[SequenceColumn, ...]
    split: SeqSplit
    input_length: int
    motifs: Path | None = None
    motif_exclude: tuple[str, ...] | None = None
    simulator: dict[str, Any] | None = None
    description: str = ""
    kind: str = SEQUENCE_SET_KIND
    # what genome manifests have and sequence sets do not
    genome: None = None
    variants: None = None
    truth: None = None
    excluded: None = None
    map_chrom_names: bool = False
    binary_negatives: None = None
    geometry: Geometry = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "geometry", sequence_set_geometry(self.input_length))

    @property
    def targets(self) -> tuple[SequenceColumn, ...]:
        """Labels then values whose name is not a label's (one entry per target name)."""
        names = {t.name for t in self.labels}
        return (*self.labels, *(v for v in self.values if v.name not in names))

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every target name (labels first)."""
        return tuple(t.name for t in self.targets)

    @property
    def coverage_targets(self) -> tuple[SequenceColumn, ...]:
        """The value targets (the quantitative task), in manifest order."""
        return self.values

    @property
    def label_targets(self) -> tuple[SequenceColumn, ...]:
        """The label targets (the binary task), in manifest order."""
        return self.labels

    @property
    def coverage_target_names(self) -> tuple[str, ...]:
        """Names of the value targets (the ``T`` axis of the cached values)."""
        return tuple(v.name for v in self.values)

    @property
    def label_target_names(self) -> tuple[str, ...]:
        """Names of the label targets (the ``K`` axis of the cached labels)."""
        return tuple(t.name for t in self.labels)

    def task_target_names(self, kind: str) -> tuple[str, ...]:
        """The targets of task ``kind``: values (``"quantitative"``) or labels (``"binary"``)."""
        if kind == "quantitative":
            return self.coverage_target_names
        if kind == "binary":
            return self.label_target_names
        raise ValueError(f"unknown task kind {kind!r} (binary or quantitative)")

    def input_files(self) -> list[tuple[str, Path]]:
        """Every file the manifest names, as ``(role, path)`` pairs (the fingerprint's inputs).

        The motif database is an evaluation input and, as for genome bundles, part of it.
        """
        files = [("sequences", self.sequences.file)]
        if self.motifs is not None:
            files.append(("motifs", self.motifs))
        return files


def _source(check: Checker, value: Any) -> SequenceSource:
    data = check.mapping(value, "sequences", _SOURCE_KEYS)
    if "file" not in data:
        raise check.fail("sequences.file", "missing (required)", hint="the table or FASTA of the sequences")
    path = check.file(data["file"], "sequences.file")
    fmt = data.get("format")
    if fmt is None:
        name = path.name.lower()
        fmt = "fasta" if name.endswith(_FASTA_SUFFIXES) else _SUFFIX_FORMAT.get(path.suffix.lower())
        if fmt is None:
            raise check.fail(
                "sequences.format",
                f"cannot tell the format of {path.name!r} from its name",
                hint=f"set sequences.format to one of {', '.join(SEQUENCE_FORMATS)}",
            )
    elif fmt not in SEQUENCE_FORMATS:
        raise check.fail(
            "sequences.format", f"unknown format {fmt!r}", hint=f"one of {', '.join(SEQUENCE_FORMATS)}"
        )
    column = check.string(data.get("sequence_column", "sequence"), "sequences.sequence_column")
    ident = data.get("id_column")
    if fmt == "fasta" and ("sequence_column" in data or ident is not None):
        raise check.fail(
            "sequences",
            "sequence_column and id_column apply to tables, not to FASTA",
            hint="a FASTA record's name is its id and its lines are the sequence; remove those keys",
        )
    return SequenceSource(
        path, str(fmt), column, None if ident is None else check.string(ident, "sequences.id_column")
    )


def _columns(check: Checker, value: Any, field_name: str) -> tuple[SequenceColumn, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise check.fail(field_name, "expected a non-empty list of {name, column}", hint="or leave it out")
    out: list[SequenceColumn] = []
    for i, item in enumerate(value):
        where = f"{field_name}[{i}]"
        data = check.mapping(item, where, _COLUMN_KEYS)
        if "name" not in data:
            raise check.fail(f"{where}.name", "missing (required)")
        name = check.string(data["name"], f"{where}.name")
        column = check.string(data.get("column", name), f"{where}.column")
        description = (
            check.string(data["description"], f"{where}.description") if "description" in data else ""
        )
        if any(c.name == name for c in out):
            raise check.fail(f"{where}.name", f"duplicate target name {name!r}", hint="names must be unique")
        out.append(SequenceColumn(name, column, description))
    return tuple(out)


def _split(check: Checker, value: Any) -> SeqSplit:
    if value is None:
        raise check.fail(
            "split",
            "missing (required)",
            hint="give `split: {column: split}` or "
            "`split: {seed: 0, fractions: {train: 0.8, valid: 0.1, test: 0.1}}`",
        )
    data = check.mapping(value, "split", _SPLIT_KEYS)
    if "column" in data:
        if len(data) > 1:
            raise check.fail("split", "give either `column` or `seed`/`fractions`, not both")
        return SeqSplit(column=check.string(data["column"], "split.column"))
    seed = check.integer(data.get("seed", 0), "split.seed", minimum=0)
    raw = check.mapping(data.get("fractions", {"train": 0.8, "valid": 0.1, "test": 0.1}), "split.fractions")
    if set(raw) != set(_SPLITS):
        raise check.fail("split.fractions", f"needs exactly the keys train, valid, test, got {sorted(raw)}")
    fractions = tuple(check.number(raw[s], f"split.fractions.{s}") for s in _SPLITS)
    if any(f <= 0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise check.fail(
            "split.fractions",
            "each fraction must be > 0 and they must sum to 1, "
            f"got {dict(zip(_SPLITS, fractions, strict=True))}",
        )
    return SeqSplit(seed=seed, fractions=fractions)  # type: ignore[arg-type]


def parse_sequence_set(path: Path, data: dict[str, Any]) -> SequenceSetManifest:
    """Validate a ``kind: sequences`` manifest document.

    Parameters
    ----------
    path:
        The manifest file (errors name it; relative paths are relative to its folder).
    data:
        The parsed document (a mapping).

    Returns
    -------
    SequenceSetManifest

    Raises
    ------
    ManifestError
        An unknown or missing field, a wrong type, a missing file, no labels and no values,
        a bad split or input length. The message names the manifest and the field.
    """
    check = Checker(path)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ManifestError(
            f"unknown top-level field(s) {', '.join(map(repr, unknown))} for a sequence-set manifest",
            source=path,
            hint=f"allowed fields with kind: sequences: {', '.join(sorted(_TOP_KEYS))}",
        )
    name = check.string(data["name"], "name") if data.get("name") is not None else path.parent.name
    if "sequences" not in data:
        raise check.fail("sequences", "missing (required)", hint="see docs/real-data.md, 'Sequence sets'")
    source = _source(check, data["sequences"])
    labels = _columns(check, data.get("labels"), "labels")
    values = _columns(check, data.get("values"), "values")
    if not labels and not values:
        raise check.fail(
            "labels", "a sequence set needs `labels:` (binary), `values:` (quantitative) or both"
        )
    if "input_length" not in data:
        raise check.fail(
            "input_length",
            "missing (required)",
            hint="the model input length; sequences are centre-cropped or N-padded to it",
        )
    simulator = data.get("simulator")
    description = data.get("description")
    return SequenceSetManifest(
        path=path,
        root=path.parent,
        name=name,
        sequences=source,
        labels=labels,
        values=values,
        split=_split(check, data.get("split")),
        input_length=check.integer(data["input_length"], "input_length", minimum=1),
        motifs=check.optional_file(data, "motifs", "motifs"),
        motif_exclude=parse_motif_exclude(check, data.get("motif_exclude")),
        simulator=None if simulator is None else check.mapping(simulator, "simulator"),
        description="" if description is None else check.string(description, "description"),
    )
