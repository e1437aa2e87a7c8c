"""Coverage tracks in bigWig format, read and written with pyBigWig.

Values are ``float32`` at base resolution; positions without data are NaN, never 0 (a track
whose data stops at a region boundary must not be read as zero coverage there).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import InputFileError
from benchsuite.io.atomic import atomic_path
from benchsuite.io.chroms import reconcile_chrom_names
from benchsuite.io.trackcheck import check_coverage_values, not_bigwig_error, sniff_format

__all__ = [
    "BigWig",
    "open_bigwig",
    "write_bigwig",
    "check_track_chroms",
    "run_length_encode",
    "sniff_format",
    "check_coverage_values",
]

log = logging.getLogger(__name__)

_ENTRY_CHUNK = 1_000_000
_MIN_FIXED = 16


class BigWig:
    """A bigWig coverage track opened for reading.

    Parameters
    ----------
    path:
        The ``.bw``/``.bigWig`` file.

    Attributes
    ----------
    path:
        The file.
    chrom_sizes:
        Chromosome name -> length from the file header, in header order.

    Notes
    -----
    Picklable and fork-safe: each process reopens the file on first use.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputFileError(
                "bigWig file not found" if not self.path.exists() else "not a regular file",
                source=self.path,
                hint="check the track path (relative paths in a manifest are relative to its folder)",
            )
        kind = sniff_format(self.path)
        if kind != "bigWig":
            raise not_bigwig_error(self.path, kind)
        self._bw: Any = None
        self._pid: int | None = None
        handle = self._handle()
        chroms = handle.chroms()
        if not chroms:
            raise InputFileError(
                "the bigWig file has no chromosomes in its header",
                source=self.path,
                hint="rewrite the track with a header listing the genome's chromosomes",
            )
        self.chrom_sizes: dict[str, int] = {str(k): int(v) for k, v in chroms.items()}

    def _handle(self) -> Any:
        import pyBigWig

        if self._bw is None or self._pid != os.getpid():
            try:
                bw = pyBigWig.open(str(self.path))
            except RuntimeError as exc:
                bw = None
                reason = str(exc)
            else:
                reason = "pyBigWig could not open it"
            if bw is None or not bw.isBigWig():
                raise InputFileError(
                    f"cannot read the bigWig file (corrupt or truncated?): {reason}",
                    source=self.path,
                    hint="re-create or re-download the track",
                )
            self._bw = bw
            self._pid = os.getpid()
        return self._bw

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_bw"] = None
        state["_pid"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"BigWig({str(self.path)!r}, {len(self.chrom_sizes)} chromosomes)"

    def values(self, chrom: str, start: int, end: int) -> np.ndarray:
        """Base-resolution values of ``chrom[start:end]`` (0-based, half-open).

        Parameters
        ----------
        chrom:
            Chromosome name as in the track.
        start, end:
            Coordinates with ``0 <= start <= end <= chrom_sizes[chrom]``.

        Returns
        -------
        numpy.ndarray
            ``float32`` array of shape ``(end - start,)``; NaN where the track has no data.

        Raises
        ------
        InputFileError
            For an unknown chromosome or coordinates outside it, or an unreadable file.
        """
        size = self.chrom_sizes.get(chrom)
        start, end = int(start), int(end)
        if size is None:
            names = list(self.chrom_sizes)
            raise InputFileError(
                f"unknown chromosome {chrom!r} (requested {chrom}:{start}-{end})",
                source=self.path,
                hint=f"the track has {', '.join(names[:5])}{', ...' if len(names) > 5 else ''}; check the "
                "chromosome names (set map_chrom_names: true in the manifest for chr1 vs 1)",
            )
        if start < 0 or end < start or end > size:
            raise InputFileError(
                f"coordinates {chrom}:{start}-{end} are outside {chrom} (length {size:,})",
                source=self.path,
                hint="check that the track and the genome use the same assembly",
            )
        if end == start:
            return np.zeros(0, dtype=np.float32)
        try:
            out = self._handle().values(chrom, start, end, numpy=True)
        except RuntimeError as exc:
            raise InputFileError(
                f"cannot read {chrom}:{start}-{end}: {exc}",
                source=self.path,
                hint="the file may be corrupt or truncated; re-create it",
            ) from exc
        out = np.asarray(out, dtype=np.float32)
        if out.shape[0] != end - start:
            if out.shape[0] == 0:
                # libBigWig returns nothing for a file without any data: all positions are missing
                return np.full(end - start, np.nan, dtype=np.float32)
            raise InputFileError(  # pragma: no cover - defensive
                f"read {out.shape[0]} values for {chrom}:{start}-{end}",
                source=self.path,
                hint="the file may be corrupt; re-create it",
            )
        return out

    def close(self) -> None:
        """Close the file (it is reopened if used again)."""
        if self._bw is not None and self._pid == os.getpid():
            self._bw.close()
        self._bw = None
        self._pid = None

    def __enter__(self) -> BigWig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_bigwig(path: str | os.PathLike[str]) -> BigWig:
    """Open a bigWig track for reading; see :class:`BigWig`."""
    return BigWig(path)


def run_length_encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal consecutive values, without the NaN runs.

    Parameters
    ----------
    values:
        1-D float array.

    Returns
    -------
    starts, ends, run_values:
        ``int64`` starts and (exclusive) ends and ``float32`` values of every run of equal
        values that is not NaN (two adjacent NaNs count as equal).
    """
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {arr.shape}")
    n = arr.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float32)
    nan = np.isnan(arr)
    prev, cur = arr[:-1], arr[1:]
    change = (prev != cur) & ~(nan[:-1] & nan[1:])
    starts = np.concatenate(([0], np.flatnonzero(change) + 1)).astype(np.int64)
    ends = np.concatenate((starts[1:], [n])).astype(np.int64)
    run_values = arr[starts]
    keep = ~np.isnan(run_values)
    return starts[keep], ends[keep], run_values[keep]


def _entry_blocks(starts: np.ndarray, ends: np.ndarray) -> list[tuple[int, int, bool]]:
    """Split runs into blocks ``(first, last + 1, fixed_step)`` in position order.

    Stretches of at least ``_MIN_FIXED`` adjacent one-base runs (every base a different value)
    are written as fixedStep sections (span 1, step 1), which libBigWig adds about 10x faster
    and stores more compactly than one bedGraph entry per base; everything else is bedGraph.
    """
    m = starts.shape[0]
    if m == 0:
        return []
    single = (ends - starts) == 1
    joined = np.zeros(m, dtype=bool)
    joined[1:] = single[1:] & single[:-1] & (starts[1:] == ends[:-1])
    # stretches of single runs: a new stretch starts at a single run not joined to the previous one
    begins = np.flatnonzero(single & ~joined)
    blocks: list[tuple[int, int, bool]] = []
    pos = 0
    if begins.size:
        # end of each stretch: the first index after `begin` that is not joined
        not_joined = np.flatnonzero(~joined)
        nxt = np.searchsorted(not_joined, begins, side="right")
        stops = np.where(nxt < not_joined.shape[0], not_joined[np.minimum(nxt, not_joined.shape[0] - 1)], m)
        for begin, stop in zip(begins.tolist(), stops.tolist(), strict=True):
            if stop - begin < _MIN_FIXED:
                continue
            if begin > pos:
                blocks.append((pos, begin, False))
            blocks.append((begin, stop, True))
            pos = stop
    if pos < m:
        blocks.append((pos, m, False))
    return blocks


def write_bigwig(
    path: str | os.PathLike[str],
    chrom_sizes: dict[str, int],
    values: Mapping[str, np.ndarray],
    *,
    max_zooms: int = 10,
) -> Path:
    """Write base-resolution coverage to a bigWig file, atomically and compactly.

    Runs of equal consecutive values become one bedGraph-style entry; long stretches where
    every base differs are written as fixedStep sections; NaN runs are not written (no data).
    Values are stored as float32.

    Parameters
    ----------
    path:
        The output file.
    chrom_sizes:
        Chromosome name -> length; written as the header in this order.
    values:
        Chromosome -> 1-D float array of length ``chrom_sizes[chrom]``. Chromosomes left out
        have no data.
    max_zooms:
        Number of zoom levels (summaries for genome browsers; 0 writes none and is faster).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import pyBigWig

    path = Path(path)
    if not chrom_sizes:
        raise ValueError("write_bigwig needs at least one chromosome in chrom_sizes")
    unknown = [c for c in values if c not in chrom_sizes]
    if unknown:
        raise ValueError(f"values for chromosomes not in chrom_sizes: {unknown[:5]}")
    for chrom, arr in values.items():
        shape = np.shape(arr)
        if len(shape) != 1 or shape[0] != chrom_sizes[chrom]:
            raise ValueError(
                f"values of {chrom!r} have shape {shape}, expected ({chrom_sizes[chrom]},) "
                "(the chromosome size)"
            )
    header = [(str(c), int(s)) for c, s in chrom_sizes.items()]
    with atomic_path(path, suffix=".bw") as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        if bw is None:  # pragma: no cover - libBigWig failure
            raise OSError(f"pyBigWig could not create {tmp}")
        try:
            bw.addHeader(header, maxZooms=int(max_zooms))
            for chrom, _size in header:
                if chrom not in values:
                    continue
                starts, ends, run_values = run_length_encode(values[chrom])
                run_values = run_values.astype(np.float64)  # exact: they are float32 already
                for first, stop, fixed in _entry_blocks(starts, ends):
                    if fixed:
                        bw.addEntries(
                            chrom, int(starts[first]), values=run_values[first:stop], span=1, step=1
                        )
                        continue
                    for i in range(first, stop, _ENTRY_CHUNK):
                        j = min(i + _ENTRY_CHUNK, stop)
                        bw.addEntries(
                            [chrom] * (j - i),
                            starts[i:j].tolist(),
                            ends=ends[i:j].tolist(),
                            values=run_values[i:j].tolist(),
                        )
        finally:
            bw.close()
    return path


def check_track_chroms(
    track: BigWig,
    genome_sizes: dict[str, int],
    *,
    map_names: bool = False,
    genome_source: str | os.PathLike[str] = "the genome",
) -> dict[str, str]:
    """Check that a track covers every chromosome of the genome, with the same lengths.

    Parameters
    ----------
    track:
        An open bigWig track.
    genome_sizes:
        Genome chromosome name -> length.
    map_names:
        Accept ``chr1`` vs ``1`` (and ``chrM`` vs ``MT``) naming differences.
    genome_source:
        The genome file, named in messages.

    Returns
    -------
    dict[str, str]
        Genome chromosome -> track chromosome.

    Raises
    ------
    ChromosomeNameError
        (an :class:`~benchsuite.errors.InputFileError`) if a genome chromosome is missing from
        the track, or names differ and ``map_names`` is False.
    InputFileError
        If a chromosome has a different length in the track (another assembly).
    """
    mapping = reconcile_chrom_names(
        genome_sizes,
        track.chrom_sizes,
        reference_source=genome_source,
        other_source=track.path,
        map_names=map_names,
    )
    wrong = [
        (g, t, genome_sizes[g], track.chrom_sizes[t])
        for g, t in mapping.items()
        if int(genome_sizes[g]) != track.chrom_sizes[t]
    ]
    if wrong:
        shown = ", ".join(f"{t}: {ts:,} in the track vs {gs:,} in the genome" for g, t, gs, ts in wrong[:3])
        raise InputFileError(
            f"chromosome lengths differ from {genome_source}: {shown}"
            + (f" ({len(wrong)} chromosomes in all)" if len(wrong) > 3 else ""),
            source=track.path,
            hint="use a track made for the same genome assembly as the FASTA",
        )
    return mapping
