"""Reference genomes in FASTA format (plain or bgzip-compressed), read with pyfaidx.

:class:`Genome` gives random access to base codes (see :mod:`benchsuite.io.onehot`) through
the ``.fai`` index (built on first use, atomically; next to the file, or in the benchsuite
cache when the file's folder is read-only). bgzip-compressed FASTA (``.fa.gz`` written by
``bgzip``) is supported through a ``.gzi`` index and needs Biopython; plain ``gzip`` is not
random-access and is rejected with a hint to recompress.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from benchsuite.errors import InputFileError
from benchsuite.io.atomic import atomic_write
from benchsuite.io.chroms import chrom_name_aliases
from benchsuite.io.onehot import decode_codes, encode_sequence

__all__ = ["Genome", "open_genome", "write_fasta", "read_fasta_records"]

log = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_COMPRESSED_SUFFIXES = (".gz", ".bgz")
_FIX_FASTA = (
    "a FASTA file starts with a '>name' header line, each record has one header and sequence lines "
    "of equal length (except the last); reformat it, e.g. `samtools faidx` will report the problem"
)
_BGZIP_HINT = "recompress it with bgzip: `gunzip -c {name} > genome.fa && bgzip genome.fa`"


def _is_compressed_name(path: Path) -> bool:
    return path.name.lower().endswith(_COMPRESSED_SUFFIXES)


def _gzip_kind(path: Path) -> str:
    """``"plain"`` (not gzip), ``"bgzf"`` (block gzip) or ``"gzip"`` (ordinary gzip)."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    if head[:2] != _GZIP_MAGIC:
        return "plain"
    # BGZF: FEXTRA flag set and an extra subfield with identifiers 'B','C' (SAM spec, section 4.1)
    if len(head) >= 12 and head[3] & 4:
        xlen = struct.unpack("<H", head[10:12])[0]
        with open(path, "rb") as handle:
            handle.seek(12)
            extra = handle.read(xlen)
        pos = 0
        while pos + 4 <= len(extra):
            si1, si2, slen = extra[pos], extra[pos + 1], struct.unpack("<H", extra[pos + 2 : pos + 4])[0]
            if si1 == 66 and si2 == 67:
                return "bgzf"
            pos += 4 + slen
    return "gzip"


def _first_bytes(path: Path, kind: str, n: int = 4096) -> bytes:
    if kind == "plain":
        with open(path, "rb") as handle:
            return handle.read(n)
    with gzip.open(path, "rb") as handle:
        try:
            return handle.read(n)
        except (OSError, EOFError) as exc:
            raise InputFileError(
                f"cannot decompress the FASTA file: {exc}",
                source=path,
                hint="check that the file is complete; recompress it with bgzip",
            ) from exc


def _check_fasta_start(path: Path, kind: str) -> None:
    """Raise InputFileError for an empty file or one that does not start with a '>' header."""
    head = _first_bytes(path, kind)
    if not head.strip():
        raise InputFileError("the FASTA file is empty", source=path, hint=_FIX_FASTA)
    for line in head.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(b";"):
            continue
        if not stripped.startswith(b">"):
            preview = stripped[:40].decode("ascii", errors="replace")
            raise InputFileError(
                f"not a FASTA file: the first line is {preview!r}, not a '>name' header",
                source=path,
                hint=_FIX_FASTA,
            )
        if len(stripped) == 1 or not stripped[1:].split():
            raise InputFileError("the first FASTA header has no sequence name", source=path, hint=_FIX_FASTA)
        return


