"""Variant effect prediction on a CAGI5-style saturation mutagenesis set (SPEC §5.7).

The protocol follows the paper's Methods, "Variant effect prediction":

*Input layout.* ``elements.fa`` holds one reference window per regulatory element
(header ``>ELEMENT chrN:start-end hg19``, 0-based half-open), ``variants.tsv`` one row per
single-nucleotide variant with the columns ``element``, ``ref``, ``alt``, ``value`` (measured
log2 effect) and ``window_offset`` (0-based position of the variant inside its element's
window); ``split``, ``chrom_hg19``, ``pos_hg19`` and ``confidence`` are optional. Rows whose
``ref`` differs from the window base (construct-specific bases in the assay, about 0.2% of the
real CAGI5 rows) are reported (count, a logging warning, and the rows themselves) and skipped.

*Model windows.* Every prediction uses an ``input_length`` window **centred on the variant**:
the variant sits at position ``input_length // 2`` of the model input. The window is cut from
the element window; where it runs past the element window it is padded with N (all-zero
one-hot columns). Hence a model input shorter than the element window is a crop around the
variant and a longer one is an N-pad, and the variant is always exactly at the centre.

*Standard prediction.* One pass for the reference and one for the alternative window. Per
window the score is the mean predicted coverage over the central half of the window
(``[L/4, 3L/4)``, each output bin weighted by its overlap with that region), averaged over
targets. The paper sums coverage; sum and mean differ by a constant that cancels in the ratio.
The effect is ``log2((alt + EPSILON) / (ref + EPSILON))``.

*Robust prediction.* ``n_shifts`` random shifts ``s`` (integers, uniform in
``[-L/4, L/4]``, seeded per element and position; the same shifts for the reference and every
alternative allele at a position) of the variant-centred window. Predictions are aligned on
genome coordinates and the coverage is averaged over the region common to every possible
shifted window, the ``L/2`` bases centred on the variant (1,024 bp for a 2,048-bp input, as
in the paper); then over shifts and targets; effect = log2 ratio as above.

*Binary models* (``predictor.kind == "binary"``, output ``(N, T)`` logits) use the
convention in :data:`BINARY_CONVENTION`: per window the sigmoid probability averaged over
targets (robust: also averaged over shifts), effect = log2 ratio of the alternative to the
reference probability, with the same ``EPSILON``.

*Metric.* Pearson correlation between predicted and measured effect within each element,
averaged over elements. An element with fewer than 3 scored variants, or with constant
predictions or measurements, gets NaN and is left out of the mean (the overall score is NaN
when no element can be scored). Variants whose prediction is not finite are left out of
their element's correlation.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchsuite.errors import InputFileError, ModelContractError
from benchsuite.io.fasta import read_fasta_records
from benchsuite.io.onehot import encode_sequence, one_hot

__all__ = [
    "BINARY_CONVENTION",
    "EPSILON",
    "MIN_VARIANTS",
    "Cagi5Element",
    "Cagi5Result",
    "Cagi5Set",
    "cagi5_evaluate",
    "draw_shifts",
    "load_cagi5",
    "predict_variant_effects",
    "variant_window_codes",
]

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
    "over the variant-centred central half of the input, averaged over targets (robust: and over the "
    "shifted windows)"
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
        ``standard``, ``robust`` (NaN where not scorable).
    n_scored:
        Variants scored (after skipping mismatched rows and subsampling).
    n_mismatched:
        Rows skipped because ``ref`` did not match the element window.
    mismatched:
        Those rows (table columns plus ``line`` and ``window_base``).
    convention:
        How the effect was defined for this predictor's kind.
    """

    standard: float
    robust: float
    per_element: list[dict[str, Any]] = field(default_factory=list)
    n_scored: int = 0
    n_mismatched: int = 0
    mismatched: list[dict[str, Any]] = field(default_factory=list)
    convention: str = ""


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
        window_codes[idx] = elements[name].codes[offset[idx]]
    df["window_base"] = np.array(list("ACGTN"))[window_codes]
    df["mismatched"] = (df["ref"] != df["window_base"]).to_numpy()
    df.insert(0, "line", np.arange(2, len(df) + 2, dtype=np.int64))

    if {"chrom_hg19", "pos_hg19"} <= set(df.columns):
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
    return Cagi5Set(sequences_path=sequences_path, table_path=table_path, elements=elements, table=df)


