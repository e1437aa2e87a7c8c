"""Reading a sequence set: the sequences, their labels/values and split, checked and fitted.

:func:`read_sequence_records` reads the table (TSV/CSV with a header row, Parquet) or FASTA
file of a :class:`~benchsuite.data.seqset_manifest.SequenceSetManifest`;
:func:`load_sequence_set` turns the records into arrays: base codes fitted to the input
length (:func:`fit_length`), labels ``(N, K)`` uint8, values ``(N, T)`` float32 and the split
of every sequence (:func:`assign_split`). Every problem is one
:class:`~benchsuite.errors.InputFileError` naming the file, the line (or row) and the column.

Length rule (:func:`fit_length`): a sequence of length ``n`` becomes exactly ``L``
(``input_length``) bases. ``n > L``: the central ``L`` bases are kept, from offset
``(n - L) // 2`` (one base more is cut on the right when ``n - L`` is odd). ``n < L``: the
sequence is padded with N (code 4, an all-zero one-hot column), ``(L - n) // 2`` bases on the
left and the rest on the right.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchsuite.data.seqset_manifest import SeqSplit, SequenceColumn, SequenceSetManifest
from benchsuite.errors import DatasetError, InputFileError

__all__ = [
    "SPLIT_NAMES",
    "SequenceRecords",
    "SequenceSet",
    "assign_split",
    "fit_length",
    "load_sequence_set",
    "read_sequence_records",
]

#: split values of a split column (and of a seeded split), in cache order
SPLIT_NAMES = ("train", "valid", "test")
_BAD_BASE = re.compile(r"[^ACGTNacgtn]")
_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate("ACGTN"):
    _CODE[ord(_b)] = _CODE[ord(_b.lower())] = _i


@dataclass
class SequenceRecords:
    """The raw records of a sequence file.

    Attributes
    ----------
    ids, sequences:
        Per record: its name and its sequence text.
    where:
        Per record: how an error names it (``"line 7"`` of a table or FASTA header, ``"row 7"``
        of a Parquet file).
    fields:
        Column (FASTA: header key) -> raw text per record, for the columns asked for.
    """

    ids: list[str]
    sequences: list[str]
    where: list[str]
    fields: dict[str, list[str]]


@dataclass
class SequenceSet:
    """A loaded sequence set: arrays over all sequences, in file order."""

    ids: list[str]
    codes: np.ndarray  # (N, L) uint8
    labels: np.ndarray  # (N, K) uint8
    values: np.ndarray  # (N, T) float32
    split: np.ndarray  # (N,) int8 index into SPLIT_NAMES
    lengths: np.ndarray  # (N,) original lengths

    def rows(self, split: str) -> np.ndarray:
        """Indices of the sequences of ``split`` (file order)."""
        return np.flatnonzero(self.split == SPLIT_NAMES.index(split))


def fit_length(codes: np.ndarray, length: int) -> np.ndarray:
    """Centre-crop or N-pad base codes to exactly ``length`` (see the module docstring).

    Parameters
    ----------
    codes:
        ``(n,)`` uint8 base codes.
    length:
        The input length ``L``.

    Returns
    -------
    numpy.ndarray
        ``(L,)`` uint8 codes.
    """
    n = int(codes.shape[0])
    if n >= length:
        start = (n - length) // 2
        return np.ascontiguousarray(codes[start : start + length], dtype=np.uint8)
    out = np.full(length, 4, dtype=np.uint8)
    left = (length - n) // 2
    out[left : left + n] = codes
    return out


def _needed_columns(manifest: SequenceSetManifest) -> list[str]:
    columns = [c.column for c in (*manifest.labels, *manifest.values)]
    if manifest.split.column is not None:
        columns.append(manifest.split.column)
    return list(dict.fromkeys(columns))


def _missing_column(path: Path, column: str, available: list[str], what: str = "column") -> InputFileError:
    return InputFileError(
        f"no {what} {column!r} (the file has {', '.join(map(repr, available)) or 'none'})",
        source=path,
        hint="fix the column name in the manifest (labels/values/split/sequences) or in the file",
    )


def _read_table(manifest: SequenceSetManifest, columns: list[str]) -> SequenceRecords:
    source = manifest.sequences
    path = source.file
    delimiter = "\t" if source.format == "tsv" else ","
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise InputFileError("the table is empty (no header row)", source=path)
            header = [h.strip() for h in header]
            wanted = [source.sequence_column, *columns, *([source.id_column] if source.id_column else [])]
            for column in wanted:
                if column not in header:
                    raise _missing_column(path, column, header)
            index = {c: header.index(c) for c in wanted}
            records = SequenceRecords([], [], [], {c: [] for c in columns})
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise InputFileError(
                        f"line {line}: {len(row)} fields, the header has {len(header)}",
                        source=path,
                        hint=f"every row needs one {'tab' if delimiter == chr(9) else 'comma'}-separated "
                        "field per header column",
                    )
                records.sequences.append(row[index[source.sequence_column]].strip())
                ident = row[index[source.id_column]].strip() if source.id_column else f"seq{len(records.ids)}"
                records.ids.append(ident)
                records.where.append(f"line {line}")
                for c in columns:
                    records.fields[c].append(row[index[c]].strip())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"cannot read the table: {exc}", source=path) from exc
    return records


def _read_parquet(manifest: SequenceSetManifest, columns: list[str]) -> SequenceRecords:
    import pandas as pd

    source = manifest.sequences
    try:
        frame = pd.read_parquet(source.file)
    except ImportError as exc:
        raise InputFileError(
            f"reading Parquet needs pyarrow or fastparquet ({exc})",
            source=source.file,
            hint="pip install pyarrow, or give the sequences as TSV/CSV",
        ) from exc
    except Exception as exc:  # pyarrow raises its own types for corrupt files
        raise InputFileError(f"cannot read the Parquet file: {exc}", source=source.file) from exc
    available = [str(c) for c in frame.columns]
    wanted = [source.sequence_column, *columns, *([source.id_column] if source.id_column else [])]
    for column in wanted:
        if column not in available:
            raise _missing_column(source.file, column, available)
    n = len(frame)
    ids = [str(x) for x in frame[source.id_column]] if source.id_column else [f"seq{i}" for i in range(n)]

    def text(column: str) -> list[str]:
        return [
            "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
            for v in frame[column]
        ]

    return SequenceRecords(
        ids,
        text(source.sequence_column),
        [f"row {i + 1}" for i in range(n)],
        {c: text(c) for c in columns},
    )


def _read_fasta(manifest: SequenceSetManifest, columns: list[str]) -> SequenceRecords:
    path = manifest.sequences.file
    records = SequenceRecords([], [], [], {c: [] for c in columns})
    parts: list[str] = []
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for line_no, raw in enumerate(handle, start=1):
                line = raw.strip()
                if not line:
                    continue
                if line.startswith(">"):
                    if records.ids:
                        records.sequences.append("".join(parts))
                    parts = []
                    _fasta_header(path, line_no, line, columns, records)
                elif not records.ids:
                    raise InputFileError(f"line {line_no}: sequence before the first '>' header", source=path)
                else:
                    parts.append(line)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputFileError(f"cannot read the FASTA file: {exc}", source=path) from exc
    if records.ids:
        records.sequences.append("".join(parts))
    return records


def _fasta_header(path: Path, line_no: int, line: str, columns: list[str], records: SequenceRecords) -> None:
    tokens = line[1:].split()
    if not tokens:
        raise InputFileError(f"line {line_no}: empty FASTA header", source=path)
    fields: dict[str, str] = {}
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if sep:
            fields[key] = value
    for column in columns:
        if column not in fields:
            raise InputFileError(
                f"line {line_no}: header of {tokens[0]!r} has no field {column}=...",
                source=path,
                hint=f"write headers like '>{tokens[0]} {column}=1' (key=value fields after the name)",
            )
        records.fields[column].append(fields[column])
    records.ids.append(tokens[0])
    records.where.append(f"line {line_no}")


def read_sequence_records(manifest: SequenceSetManifest) -> SequenceRecords:
    """Read the sequence file of a sequence-set manifest (every column the manifest names).

    Raises
    ------
    InputFileError
        Unreadable file, a missing column (FASTA: header field), a row with the wrong number
        of fields, no sequence at all.
    """
    columns = _needed_columns(manifest)
    fmt = manifest.sequences.format
    if fmt == "fasta":
        records = _read_fasta(manifest, columns)
    elif fmt == "parquet":
        records = _read_parquet(manifest, columns)
    else:
        records = _read_table(manifest, columns)
    if not records.ids:
        raise InputFileError(
            "the file holds no sequence", source=manifest.sequences.file, hint="add sequences"
        )
    return records


def _codes(records: SequenceRecords, path: Path, column: str, length: int) -> tuple[np.ndarray, np.ndarray]:
    out = np.empty((len(records.sequences), length), dtype=np.uint8)
    lengths = np.empty(len(records.sequences), dtype=np.int64)
    for i, seq in enumerate(records.sequences):
        if not seq:
            raise InputFileError(f"{records.where[i]}, column {column!r}: empty sequence", source=path)
        bad = _BAD_BASE.search(seq)
        if bad is not None:
            raise InputFileError(
                f"{records.where[i]}, column {column!r}: character {bad.group()!r} at position "
                f"{bad.start() + 1} is not A, C, G, T or N",
                source=path,
                hint="sequences may hold only A, C, G, T and N (any case); replace IUPAC codes by N",
            )
        codes = _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
        lengths[i] = codes.shape[0]
        out[i] = fit_length(codes, length)
    return out, lengths


def _numbers(
    records: SequenceRecords,
    path: Path,
    targets: tuple[SequenceColumn, ...],
    *,
    valid: Callable[[float], bool],
    what: str,
    hint: str,
) -> np.ndarray:
    """The ``targets`` columns as float64 ``(N, T)``; the first value ``valid`` refuses is one
    error naming the file, the line and the column."""
    out = np.zeros((len(records.ids), len(targets)), dtype=np.float64)
    for t, target in enumerate(targets):
        for i, text in enumerate(records.fields[target.column]):
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not valid(value):
                raise InputFileError(
                    f"{records.where[i]}, column {target.column!r}: {what.format(text=repr(text))}",
                    source=path,
                    hint=hint,
                )
            out[i, t] = value
    return out


def _labels(records: SequenceRecords, path: Path, targets: tuple[SequenceColumn, ...]) -> np.ndarray:
    return _numbers(
        records,
        path,
        targets,
        valid=lambda v: v in (0.0, 1.0),
        what="label {text} is not 0 or 1",
        hint="binary labels are 0 or 1; put scalar measurements under `values:`",
    ).astype(np.uint8)


def _values(records: SequenceRecords, path: Path, targets: tuple[SequenceColumn, ...]) -> np.ndarray:
    return _numbers(
        records,
        path,
        targets,
        valid=lambda v: math.isfinite(v) and v >= 0,
        what="value {text} is not a finite number >= 0",
        hint="quantitative values are non-negative like coverage (the models' Poisson "
        "loss); shift or transform them, and fill missing ones",
    ).astype(np.float32)


def assign_split(records: SequenceRecords, path: Path, split: SeqSplit) -> np.ndarray:
    """The split index (into :data:`SPLIT_NAMES`) of every record.

    A split column must hold ``train``, ``valid`` or ``test``. A seeded split shuffles the
    record indices with ``numpy.random.default_rng(seed)`` and gives the first
    ``round(n * test)`` to test, the next ``round(n * valid)`` to valid and the rest to train,
    so it depends only on the seed, the fractions and the number of records.

    Raises
    ------
    InputFileError
        A split value that is not train/valid/test.
    DatasetError
        A split without any sequence (the message names the file and the split column or seed).
    """
    n = len(records.ids)
    if split.column is not None:
        out = np.empty(n, dtype=np.int8)
        for i, text in enumerate(records.fields[split.column]):
            if text not in SPLIT_NAMES:
                raise InputFileError(
                    f"{records.where[i]}, column {split.column!r}: split {text!r} is not "
                    "train, valid or test",
                    source=path,
                )
            out[i] = SPLIT_NAMES.index(text)
        where = f"split column {split.column!r}"
    else:
        order = np.random.default_rng(split.seed).permutation(n)
        _train, f_valid, f_test = split.fractions
        n_test, n_valid = round(n * f_test), round(n * f_valid)
        out = np.zeros(n, dtype=np.int8)
        out[order[:n_test]] = 2
        out[order[n_test : n_test + n_valid]] = 1
        where = f"seeded split (seed {split.seed}, fractions {list(split.fractions)}) of {n} sequences"
    counts = np.bincount(out, minlength=3)
    for s, name in enumerate(SPLIT_NAMES):
        if counts[s] == 0:
            raise DatasetError(
                f"the {name} split holds no sequence ({where})",
                source=path,
                hint="every split (train, valid, test) needs sequences: fix the split column, or use "
                "more sequences / larger fractions",
            )
    return out


def load_sequence_set(manifest: SequenceSetManifest) -> SequenceSet:
    """Read, check and fit the sequences of a sequence-set manifest.

    Returns
    -------
    SequenceSet

    Raises
    ------
    InputFileError
        A missing column, a non-ACGTN character, an empty sequence, a label that is not 0/1,
        a value that is not a finite number >= 0, an unknown split value (file, line, column named).
    DatasetError
        An empty split.
    """
    records = read_sequence_records(manifest)
    path = manifest.sequences.file
    codes, lengths = _codes(records, path, manifest.sequences.sequence_column, manifest.input_length)
    return SequenceSet(
        ids=records.ids,
        codes=codes,
        labels=_labels(records, path, manifest.labels),
        values=_values(records, path, manifest.values),
        split=assign_split(records, path, manifest.split),
        lengths=lengths,
    )