def _cache_root() -> Path:
    env = os.environ.get("BENCHSUITE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "benchsuite"


def _index_paths(path: Path, bgzf: bool) -> tuple[Path, Path | None]:
    """Where the .fai (and .gzi) of ``path`` live: next to it, or in the cache if read-only."""
    fai = path.with_name(path.name + ".fai")
    gzi = path.with_name(path.name + ".gzi") if bgzf else None

    def usable(index: Path | None) -> bool:
        if index is None:
            return True
        if index.exists() and index.stat().st_mtime >= path.stat().st_mtime:
            return True  # present and current: only read
        return os.access(path.parent, os.W_OK)

    if usable(fai) and usable(gzi):
        return fai, gzi
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    folder = _cache_root() / "fasta-index"
    folder.mkdir(parents=True, exist_ok=True)
    log.info("%s: folder is read-only, keeping its index in %s", path, folder)
    cached_fai = folder / f"{digest}-{path.name}.fai"
    cached_gzi = folder / f"{digest}-{path.name}.gzi" if bgzf else None
    return cached_fai, cached_gzi


def _translate_pyfaidx_error(path: Path, exc: BaseException) -> InputFileError:
    text = str(exc).strip()
    if "Duplicate key" in text:
        name = text.split("Duplicate key", 1)[1].strip().strip('"')
        return InputFileError(
            f"the FASTA file has two records named {name!r}",
            source=path,
            hint="give every record a unique name (the first word of its '>' header)",
        )
    if "not consistent" in text or "Inconsistent line" in text:
        return InputFileError(
            f"inconsistent line lengths: {text}",
            source=path,
            hint="every sequence line of a record must have the same length except the last; "
            "rewrap it, e.g. `seqkit seq -w 60` or `samtools faidx` after reformatting",
        )
    if "BGZF" in text or "compressed" in text.lower():
        return InputFileError(
            f"unsupported compression: {text}", source=path, hint=_BGZIP_HINT.format(name=path.name)
        )
    return InputFileError(f"cannot read the FASTA file: {text}", source=path, hint=_FIX_FASTA)


def _build_index(path: Path, fai: Path, gzi: Path | None) -> None:
    """Build the .fai (and .gzi) of ``path`` under temporary names and rename them into place."""
    import pyfaidx

    tmp_fai = fai.with_name(f".{fai.name}.{os.getpid()}.tmp")
    tmp_gzi = gzi.with_name(f".{gzi.name}.{os.getpid()}.tmp") if gzi is not None else None
    try:
        faidx = pyfaidx.Faidx(
            str(path),
            indexname=str(tmp_fai),
            gzi_indexname=str(tmp_gzi) if tmp_gzi is not None else None,
            rebuild=True,
            build_index=True,
        )
        faidx.close()
        if tmp_gzi is not None and gzi is not None:
            os.replace(tmp_gzi, gzi)
        os.replace(tmp_fai, fai)
    except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat, ValueError) as exc:
        raise _translate_pyfaidx_error(path, exc) from exc
    finally:
        for tmp in (tmp_fai, tmp_gzi):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()


