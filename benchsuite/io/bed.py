"""Genomic intervals: BED3..BED6 and ENCODE narrowPeak files.

Coordinates are 0-based and half-open. :func:`read_bed` validates every line and reports
problems with the file name and line number; :func:`merge_intervals` and
:func:`intervals_to_mask` turn interval sets (e.g. excluded regions) into per-base masks.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import ChromosomeNameError, InputFileError
from benchsuite.io.atomic import atomic_write
from benchsuite.io.chroms import MAP_NAMES_HINT, reconcile_chrom_names

__all__ = [
    "Intervals",
    "read_bed",
    "write_bed",
    "write_narrowpeak",
    "merge_intervals",
    "intervals_to_mask",
]

_OPTIONAL = ("name", "score", "strand", "signal", "pvalue", "qvalue", "peak")
_BED_HINT = (
    "BED lines are tab-separated 'chrom start end [name score strand]' with 0-based integer "
    "start < end (narrowPeak adds signalValue pValue qValue peak)"
)


def _as_array(values: Any, dtype: Any) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


@dataclass(frozen=True, eq=False)
class Intervals:
    """A set of genomic intervals held as numpy columns (0-based, half-open).

    Attributes
    ----------
    chrom:
        Chromosome names (``str`` array).
    start, end:
        ``int64`` coordinates.
    name, score, strand:
        BED columns 4-6 (``str``, ``float64``, ``str`` arrays) or None when absent.
    signal, pvalue, qvalue, peak:
        narrowPeak columns 7-10 (``float64`` x3, ``int64`` summit offset, -1 = none) or None.
    """

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    name: np.ndarray | None = None
    score: np.ndarray | None = None
    strand: np.ndarray | None = None
    signal: np.ndarray | None = None
    pvalue: np.ndarray | None = None
    qvalue: np.ndarray | None = None
    peak: np.ndarray | None = None

    def __post_init__(self) -> None:
        dtypes = {
            "chrom": str,
            "start": np.int64,
            "end": np.int64,
            "name": str,
            "score": np.float64,
            "strand": str,
            "signal": np.float64,
            "pvalue": np.float64,
            "qvalue": np.float64,
            "peak": np.int64,
        }
        n = None
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            arr = _as_array(value, dtypes[field.name])
            if arr.ndim != 1:
                raise ValueError(f"Intervals.{field.name} must be 1-D, got shape {arr.shape}")
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(f"Intervals.{field.name} has {arr.shape[0]} rows, expected {n}")
            object.__setattr__(self, field.name, arr)

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def __getitem__(self, index: Any) -> Intervals:
        """Rows selected by a boolean mask, an index array or a slice."""
        kwargs = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            kwargs[field.name] = None if value is None else np.atleast_1d(value[index])
        return Intervals(**kwargs)

    @property
    def lengths(self) -> np.ndarray:
        """``end - start`` per interval."""
        return self.end - self.start

    @property
    def is_narrowpeak(self) -> bool:
        """Whether the narrowPeak columns are present."""
        return self.signal is not None

    @classmethod
    def empty(cls) -> Intervals:
        """An empty BED3 interval set."""
        return cls(np.zeros(0, dtype=str), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def _parse_int(text: str, what: str, path: Path, lineno: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputFileError(
            f"line {lineno}: {what} {text!r} is not an integer", source=path, hint=_BED_HINT
        ) from None


def _parse_float(text: str, what: str, path: Path, lineno: int) -> float:
    if text == ".":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise InputFileError(
            f"line {lineno}: {what} {text!r} is not a number", source=path, hint=_BED_HINT
        ) from None


def _open_text(path: Path) -> Any:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_bed(
    path: str | os.PathLike[str],
    *,
    chrom_sizes: dict[str, int] | None = None,
    map_names: bool = False,
    genome_source: str | os.PathLike[str] = "the genome",
) -> Intervals:
    """Read a BED3..BED6 or narrowPeak file (plain or gzip-compressed).

    ``track``, ``browser``, ``#`` comment and blank lines are skipped. Fields are split on
    tabs (on any whitespace when a line has no tab). Lines with exactly 10 columns are read as
    narrowPeak; other files with more than 6 columns (BED12, broadPeak, ...) as BED6.

    Parameters
    ----------
    path:
        The file.
    chrom_sizes:
        Genome chromosome sizes; when given, chromosomes must exist and intervals must end
        within them, and chromosome names are reconciled with the genome's.
    map_names:
        Accept ``chr1`` vs ``1`` naming differences, renaming to the genome's names.
    genome_source:
        The genome file, named in messages.

    Returns
    -------
    Intervals
        With the optional columns present in the file (the same number on every line).

    Raises
    ------
    InputFileError
        With file name and line number: too few columns, non-integer start/end, negative
        start, ``end <= start``, past the chromosome end, unknown chromosome; a different
        number of columns than earlier lines.
    ChromosomeNameError
        If chromosome names differ from the genome's (``chr1`` vs ``1``) and not ``map_names``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError("BED file not found", source=path, hint="check the path")
    from benchsuite.io.trackcheck import refuse_binary_tracks

    refuse_binary_tracks(path)
    chroms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    lines: list[int] = []
    extra: dict[str, list[Any]] = {k: [] for k in _OPTIONAL}
    ncols: int | None = None
    first_line: dict[str, int] = {}
    with _open_text(path) as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            stripped = line.strip()
            if not stripped or stripped.startswith("#") or stripped.split(None, 1)[0] in ("track", "browser"):
                continue
            fields = line.split("\t") if "\t" in line else stripped.split()
            if len(fields) < 3:
                raise InputFileError(
                    f"line {lineno}: {len(fields)} column(s), a BED line needs at least 3 "
                    "(chrom, start, end)",
                    source=path,
                    hint=_BED_HINT,
                )
            # exactly 10 columns is narrowPeak; other wider formats (BED9/BED12, broadPeak) are read as BED6
            n = 10 if len(fields) == 10 else min(len(fields), 6)
            if ncols is None:
                ncols = n
            elif n < ncols:
                raise InputFileError(
                    f"line {lineno}: {len(fields)} columns, but earlier lines have {ncols}",
                    source=path,
                    hint="give every line the same columns",
                )
            chrom = fields[0].strip()
            start = _parse_int(fields[1].strip(), "start", path, lineno)
            end = _parse_int(fields[2].strip(), "end", path, lineno)
            if start < 0:
                raise InputFileError(
                    f"line {lineno}: negative start {start} ({chrom}:{start}-{end})",
                    source=path,
                    hint=_BED_HINT,
                )
            if end <= start:
                raise InputFileError(
                    f"line {lineno}: end {end} <= start {start} ({chrom}:{start}-{end})",
                    source=path,
                    hint="intervals must be non-empty with end > start (0-based, half-open coordinates)",
                )
            chroms.append(chrom)
            starts.append(start)
            ends.append(end)
            lines.append(lineno)
            first_line.setdefault(chrom, lineno)
            if ncols >= 4:
                extra["name"].append(fields[3])
            if ncols >= 5:
                extra["score"].append(_parse_float(fields[4].strip(), "score", path, lineno))
            if ncols >= 6:
                strand = fields[5].strip()
                if strand not in ("+", "-", "."):
                    raise InputFileError(
                        f"line {lineno}: strand {strand!r} is not '+', '-' or '.'",
                        source=path,
                        hint=_BED_HINT,
                    )
                extra["strand"].append(strand)
            if ncols >= 10:
                extra["signal"].append(_parse_float(fields[6].strip(), "signalValue", path, lineno))
                extra["pvalue"].append(_parse_float(fields[7].strip(), "pValue", path, lineno))
                extra["qvalue"].append(_parse_float(fields[8].strip(), "qValue", path, lineno))
                peak = _parse_int(fields[9].strip(), "peak", path, lineno)
                if peak >= end - start:
                    raise InputFileError(
                        f"line {lineno}: peak offset {peak} is not inside the interval "
                        f"(length {end - start})",
                        source=path,
                        hint="the narrowPeak 10th column is the summit offset from start, or -1",
                    )
                extra["peak"].append(peak)
    if chrom_sizes is not None and chroms:
        mapping = reconcile_chrom_names(
            first_line,
            chrom_sizes,
            reference_source=path,
            other_source=genome_source,
            map_names=True,
            allow_missing=True,
        )
        renamed = [c for c, g in mapping.items() if c != g]
        if renamed and not map_names:
            c = renamed[0]
            raise ChromosomeNameError(
                f"line {first_line[c]}: chromosome {c!r} is named {mapping[c]!r} in {genome_source} "
                f"({len(renamed)} chromosome name(s) differ)",
                source=path,
                hint=MAP_NAMES_HINT,
            )
        missing = [c for c in first_line if c not in mapping]
        if missing:
            c = missing[0]
            names = list(chrom_sizes)
            raise InputFileError(
                f"line {first_line[c]}: unknown chromosome {c!r}, not in {genome_source}"
                + (f" ({len(missing)} unknown chromosomes in all)" if len(missing) > 1 else ""),
                source=path,
                hint="use the genome's chromosome names "
                f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}) or remove these lines",
            )
        if renamed:
            chroms = [mapping[c] for c in chroms]
        for chrom, end, lineno in zip(chroms, ends, lines, strict=True):
            size = chrom_sizes[chrom]
            if end > size:
                raise InputFileError(
                    f"line {lineno}: end {end} is past the end of {chrom} (length {size:,})",
                    source=path,
                    hint="check that the intervals and the genome use the same assembly",
                )
    kwargs: dict[str, Any] = {}
    if ncols is not None:
        present = {4: ["name"], 5: ["name", "score"], 6: ["name", "score", "strand"]}.get(
            ncols, list(_OPTIONAL)
        )
        if ncols < 4:
            present = []
        kwargs = {k: extra[k] for k in present}
    return Intervals(
        np.asarray(chroms, dtype=str),
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        **kwargs,
    )


