"""Checks on coverage track files: what format a file is, and whether its values are valid.

:func:`sniff_format` tells a bigWig from a bigBed, gzip, FASTA, wig or bedGraph file by its
first bytes, so a wrong file is named for what it is ("peaks.bb is a bigBed file, not a
bigWig coverage track") instead of failing later as missing coverage.
:func:`check_coverage_values` enforces the value contract of coverage: finite and >= 0, NaN
meaning missing data; negative values may be clipped to 0 when the manifest asks.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from benchsuite.errors import InputFileError

__all__ = ["sniff_format", "not_bigwig_error", "refuse_binary_tracks", "check_coverage_values"]

_BIGWIG_MAGIC = 0x888FFC26
_BIGBED_MAGIC = 0x8789F2EB


def _magic(path: Path) -> int | None:
    with open(path, "rb") as handle:
        head = handle.read(4)
    if len(head) < 4:
        return None
    little = int.from_bytes(head, "little")
    big = int.from_bytes(head, "big")
    for value in (_BIGWIG_MAGIC, _BIGBED_MAGIC):
        if value in (little, big):
            return value
    return None


def sniff_format(path: str | os.PathLike[str]) -> str:
    """What a file looks like from its first bytes, for messages about a wrong track format.

    Returns
    -------
    str
        One of ``"bigWig"``, ``"bigBed"``, ``"empty"``, ``"gzip"`` (also BAM and bgzip, which
        are gzip blocks), ``"FASTA text"``, ``"wig text"``, ``"bedGraph/BED text"``,
        ``"text"`` or ``"unknown binary"``.
    """
    path = Path(path)
    magic = _magic(path)
    if magic == _BIGWIG_MAGIC:
        return "bigWig"
    if magic == _BIGBED_MAGIC:
        return "bigBed"
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        return "empty"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary"
    if "\0" in text:
        return "unknown binary"
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(("#", "track", "browser"))]
    first = lines[0] if lines else ""
    if first.startswith(">"):
        return "FASTA text"
    if first.startswith(("fixedStep", "variableStep")):
        return "wig text"
    fields = first.split("\t") if "\t" in first else first.split()
    if len(fields) >= 3 and fields[1].isdigit() and fields[2].isdigit():
        return "bedGraph/BED text"
    return "text"


_FORMAT_HINTS = {
    "bigBed": "give a bigWig coverage track (intervals/peaks belong in `peaks:` or `excluded:`)",
    "gzip": "decompress it and convert it with `bedGraphToBigWig` (a BAM needs e.g. `bamCoverage` "
    "from deepTools first)",
    "FASTA text": "the genome belongs in `genome:`; give a bigWig coverage track here",
    "wig text": "convert it with `wigToBigWig`",
    "bedGraph/BED text": "convert it with `bedGraphToBigWig` (a bedGraph cannot be used directly)",
}
_DEFAULT_FORMAT_HINT = (
    "convert the track with `bedGraphToBigWig` or `wigToBigWig` "
    "(a bedGraph or wig file cannot be used directly)"
)


def not_bigwig_error(path: Path, kind: str) -> InputFileError:
    """The error for a track file that is not a bigWig, naming what it is instead."""
    if kind == "empty":
        what = "is an empty file, not a bigWig coverage track"
    elif kind in ("unknown binary", "text"):
        what = f"is not a bigWig file (wrong magic number; looks like {kind})"
    else:
        article = "an" if kind[0] in "aeiou" else "a"
        what = f"is {article} {kind} file, not a bigWig coverage track"
    return InputFileError(
        f"{path.name} {what}", source=path, hint=_FORMAT_HINTS.get(kind, _DEFAULT_FORMAT_HINT)
    )


def check_coverage_values(
    values: np.ndarray,
    *,
    path: str | os.PathLike[str],
    chrom: str,
    start: int,
    clip_negative: bool = False,
) -> np.ndarray:
    """Check that coverage read from a track is finite and >= 0 (NaN is missing data, allowed).

    Parameters
    ----------
    values:
        Values of ``chrom[start:start + len(values)]`` (float32, NaN where no data).
    path:
        The track, named in the error.
    chrom, start:
        Where the values come from (the track's chromosome name, 0-based start).
    clip_negative:
        Set negative values to 0 instead of failing (the manifest target's ``clip_negative``).

    Returns
    -------
    numpy.ndarray
        ``values`` (negative values set to 0, in place, when ``clip_negative``).

    Raises
    ------
    InputFileError
        At the first infinite value, or the first negative one unless ``clip_negative``,
        naming the file, the 1-based position and the value.
    """
    bad = np.isinf(values)
    if not clip_negative:
        bad |= values < 0
    if bad.any():
        i = int(np.argmax(bad))
        value = float(values[i])
        position = f"{chrom}:{start + i + 1:,}"
        if math.isinf(value):
            raise InputFileError(
                f"coverage is {value} at {position} (1-based; {int(bad.sum()):,} bad value(s) in "
                f"{chrom}:{start + 1:,}-{start + values.size:,}): coverage must be finite",
                source=path,
                hint="re-create the track without infinite values (e.g. a fold change divided by 0); "
                "positions without data must have no entry (they read as missing), not inf",
            )
        raise InputFileError(
            f"coverage is negative ({value:g}) at {position} (1-based; {int(bad.sum()):,} bad value(s) "
            f"in {chrom}:{start + 1:,}-{start + values.size:,}): coverage must be >= 0",
            source=path,
            hint="use a non-negative coverage track (counts, CPM, fold change), or set "
            "`clip_negative: true` on this target in the manifest to read negative values as 0",
        )
    if clip_negative:
        np.maximum(values, 0, out=values, where=~np.isnan(values))
    return values


def refuse_binary_tracks(path: Path) -> None:
    """Raise when a bigBed or bigWig is given where a BED/narrowPeak text file belongs.

    Raises
    ------
    InputFileError
        Naming the file, what it is, and the conversion.
    """
    kind = sniff_format(path)
    if kind == "bigBed":
        raise InputFileError(
            f"{path.name} is a bigBed file, not a BED/narrowPeak text file",
            source=path,
            hint="convert it with `bigBedToBed` (plain or gzip-compressed BED text is read)",
        )
    if kind == "bigWig":
        raise InputFileError(
            f"{path.name} is a bigWig coverage track, not a BED/narrowPeak text file",
            source=path,
            hint="coverage tracks belong in `track:`/`replicate2:`; give peaks or regions as BED text",
        )
