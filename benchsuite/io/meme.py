"""Motif databases in MEME minimal format (version 4), e.g. JASPAR's ``*_meme.txt``.

Only the DNA alphabet (ACGT) and letter-probability matrices are read; log-odds matrices,
``URL`` lines and other decorations are skipped.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchsuite.errors import InputFileError
from benchsuite.io.atomic import atomic_write

__all__ = ["Motif", "read_meme", "write_meme"]

_ROW_TOL = 0.02
_MEME_HINT = (
    "use MEME minimal format: 'MOTIF id [alt]', then 'letter-probability matrix: alength= 4 w= W', "
    "then W rows of 4 probabilities (A C G T) summing to 1"
)
_KEYVAL = re.compile(r"(\w+)\s*=\s*(\S+)")


@dataclass(frozen=True, eq=False)
class Motif:
    """A DNA motif as a position probability matrix.

    Attributes
    ----------
    name:
        Motif identifier (e.g. ``MA0004.1``).
    ppm:
        ``float64`` array of shape ``(w, 4)``, columns A, C, G, T; each row sums to 1.
    alt_name:
        Alternative name (e.g. the TF name ``Arnt``), may be empty.
    """

    name: str
    ppm: np.ndarray
    alt_name: str = ""

    def __post_init__(self) -> None:
        ppm = np.asarray(self.ppm, dtype=np.float64)
        if ppm.ndim != 2 or ppm.shape[1] != 4 or ppm.shape[0] == 0:
            raise ValueError(f"motif {self.name!r}: ppm must have shape (w, 4) with w >= 1, got {ppm.shape}")
        if not self.name or any(ch.isspace() for ch in self.name):
            raise ValueError(f"motif name must be one non-empty word, got {self.name!r}")
        object.__setattr__(self, "ppm", ppm)

    @property
    def width(self) -> int:
        """Number of positions."""
        return int(self.ppm.shape[0])

    @property
    def consensus(self) -> str:
        """The most probable base at each position."""
        return "".join("ACGT"[i] for i in self.ppm.argmax(axis=1))


def _error(path: Path, lineno: int, message: str) -> InputFileError:
    return InputFileError(f"line {lineno}: {message}", source=path, hint=_MEME_HINT)


def read_meme(path: str | os.PathLike[str]) -> list[Motif]:
    """Read the motifs of a MEME minimal-format file.

    Parameters
    ----------
    path:
        The MEME file.

    Returns
    -------
    list[Motif]
        In file order; each row is renormalised to sum exactly to 1 (rows may be off by
        rounding, at most 0.02).

    Raises
    ------
    InputFileError
        For a missing file, a non-DNA alphabet, a motif without a letter-probability matrix,
        rows with the wrong number of values, negative values, rows not summing to 1, a width
        that does not match ``w=``, or a file without motifs (with the line number).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError("MEME file not found", source=path, hint="check the path")
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    motifs: list[Motif] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i].strip()
        lineno = i + 1
        if line.startswith("ALPHABET"):
            letters = line.split("=", 1)[1].strip() if "=" in line else ""
            if letters.split()[:1] != ["ACGT"]:
                raise _error(path, lineno, f"alphabet {letters!r} is not DNA (ACGT)")
            i += 1
            continue
        if not line.startswith("MOTIF"):
            i += 1
            continue
        parts = line.split()
        if len(parts) < 2:
            raise _error(path, lineno, "MOTIF line without a motif name")
        name, alt_name = parts[1], " ".join(parts[2:])
        motif_line = lineno
        # find this motif's letter-probability matrix before the next MOTIF line
        i += 1
        while i < n and not lines[i].strip().startswith(("letter-probability", "MOTIF")):
            i += 1
        if i >= n or lines[i].strip().startswith("MOTIF"):
            raise _error(path, motif_line, f"motif {name!r} has no letter-probability matrix")
        header = lines[i].strip()
        info = dict(_KEYVAL.findall(header))
        alength = int(info.get("alength", "4"))
        if alength != 4:
            raise _error(path, i + 1, f"motif {name!r}: alength= {alength}, expected 4 (DNA)")
        width = int(info["w"]) if "w" in info else None
        rows: list[list[float]] = []
        i += 1
        while i < n and (width is None or len(rows) < width):
            text = lines[i].strip()
            if not text:
                if width is None and rows:
                    break
                i += 1
                continue
            fields = text.split()
            try:
                values = [float(v) for v in fields]
            except ValueError:
                if width is None and rows:
                    break
                raise _error(
                    path, i + 1, f"motif {name!r}: expected {width} matrix rows, found {len(rows)}"
                ) from None
            if len(values) != 4:
                raise _error(
                    path, i + 1, f"motif {name!r}: a matrix row has {len(values)} values, expected 4"
                )
            rows.append(values)
            i += 1
        if width is not None and len(rows) < width:
            raise _error(path, i, f"motif {name!r}: expected {width} matrix rows, found {len(rows)}")
        if not rows:
            raise _error(path, i, f"motif {name!r}: empty matrix")
        ppm = np.asarray(rows, dtype=np.float64)
        if (ppm < 0).any() or not np.isfinite(ppm).all():
            raise _error(path, motif_line, f"motif {name!r}: negative or non-finite probabilities")
        sums = ppm.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_TOL)
        if bad.size:
            raise _error(
                path,
                motif_line,
                f"motif {name!r}: row {int(bad[0]) + 1} sums to {sums[bad[0]]:.4g}, not 1 "
                "(counts instead of probabilities?)",
            )
        motifs.append(Motif(name=name, ppm=ppm / sums[:, None], alt_name=alt_name))
    if not motifs:
        raise InputFileError("no MOTIF found in the file", source=path, hint=_MEME_HINT)
    return motifs


def write_meme(
    path: str | os.PathLike[str],
    motifs: Sequence[Motif],
    *,
    background: Sequence[float] = (0.25, 0.25, 0.25, 0.25),
) -> Path:
    """Write motifs in MEME minimal format (version 4), atomically.

    The output is readable by MEME-suite tools, :func:`read_meme` and ``memelite.io.read_meme``.

    Parameters
    ----------
    path:
        The output file.
    motifs:
        The motifs.
    background:
        Background frequencies of A, C, G, T (summing to 1).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    bg = [float(x) for x in background]
    if len(bg) != 4 or any(x < 0 for x in bg) or not math.isclose(sum(bg), 1.0, abs_tol=1e-6):
        raise ValueError(f"background must be 4 non-negative frequencies summing to 1, got {background}")
    with atomic_write(path, "w", newline="\n") as handle:
        handle.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n")
        handle.write("Background letter frequencies\n")
        handle.write(" ".join(f"{b} {x:.6g}" for b, x in zip("ACGT", bg, strict=True)) + "\n\n")
        for motif in motifs:
            title = f"{motif.name} {motif.alt_name}".strip()
            handle.write(f"MOTIF {title}\n")
            handle.write(f"letter-probability matrix: alength= 4 w= {motif.width} nsites= 20 E= 0\n")
            for row in motif.ppm:
                handle.write(" ".join(f"{x:.6f}" for x in row) + "\n")
            handle.write("\n")
    return path