def _fmt_number(value: float) -> str:
    value = float(value)
    if math.isnan(value):
        return "."
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def write_bed(path: str | os.PathLike[str], intervals: Intervals) -> Path:
    """Write intervals as BED (atomically).

    Writes BED3, or BED4..BED6 up to the last optional column present (missing earlier
    columns filled with ``.``, ``0`` and ``.``). NaN scores are written as ``0``.

    Parameters
    ----------
    path:
        The output file.
    intervals:
        The intervals.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    if intervals.strand is not None:
        ncols = 6
    elif intervals.score is not None:
        ncols = 5
    elif intervals.name is not None:
        ncols = 4
    else:
        ncols = 3
    n = len(intervals)
    name = intervals.name if intervals.name is not None else np.full(n, ".")
    score = intervals.score if intervals.score is not None else np.zeros(n)
    strand = intervals.strand if intervals.strand is not None else np.full(n, ".")
    with atomic_write(path, "w", newline="\n") as handle:
        for i in range(n):
            cols = [str(intervals.chrom[i]), str(int(intervals.start[i])), str(int(intervals.end[i]))]
            if ncols >= 4:
                cols.append(str(name[i]))
            if ncols >= 5:
                s = float(score[i])
                cols.append("0" if math.isnan(s) else _fmt_number(s))
            if ncols >= 6:
                cols.append(str(strand[i]))
            handle.write("\t".join(cols) + "\n")
    return path


def write_narrowpeak(path: str | os.PathLike[str], intervals: Intervals) -> Path:
    """Write intervals as ENCODE narrowPeak (10 columns, atomically).

    Missing columns get the format's "no value" defaults: name ``.``, score ``0`` (scores are
    rounded to integers in 0..1000), strand ``.``, signal/p/q ``-1``, peak ``-1``.

    Parameters
    ----------
    path:
        The output file.
    intervals:
        The intervals.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    n = len(intervals)

    def col(values: np.ndarray | None, default: Any) -> np.ndarray:
        return values if values is not None else np.full(n, default)

    name = col(intervals.name, ".")
    score = col(intervals.score, 0.0)
    strand = col(intervals.strand, ".")
    signal = col(intervals.signal, -1.0)
    pvalue = col(intervals.pvalue, -1.0)
    qvalue = col(intervals.qvalue, -1.0)
    peak = col(intervals.peak, -1)
    with atomic_write(path, "w", newline="\n") as handle:
        for i in range(n):
            s = float(score[i])
            s_int = 0 if math.isnan(s) else int(min(1000, max(0, round(s))))
            cols = [
                str(intervals.chrom[i]),
                str(int(intervals.start[i])),
                str(int(intervals.end[i])),
                str(name[i]),
                str(s_int),
                str(strand[i]),
                *(
                    "-1" if math.isnan(float(v)) else _fmt_number(v)
                    for v in (signal[i], pvalue[i], qvalue[i])
                ),
                str(int(peak[i])),
            ]
            handle.write("\t".join(cols) + "\n")
    return path