# ----------------------------------------------------------------------------------------------
# windows


def variant_window_codes(
    element_codes: np.ndarray,
    window_starts: np.ndarray,
    variant_offsets: np.ndarray,
    bases: np.ndarray,
    input_length: int,
) -> np.ndarray:
    """Cut model windows out of one element window, with a base substituted in each.

    Parameters
    ----------
    element_codes:
        ``(W,)`` uint8 codes of the element window.
    window_starts:
        ``(n,)`` start of each model window in element coordinates (may be negative or run
        past ``W``: those positions become N, code 4, an all-zero one-hot column).
    variant_offsets:
        ``(n,)`` variant position in element coordinates.
    bases:
        ``(n,)`` code written at the variant position (the reference base for reference windows).
    input_length:
        Model input length ``L``.

    Returns
    -------
    numpy.ndarray
        ``(n, L)`` uint8 codes.
    """
    element_codes = np.asarray(element_codes, dtype=np.uint8)
    starts = np.asarray(window_starts, dtype=np.int64)
    length = int(input_length)
    padded = np.full(len(element_codes) + 2 * length, _N, dtype=np.uint8)
    padded[length : length + len(element_codes)] = element_codes
    index = (starts[:, None] + length) + np.arange(length)[None, :]
    # positions further out than the padding are N as well
    index = np.clip(index, 0, len(padded) - 1)
    codes = padded[index]
    rel = np.asarray(variant_offsets, dtype=np.int64) - starts
    inside = (rel >= 0) & (rel < length)
    rows = np.flatnonzero(inside)
    codes[rows, rel[inside]] = np.asarray(bases, dtype=np.uint8)[inside]
    return codes


@dataclass
class _Jobs:
    """Flat list of model windows; ``score`` is filled by :func:`_run_jobs`."""

    element: list[np.ndarray] = field(default_factory=list)
    start: list[np.ndarray] = field(default_factory=list)
    offset: list[np.ndarray] = field(default_factory=list)
    base: list[np.ndarray] = field(default_factory=list)
    region: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, element: np.ndarray, start, offset, base, region) -> np.ndarray:
        n = len(element)
        self.element.append(np.asarray(element, dtype=np.int64))
        self.start.append(np.broadcast_to(np.asarray(start, dtype=np.int64), (n,)))
        self.offset.append(np.broadcast_to(np.asarray(offset, dtype=np.int64), (n,)))
        self.base.append(np.broadcast_to(np.asarray(base, dtype=np.uint8), (n,)))
        self.region.append(np.broadcast_to(np.asarray(region, dtype=np.int64), (n,)))
        ids = np.arange(self.count, self.count + n)
        self.count += n
        return ids

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(
            np.concatenate(x) if x else np.zeros(0, dtype=np.int64)
            for x in (self.element, self.start, self.offset, self.base, self.region)
        )


