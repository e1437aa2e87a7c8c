"""CAGI5 variant sets: the element windows and the variants table, read and checked."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchsuite.errors import InputFileError
from benchsuite.io.fasta import read_fasta_records
from benchsuite.io.onehot import encode_sequence

__all__ = ["EPSILON", "MIN_VARIANTS", "Cagi5Element", "Cagi5Result", "Cagi5Set", "load_cagi5"]

logger = logging.getLogger(__name__)

EPSILON = 1e-6
"""Added to both the reference and the alternative score before taking the log2 ratio."""

MIN_VARIANTS = 3
"""Elements with fewer scored variants than this get a NaN correlation."""

BINARY_CONVENTION = (
    "binary models: effect = log2((p_alt + 1e-6) / (p_ref + 1e-6)), p = sigmoid(logit) averaged "
    "over targets (robust: and over the shifted windows)"
)
QUANTITATIVE_CONVENTION = (
    "quantitative models: effect = log2((c_alt + 1e-6) / (c_ref + 1e-6)), c = mean predicted coverage "
    "over the central half of the element-centred input (the bases every shifted window covers), averaged "
    "over targets (robust: and over the shifted windows)"
)

REQUIRED_COLUMNS = ("element", "ref", "alt", "value", "window_offset")
OPTIONAL_COLUMNS = ("split", "chrom_hg19", "pos_hg19", "confidence")
_BASES = "ACGT"
_N = 4
_COORD_RE = re.compile(r"(\S+):(\d+)-(\d+)")


@dataclass(frozen=True)
class Cagi5Element:
    """One element window of a CAGI5-style set.

    Attributes
    ----------
    name:
        Element (experiment) name, the first word of the FASTA header.
    codes:
        ``uint8`` base codes of the window (A=0, C=1, G=2, T=3, other=4).
    chrom, start, end:
        Window coordinates parsed from the header (``chrN:start-end``, 0-based half-open), or
        ``None`` when the header has none.
    """

    name: str
    codes: np.ndarray
    chrom: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass
class Cagi5Set:
    """A loaded variant set: element windows plus the validated variants table.

    ``table`` keeps every row of the file in order with the parsed columns plus ``line``
    (1-based line number in the TSV), ``window_base`` (the element window's base at
    ``window_offset``) and ``mismatched`` (``ref`` differs from ``window_base``).
    """

    sequences_path: Path
    table_path: Path
    elements: dict[str, Cagi5Element]
    table: pd.DataFrame

    @property
    def n_mismatched(self) -> int:
        """Number of rows whose ``ref`` does not match the element window."""
        return int(self.table["mismatched"].sum())

    def mismatched_rows(self) -> list[dict[str, Any]]:
        """The mismatched rows as plain (JSON-serialisable) dicts."""
        rows = self.table.loc[self.table["mismatched"]]
        return [_plain_row(r) for r in rows.to_dict("records")]


@dataclass
class Cagi5Result:
    """Outcome of :func:`cagi5_evaluate`.

    Attributes
    ----------
    standard, robust:
        Mean over elements of the within-element Pearson r (NaN when no element is scorable).
    per_element:
        One dict per element (table order): ``element``, ``n_variants`` (scored),
        ``standard``, ``robust`` (NaN where not scorable), ``padded_standard`` and
        ``padded_robust`` (mean N-padded fraction of the element's scored windows, NaN without
        scored variants or shifts), ``n_moved`` (variants whose standard window was moved off
        the element centre to hold them in its scored region) and ``genome_flanks`` (bases
        beyond the element window came from the genome).
    n_scored:
        Variants scored (after skipping mismatched rows and subsampling).
    n_mismatched:
        Rows skipped because ``ref`` did not match the element window.
    mismatched:
        Those rows (table columns plus ``line`` and ``window_base``).
    convention:
        How the effect was defined for this predictor's kind.
    padded_fraction:
        ``{"standard": ..., "robust": ...}``: mean N-padded fraction over every scored variant's
        windows (NaN when there are none).
    n_moved:
        Scored variants whose standard window was moved off the element centre.
    """

    standard: float
    robust: float
    per_element: list[dict[str, Any]] = field(default_factory=list)
    n_scored: int = 0
    n_mismatched: int = 0
    mismatched: list[dict[str, Any]] = field(default_factory=list)
    convention: str = ""
    padded_fraction: dict[str, float] = field(default_factory=dict)
    n_moved: int = 0


# ----------------------------------------------------------------------------------------------
# loading


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "mismatched":
            continue
        if isinstance(value, np.integer):
            value = int(value)
        elif isinstance(value, np.floating):
            value = float(value)
        elif isinstance(value, np.bool_):
            value = bool(value)
        out[key] = value
    return out


def _read_elements(path: Path) -> dict[str, Cagi5Element]:
    if not path.is_file():
        raise InputFileError(
            "variant element sequences not found", source=path, hint="give the elements FASTA file"
        )
    try:
        records = read_fasta_records(path)
    except InputFileError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"cannot read element sequences: {exc}", source=path, hint="give a FASTA file"
        ) from exc
    if not records:
        raise InputFileError("no sequences in the elements FASTA", source=path, hint="give a FASTA file")
    elements: dict[str, Cagi5Element] = {}
    for name, description, sequence in records:
        if name in elements:
            raise InputFileError(
                f"element {name!r} appears twice", source=path, hint="give each element one window"
            )
        if not sequence:
            raise InputFileError(f"element {name!r} has an empty sequence", source=path)
        codes = encode_sequence(sequence)
        chrom = start = end = None
        match = _COORD_RE.search(description or "")
        if match:
            chrom, start, end = match.group(1), int(match.group(2)), int(match.group(3))
            if end - start != len(codes):
                logger.warning(
                    "%s: element %s header spans %d bp but its sequence has %d bp; header ignored",
                    path,
                    name,
                    end - start,
                    len(codes),
                )
                chrom = start = end = None
        elements[name] = Cagi5Element(name=name, codes=codes, chrom=chrom, start=start, end=end)
    return elements


def _bad_line(path: Path, df: pd.DataFrame, mask: np.ndarray, column: str, what: str) -> InputFileError:
    i = int(np.flatnonzero(mask)[0])
    return InputFileError(
        f"line {i + 2}: column {column!r} is {df[column].iloc[i]!r}, expected {what} "
        f"({int(mask.sum())} bad rows)",
        source=path,
        hint=f"fix the {column} column of the variants table",
    )


def _check_coordinates(
    df: pd.DataFrame, elements: dict[str, Cagi5Element], offset: np.ndarray, table_path: Path
) -> None:
    """Warn when ``chrom_hg19``/``pos_hg19`` disagree with the element header and ``window_offset``."""
    if not {"chrom_hg19", "pos_hg19"} <= set(df.columns):
        return
    starts = df["element"].map({k: e.start for k, e in elements.items()})
    chroms = df["element"].map({k: e.chrom for k, e in elements.items()})
    known = starts.notna().to_numpy()
    if known.any():
        expected = starts.to_numpy(dtype=np.float64) + offset + 1
        inconsistent = known & (
            (df["pos_hg19"].to_numpy(dtype=np.float64) != expected)
            | (df["chrom_hg19"].to_numpy() != chroms.to_numpy())
        )
        if inconsistent.any():
            logger.warning(
                "%s: %d rows have chrom_hg19/pos_hg19 inconsistent with the element header and "
                "window_offset (first: line %d); window_offset is used",
                table_path,
                int(inconsistent.sum()),
                int(df["line"].to_numpy()[inconsistent][0]),
            )


def load_cagi5(sequences_fa: str | Path, table_tsv: str | Path) -> Cagi5Set:
    """Read and validate a CAGI5-style variant set.

    Parameters
    ----------
    sequences_fa:
        FASTA of element windows (``>ELEMENT chrN:start-end ...``; coordinates optional).
    table_tsv:
        Tab-separated variants table with a header line (see the module docstring).

    Returns
    -------
    Cagi5Set
        Elements and the table with ``line``, ``window_base`` and ``mismatched`` columns.
        Mismatched rows are only flagged here; :func:`cagi5_evaluate` reports and skips them.

    Raises
    ------
    InputFileError
        A file is missing or malformed, a required column is absent, a value does not parse,
        a row names an element that is not in the FASTA, or ``window_offset`` lies outside the
        element window. The message names the file (and line).
    """
    sequences_path, table_path = Path(sequences_fa), Path(table_tsv)
    elements = _read_elements(sequences_path)
    if not table_path.is_file():
        raise InputFileError("variants table not found", source=table_path, hint="give the variants TSV")
    try:
        df = pd.read_csv(table_path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise InputFileError(
            f"cannot parse the variants table: {exc}", source=table_path, hint="give a tab-separated table"
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputFileError(
            f"variants table lacks column(s) {', '.join(missing)} (has {', '.join(df.columns)})",
            source=table_path,
            hint="the header needs " + ", ".join(REQUIRED_COLUMNS),
        )
    if df.empty:
        raise InputFileError("variants table has no rows", source=table_path)
    for column in ("element", "ref", "alt", "split", "chrom_hg19"):
        if column in df.columns:
            df[column] = df[column].astype(str).str.strip()

    value = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(value)
    if bad.any():
        raise _bad_line(table_path, df, bad, "value", "a finite number")
    offset_f = pd.to_numeric(df["window_offset"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(offset_f) | (offset_f != np.round(offset_f))
    if bad.any():
        raise _bad_line(table_path, df, bad, "window_offset", "an integer")
    offset = offset_f.astype(np.int64)
    for column in ("ref", "alt"):
        upper = df[column].str.upper()
        bad = ~upper.isin(list(_BASES)).to_numpy()
        if bad.any():
            raise _bad_line(table_path, df, bad, column, "one of A, C, G, T")
        df[column] = upper
    bad = (df["ref"] == df["alt"]).to_numpy()
    if bad.any():
        raise _bad_line(table_path, df, bad, "alt", "a base different from ref")
    unknown = sorted(set(df["element"]) - set(elements))
    if unknown:
        raise InputFileError(
            f"element(s) {', '.join(unknown)} of the variants table are not in {sequences_path}",
            source=table_path,
            hint="the element column must name sequences of the elements FASTA",
        )
    lengths = df["element"].map({k: len(e.codes) for k, e in elements.items()}).to_numpy(dtype=np.int64)
    bad = (offset < 0) | (offset >= lengths)
    if bad.any():
        raise _bad_line(table_path, df, bad, "window_offset", "a position inside the element window")

    df["value"] = value
    df["window_offset"] = offset
    for column in ("pos_hg19", "confidence"):
        if column in df.columns:
            df[column] = pd.to_numeric(df[column], errors="coerce")
    window_codes = np.empty(len(df), dtype=np.uint8)
    for name, idx in df.groupby("element", sort=False).indices.items():
        window_codes[idx] = elements[str(name)].codes[offset[idx]]
    df["window_base"] = np.array(list("ACGTN"))[window_codes]
    df["mismatched"] = (df["ref"] != df["window_base"]).to_numpy()
    df.insert(0, "line", np.arange(2, len(df) + 2, dtype=np.int64))

    _check_coordinates(df, elements, offset, table_path)
    return Cagi5Set(sequences_path=sequences_path, table_path=table_path, elements=elements, table=df)