def merge_intervals(intervals: Intervals) -> Intervals:
    """Union of intervals per chromosome (overlapping and book-ended intervals merge).

    Parameters
    ----------
    intervals:
        Any intervals (unsorted, overlapping).

    Returns
    -------
    Intervals
        BED3 intervals, disjoint and non-adjacent, sorted by start within each chromosome;
        chromosomes in order of first appearance.
    """
    if len(intervals) == 0:
        return Intervals.empty()
    out_chrom: list[np.ndarray] = []
    out_start: list[np.ndarray] = []
    out_end: list[np.ndarray] = []
    for chrom in dict.fromkeys(intervals.chrom.tolist()):
        sel = intervals.chrom == chrom
        starts = intervals.start[sel]
        ends = intervals.end[sel]
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
        reach = np.maximum.accumulate(ends)
        # a new run begins where the start lies beyond everything covered so far
        new = np.ones(starts.shape[0], dtype=bool)
        new[1:] = starts[1:] > reach[:-1]
        idx = np.flatnonzero(new)
        run_ends = np.append(idx[1:], starts.shape[0]) - 1
        out_start.append(starts[idx])
        out_end.append(reach[run_ends])
        out_chrom.append(np.full(idx.shape[0], chrom))
    return Intervals(np.concatenate(out_chrom), np.concatenate(out_start), np.concatenate(out_end))


def intervals_to_mask(intervals: Intervals, chrom: str, length: int) -> np.ndarray:
    """Per-base mask of the positions of ``chrom`` covered by any interval.

    Parameters
    ----------
    intervals:
        The intervals (any order, may overlap; parts beyond ``length`` are ignored).
    chrom:
        The chromosome.
    length:
        Its length.

    Returns
    -------
    numpy.ndarray
        ``bool`` array of shape ``(length,)``, True inside an interval.
    """
    length = int(length)
    sel = intervals.chrom == chrom
    starts = np.clip(intervals.start[sel], 0, length)
    ends = np.clip(intervals.end[sel], 0, length)
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    return np.cumsum(delta[:-1]) > 0