class Genome:
    """Random access to a reference genome (FASTA, plain or bgzip-compressed).

    Parameters
    ----------
    path:
        The FASTA file (``.fa``/``.fasta``, or ``.fa.gz``/``.fa.bgz`` compressed with ``bgzip``).

    Attributes
    ----------
    path:
        The FASTA file.
    chrom_sizes:
        Chromosome name -> length, in file order.

    Notes
    -----
    The object can be pickled and used after ``fork`` (e.g. in DataLoader workers): each
    process reopens the file on first use.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputFileError(
                "FASTA file not found" if not self.path.exists() else "not a regular file",
                source=self.path,
                hint="check the genome path (relative paths in a manifest are relative to its folder)",
            )
        kind = _gzip_kind(self.path)
        compressed_name = _is_compressed_name(self.path)
        if kind == "gzip":
            raise InputFileError(
                "the FASTA file is compressed with plain gzip, which does not allow random access",
                source=self.path,
                hint=_BGZIP_HINT.format(name=self.path.name),
            )
        if kind == "bgzf" and not compressed_name:
            raise InputFileError(
                "the FASTA file is bgzip-compressed but its name does not end in .gz or .bgz",
                source=self.path,
                hint="rename it to end in .gz (e.g. genome.fa.gz)",
            )
        if kind == "plain" and compressed_name:
            raise InputFileError(
                "the file name ends in .gz/.bgz but the file is not compressed",
                source=self.path,
                hint="rename it without the .gz suffix, or compress it with bgzip",
            )
        self._bgzf = kind == "bgzf"
        if self._bgzf:
            try:
                import Bio.bgzf  # noqa: F401
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise InputFileError(
                    "reading bgzip-compressed FASTA needs Biopython, which is not installed",
                    source=self.path,
                    hint="`pip install biopython`, or decompress the genome (`bgzip -d`)",
                ) from exc
        _check_fasta_start(self.path, kind)
        self._fai, self._gzi = _index_paths(self.path, self._bgzf)
        if not self._index_current():
            log.info("indexing %s", self.path)
            _build_index(self.path, self._fai, self._gzi)
        self._faidx: Any = None
        self._pid: int | None = None
        faidx = self._handle()
        self.chrom_sizes: dict[str, int] = {name: int(rec.rlen) for name, rec in faidx.index.items()}
        if not self.chrom_sizes:
            raise InputFileError("the FASTA file has no sequences", source=self.path, hint=_FIX_FASTA)
        empty = [name for name, size in self.chrom_sizes.items() if size == 0]
        if empty:
            log.warning("%s: records with no sequence: %s", self.path, ", ".join(empty[:5]))

    def _index_current(self) -> bool:
        mtime = self.path.stat().st_mtime
        for index in (self._fai, self._gzi):
            if index is not None and (not index.exists() or index.stat().st_mtime < mtime):
                return False
        return True

    def _handle(self) -> Any:
        """The pyfaidx reader of this process (reopened after fork or unpickling)."""
        import pyfaidx

        if self._faidx is None or self._pid != os.getpid():
            try:
                self._faidx = pyfaidx.Faidx(
                    str(self.path),
                    indexname=str(self._fai),
                    gzi_indexname=str(self._gzi) if self._gzi is not None else None,
                    as_raw=True,
                    strict_bounds=True,
                    rebuild=False,
                    build_index=False,
                    sequence_always_upper=False,
                )
            except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat, ValueError) as exc:
                raise _translate_pyfaidx_error(self.path, exc) from exc
            except OSError as exc:
                raise InputFileError(
                    f"cannot open the FASTA file or its index: {exc}",
                    source=self.path,
                    hint=f"delete the stale index {self._fai} and retry",
                ) from exc
            self._pid = os.getpid()
        return self._faidx

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_faidx"] = None
        state["_pid"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"Genome({str(self.path)!r}, {len(self.chrom_sizes)} sequences)"

    def __contains__(self, chrom: object) -> bool:
        return chrom in self.chrom_sizes

    def _unknown_chrom(self, chrom: str, start: int, end: int) -> InputFileError:
        aliases = [alias for alias in chrom_name_aliases(chrom) if alias in self.chrom_sizes]
        if aliases:
            hint = (
                f"the genome names it {aliases[0]!r}; set map_chrom_names: true in the manifest "
                "(or --map-chrom-names)"
            )
        else:
            names = list(self.chrom_sizes)
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            hint = f"use a chromosome of this genome ({shown})"
        return InputFileError(
            f"unknown chromosome {chrom!r} (requested {chrom}:{start}-{end})", source=self.path, hint=hint
        )

    def fetch_codes(self, chrom: str, start: int, end: int) -> np.ndarray:
        """Base codes of ``chrom[start:end]`` (0-based, half-open).

        Parameters
        ----------
        chrom:
            Chromosome name as in the FASTA file.
        start, end:
            0-based, half-open coordinates with ``0 <= start <= end <= chrom_sizes[chrom]``.

        Returns
        -------
        numpy.ndarray
            ``uint8`` codes of shape ``(end - start,)`` (A=0, C=1, G=2, T=3, other=4).

        Raises
        ------
        InputFileError
            For an unknown chromosome or coordinates outside it (names file, chrom and coordinates).
        """
        size = self.chrom_sizes.get(chrom)
        if size is None:
            raise self._unknown_chrom(chrom, start, end)
        start, end = int(start), int(end)
        if start < 0 or end < start or end > size:
            raise InputFileError(
                f"coordinates {chrom}:{start}-{end} are outside {chrom} (length {size:,})"
                if start >= 0 and end >= start
                else f"invalid coordinates {chrom}:{start}-{end} (need 0 <= start <= end)",
                source=self.path,
                hint="check that intervals and genome use the same assembly; regions must lie within "
                "the chromosome",
            )
        if end == start:
            return np.zeros(0, dtype=np.uint8)
        seq = self._handle().from_file(chrom, start + 1, end)
        codes = encode_sequence(seq)
        if codes.shape[0] != end - start:  # pragma: no cover - corrupt index
            raise InputFileError(
                f"read {codes.shape[0]} bases for {chrom}:{start}-{end}, expected {end - start}",
                source=self.path,
                hint=f"the index is stale or the file changed; delete {self._fai} and retry",
            )
        return codes

    def fetch_chrom_codes(self, chrom: str) -> np.ndarray:
        """Base codes of a whole chromosome (see :meth:`fetch_codes`)."""
        if chrom not in self.chrom_sizes:
            raise self._unknown_chrom(chrom, 0, 0)
        return self.fetch_codes(chrom, 0, self.chrom_sizes[chrom])

    def close(self) -> None:
        """Close the file (the genome reopens it if used again)."""
        if self._faidx is not None and self._pid == os.getpid():
            self._faidx.close()
        self._faidx = None
        self._pid = None

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_genome(path: str | os.PathLike[str]) -> Genome:
    """Open a FASTA genome (plain or bgzip-compressed); see :class:`Genome`."""
    return Genome(path)


class _NoCloseBinary:
    """A binary file wrapper whose close() only flushes (Biopython's BgzfWriter closes its handle)."""

    mode = "wb"

    def __init__(self, handle: BinaryIO):
        self._handle = handle

    def write(self, data: bytes) -> int:
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        self._handle.flush()


def _record_lines(name: str, seq: str | np.ndarray, line_width: int) -> Iterator[str]:
    if isinstance(seq, np.ndarray):
        seq = decode_codes(seq)
    elif not isinstance(seq, str):
        raise TypeError(f"record {name!r}: sequence must be str or a uint8 code array, not {type(seq)}")
    yield f">{name}\n"
    for i in range(0, len(seq), line_width):
        yield seq[i : i + line_width] + "\n"


def write_fasta(
    path: str | os.PathLike[str],
    records: Iterable[tuple[str, str | np.ndarray]],
    *,
    line_width: int = 60,
    index: bool = True,
) -> Path:
    """Write sequences to a FASTA file atomically (bgzip-compressed if the name ends in .gz/.bgz).

    Parameters
    ----------
    path:
        The output file.
    records:
        ``(name, sequence)`` pairs; a sequence is text (case kept) or a ``uint8`` code array
        (written upper-case, code 4 as ``N``). A name may carry a description after a space
        (``"LDLR chr19:11199049-11201097 hg19"``); the first word must be unique.
    line_width:
        Bases per line.
    index:
        Also write the ``.fai`` (and ``.gzi``) index.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if line_width < 1:
        raise ValueError(f"line_width must be >= 1, got {line_width}")
    path = Path(path)
    seen: set[str] = set()

    def lines() -> Iterator[str]:
        for name, seq in records:
            key = name.split(maxsplit=1)[0] if isinstance(name, str) and name.strip() else ""
            if not key or name != name.strip() or "\n" in name:
                raise ValueError(f"invalid FASTA record name {name!r}")
            if key in seen:
                raise ValueError(f"duplicate FASTA record name {key!r}")
            seen.add(key)
            yield from _record_lines(name, seq, line_width)

    if _is_compressed_name(path):
        from Bio.bgzf import BgzfWriter

        with atomic_write(path, "wb") as handle:
            writer = BgzfWriter(fileobj=_NoCloseBinary(handle), mode="wb")
            for line in lines():
                writer.write(line.encode("ascii"))
            writer.close()
    else:
        with atomic_write(path, "w", encoding="ascii", newline="\n") as handle:
            for line in lines():
                handle.write(line)
    if index:
        bgzf = _is_compressed_name(path)
        fai = path.with_name(path.name + ".fai")
        gzi = path.with_name(path.name + ".gzi") if bgzf else None
        _build_index(path, fai, gzi)
    return path


def read_fasta_records(path: str | os.PathLike[str]) -> list[tuple[str, str, str]]:
    """Read every record of a small FASTA file into memory.

    Parameters
    ----------
    path:
        A FASTA file (plain or gzip/bgzip-compressed), e.g. the CAGI5 ``elements.fa`` whose
        headers read ``>LDLR chr19:11199049-11201097 hg19``.

    Returns
    -------
    list[tuple[str, str, str]]
        ``(name, description, sequence)`` per record in file order: the first word of the
        header, the rest of the header (stripped, may be empty), and the sequence with case kept.

    Raises
    ------
    InputFileError
        For a missing or empty file, text before the first header, an empty header or duplicate
        names (with the line number).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError("FASTA file not found", source=path, hint="check the path")
    kind = _gzip_kind(path)
    opener = gzip.open if kind != "plain" else open
    records: list[tuple[str, str, str]] = []
    names: dict[str, int] = {}
    name = description = None
    chunks: list[str] = []
    with opener(path, "rt", encoding="ascii", errors="replace") as handle:  # type: ignore[operator]
        for lineno, raw in enumerate(handle, start=1):
            line = raw.strip()
            if line.startswith(">"):
                if name is not None:
                    records.append((name, description or "", "".join(chunks)))
                parts = line[1:].split(maxsplit=1)
                if not parts:
                    raise InputFileError(
                        f"line {lineno}: header without a sequence name", source=path, hint=_FIX_FASTA
                    )
                name = parts[0]
                description = parts[1].strip() if len(parts) > 1 else ""
                if name in names:
                    raise InputFileError(
                        f"line {lineno}: duplicate record name {name!r} (first at line {names[name]})",
                        source=path,
                        hint="give every record a unique name",
                    )
                names[name] = lineno
                chunks = []
            elif not line or line.startswith(";"):
                continue
            elif name is None:
                raise InputFileError(
                    f"line {lineno}: sequence before the first '>' header", source=path, hint=_FIX_FASTA
                )
            else:
                chunks.append(line)
    if name is None:
        raise InputFileError("the FASTA file has no '>' records (empty file?)", source=path, hint=_FIX_FASTA)
    records.append((name, description or "", "".join(chunks)))
    return records