def _batch_size(input_length: int) -> int:
    # ~64 MiB of float32 one-hot per predict call, between 1 and 256 windows
    return int(max(1, min(256, 2**26 // (16 * max(1, input_length)))))


def _window_scores(predictor: Any, x: np.ndarray, region_start: np.ndarray, input_length: int) -> np.ndarray:
    """Per-window score: target-averaged probability (binary) or region-mean coverage."""
    pred = np.asarray(predictor.predict(x))
    n = x.shape[0]
    if predictor.kind == "binary":
        if pred.ndim != 2 or pred.shape[0] != n:
            raise ModelContractError(
                f"binary predictor returned shape {pred.shape}, expected ({n}, T) logits",
                source=type(predictor).__name__,
                hint="binary models return one logit per target",
            )
        prob = 1.0 / (1.0 + np.exp(-pred.astype(np.float64)))
        return prob.mean(axis=1)
    bin_size = int(predictor.bin_size)
    if pred.ndim != 3 or pred.shape[0] != n or pred.shape[2] * bin_size != input_length:
        raise ModelContractError(
            f"quantitative predictor returned shape {pred.shape}, expected ({n}, T, "
            f"{input_length // max(bin_size, 1)}) for bin size {bin_size}",
            source=type(predictor).__name__,
            hint="quantitative models return (N, T, input_length // bin_size) coverage",
        )
    cov = pred.astype(np.float64).mean(axis=1)  # (n, bins), averaged over targets
    edges = np.arange(pred.shape[2] + 1, dtype=np.int64) * bin_size
    r0 = region_start[:, None]
    r1 = r0 + input_length // 2
    weight = np.clip(np.minimum(edges[None, 1:], r1) - np.maximum(edges[None, :-1], r0), 0, None)
    return (cov * weight).sum(axis=1) / weight.sum(axis=1)


def _run_jobs(predictor: Any, set_: Cagi5Set, names: list[str], jobs: _Jobs, *, progress: bool) -> np.ndarray:
    element, start, offset, base, region = jobs.arrays()
    length = int(predictor.input_length)
    scores = np.full(jobs.count, np.nan, dtype=np.float64)
    batch = _batch_size(length)
    order = np.argsort(element, kind="stable")  # one element per gather

    def batches() -> Iterator[np.ndarray]:
        for i in range(0, len(order), batch):
            yield order[i : i + batch]

    bar_ctx = None
    if progress:
        from rich.progress import Progress

        bar_ctx = Progress(transient=True)
    try:
        task = None
        if bar_ctx is not None:
            bar_ctx.start()
            task = bar_ctx.add_task("CAGI5 windows", total=jobs.count)
        for idx in batches():
            codes = np.empty((len(idx), length), dtype=np.uint8)
            el = element[idx]
            for e in np.unique(el):
                sel = np.flatnonzero(el == e)
                j = idx[sel]
                codes[sel] = variant_window_codes(
                    set_.elements[names[e]].codes, start[j], offset[j], base[j], length
                )
            scores[idx] = _window_scores(predictor, one_hot(codes), region[idx], length)
            if bar_ctx is not None:
                bar_ctx.advance(task, len(idx))
    finally:
        if bar_ctx is not None:
            bar_ctx.stop()
    return scores


def draw_shifts(seed: int, element: str, offset: int, n_shifts: int, input_length: int) -> np.ndarray:
    """The robust protocol's window shifts for the variants at one position.

    Integers uniform in ``[-input_length // 4, input_length // 4]`` from
    ``numpy.random.default_rng([seed, zlib.crc32(element), offset])``, so every allele at a
    position (and every run with the same seed) sees the same shifts. A window shifted by ``s``
    starts at ``offset - input_length // 2 + s`` (element coordinates).

    Returns
    -------
    numpy.ndarray
        ``(n_shifts,)`` int64.
    """
    max_shift = input_length // 4
    rng = np.random.default_rng([seed, zlib.crc32(element.encode()), int(offset)])
    return rng.integers(-max_shift, max_shift + 1, size=n_shifts).astype(np.int64)


def _log2_ratio(alt: np.ndarray, ref: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log2((alt + EPSILON) / (ref + EPSILON))


def predict_variant_effects(
    predictor: Any,
    variant_set: Cagi5Set,
    *,
    n_shifts: int = 20,
    seed: int = 0,
    max_variants_per_element: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Predicted standard and robust effects of every scorable variant.

    Mismatched rows are skipped. With ``max_variants_per_element`` each element keeps a
    seeded random subset (same seed -> same rows). Reference windows are shared by every
    alternative allele at a position; the random shifts are drawn per (element, position)
    from ``numpy.random.default_rng([seed, crc32(element), position])``.

    Parameters
    ----------
    predictor:
        Object following the harness's Predictor protocol.
    variant_set:
        Output of :func:`load_cagi5`.
    n_shifts:
        Shifted windows per allele for the robust prediction (0 disables it: NaN).
    seed:
        Seed of the shifts and of the subsampling.
    max_variants_per_element:
        Optional cap on scored variants per element (CPU budgets).
    progress:
        Show a rich progress bar.

    Returns
    -------
    pandas.DataFrame
        The scored table rows plus ``ref_score``, ``alt_score``, ``standard`` and ``robust``
        (predicted log2 effects).
    """
    length = int(predictor.input_length)
    if length < 2:
        raise ModelContractError(f"input_length {length} is too short", source=type(predictor).__name__)
    if predictor.kind not in ("binary", "quantitative"):
        raise ModelContractError(
            f"unknown predictor kind {predictor.kind!r}",
            source=type(predictor).__name__,
            hint="kind must be 'binary' or 'quantitative'",
        )
    table = variant_set.table.loc[~variant_set.table["mismatched"]]
    if max_variants_per_element is not None:
        keep = []
        for name, idx in table.groupby("element", sort=False).indices.items():
            if len(idx) > max_variants_per_element:
                rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
                idx = np.sort(rng.choice(idx, size=max_variants_per_element, replace=False))
            keep.append(idx)
        table = table.iloc[np.sort(np.concatenate(keep))] if keep else table.iloc[:0]
    table = table.reset_index(drop=True)
    names = list(variant_set.elements)
    name_index = {n: i for i, n in enumerate(names)}
    if table.empty:
        return table.assign(ref_score=[], alt_score=[], standard=[], robust=[])

    el = table["element"].map(name_index).to_numpy(dtype=np.int64)
    off = table["window_offset"].to_numpy(dtype=np.int64)
    alt = np.array([_BASES.index(b) for b in table["alt"]], dtype=np.uint8)
    # one reference per (element, position)
    keys = el * (1 << 32) + off
    uniq, pos_of_variant = np.unique(keys, return_inverse=True)
    pos_el, pos_off = uniq >> 32, uniq & ((1 << 32) - 1)
    pos_ref = np.array(
        [variant_set.elements[names[e]].codes[o] for e, o in zip(pos_el, pos_off, strict=True)],
        dtype=np.uint8,
    )
    half, quarter = length // 2, length // 4

    jobs = _Jobs()
    ref_std = jobs.add(pos_el, pos_off - half, pos_off, pos_ref, quarter)
    alt_std = jobs.add(el, off - half, off, alt, quarter)
    ref_rob = alt_rob = None
    if n_shifts > 0:
        shifts = np.empty((len(uniq), n_shifts), dtype=np.int64)
        for p, (e, o) in enumerate(zip(pos_el, pos_off, strict=True)):
            shifts[p] = draw_shifts(seed, names[e], int(o), n_shifts, length)
        rs = shifts.ravel()
        ref_rob = jobs.add(
            np.repeat(pos_el, n_shifts),
            np.repeat(pos_off, n_shifts) - half + rs,
            np.repeat(pos_off, n_shifts),
            np.repeat(pos_ref, n_shifts),
            quarter - rs,
        ).reshape(len(uniq), n_shifts)
        vs = shifts[pos_of_variant].ravel()
        alt_rob = jobs.add(
            np.repeat(el, n_shifts),
            np.repeat(off, n_shifts) - half + vs,
            np.repeat(off, n_shifts),
            np.repeat(alt, n_shifts),
            quarter - vs,
        ).reshape(len(table), n_shifts)

    logger.info(
        "CAGI5: %d variants at %d positions, %d model windows of %d bp",
        len(table),
        len(uniq),
        jobs.count,
        length,
    )
    scores = _run_jobs(predictor, variant_set, names, jobs, progress=progress)
    ref_score = scores[ref_std][pos_of_variant]
    alt_score = scores[alt_std]
    out = table.copy()
    out["ref_score"] = ref_score
    out["alt_score"] = alt_score
    out["standard"] = _log2_ratio(alt_score, ref_score)
    if ref_rob is not None and alt_rob is not None:
        ref_mean = scores[ref_rob].mean(axis=1)[pos_of_variant]
        alt_mean = scores[alt_rob].mean(axis=1)
        out["robust"] = _log2_ratio(alt_mean, ref_mean)
    else:
        out["robust"] = np.nan
    return out


# ----------------------------------------------------------------------------------------------
# metric


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < MIN_VARIANTS:
        return float("nan")
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt((xc * xc).sum() * (yc * yc).sum())
    if not np.isfinite(denom) or denom <= 0 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.clip((xc * yc).sum() / denom, -1.0, 1.0))


def _nanmean(values: list[float]) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def cagi5_evaluate(
    predictor: Any,
    sequences_fa: str | Path,
    table_tsv: str | Path,
    *,
    n_shifts: int = 20,
    seed: int = 0,
    max_variants_per_element: int | None = None,
    progress: bool = False,
) -> Cagi5Result:
    """Score a predictor on a CAGI5-style variant set (standard and robust protocol).

    Parameters
    ----------
    predictor:
        Object following the harness's Predictor protocol (``kind``, ``bin_size``,
        ``input_length``, ``target_names``, ``predict``).
    sequences_fa, table_tsv:
        Element windows (FASTA) and variants table (TSV), see :func:`load_cagi5`.
    n_shifts:
        Random shifts per allele for the robust prediction (paper: 20).
    seed:
        Seed of the shifts and of the optional subsampling.
    max_variants_per_element:
        Score at most this many variants per element (seeded subset) to bound CPU time.
    progress:
        Show a rich progress bar.

    Returns
    -------
    Cagi5Result
        Mean within-element Pearson r (standard, robust), per-element rows, counts, the
        mismatched rows and the effect convention (see the module docstring).

    Raises
    ------
    InputFileError
        Missing or malformed input files (the message names the file).
    """
    variant_set = load_cagi5(sequences_fa, table_tsv)
    mismatched = variant_set.mismatched_rows()
    if mismatched:
        first = mismatched[0]
        logger.warning(
            "%s: %d of %d rows have a ref allele that does not match the element window "
            "(first: line %d, %s offset %d: ref %s, window %s); they are skipped",
            variant_set.table_path,
            len(mismatched),
            len(variant_set.table),
            first["line"],
            first["element"],
            first["window_offset"],
            first["ref"],
            first["window_base"],
        )
    effects = predict_variant_effects(
        predictor,
        variant_set,
        n_shifts=n_shifts,
        seed=seed,
        max_variants_per_element=max_variants_per_element,
        progress=progress,
    )
    per_element: list[dict[str, Any]] = []
    groups = effects.groupby("element", sort=False).indices
    for name in pd.unique(variant_set.table["element"]):
        idx = groups.get(name, np.zeros(0, dtype=np.int64))
        rows = effects.iloc[idx]
        measured = rows["value"].to_numpy(dtype=np.float64)
        per_element.append(
            {
                "element": str(name),
                "n_variants": int(len(rows)),
                "standard": _pearson(rows["standard"].to_numpy(dtype=np.float64), measured),
                "robust": _pearson(rows["robust"].to_numpy(dtype=np.float64), measured),
            }
        )
    n_nonfinite = int((~np.isfinite(effects["standard"].to_numpy(dtype=np.float64))).sum())
    if n_nonfinite:
        logger.warning("CAGI5: %d variants have a non-finite standard prediction", n_nonfinite)
    result = Cagi5Result(
        standard=_nanmean([r["standard"] for r in per_element]),
        robust=_nanmean([r["robust"] for r in per_element]),
        per_element=per_element,
        n_scored=int(len(effects)),
        n_mismatched=len(mismatched),
        mismatched=mismatched,
        convention=BINARY_CONVENTION if predictor.kind == "binary" else QUANTITATIVE_CONVENTION,
    )
    logger.info(
        "CAGI5: standard r = %.4f, robust r = %.4f over %d elements (%d variants)",
        result.standard,
        result.robust,
        sum(np.isfinite(r["standard"]) for r in per_element),
        result.n_scored,
    )
    return result
