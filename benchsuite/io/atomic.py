"""Atomic file and directory writes.

A reader never sees a half-written file: :func:`atomic_write` writes a temporary file in the
target's directory, flushes and fsyncs it and renames it over the target with
:func:`os.replace`; :func:`atomic_directory` builds a whole folder next to the target and
renames it into place. On an exception the temporary file or folder is removed and the
target is left as it was.

The temporary folder of :func:`atomic_directory` is named
``.<name>.tmp-<host>-<pid>-<random>`` (and the previous folder, while it is swapped out,
``.<name>.old-<host>-<pid>-<random>``), so a process killed mid-build leaves a folder whose
owner can be told: :func:`benchsuite.io.stale.remove_stale_temporaries` removes those whose
owner process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_write",
    "atomic_path",
    "atomic_directory",
    "TEMP_DIR_PATTERN",
    "host_name",
    "owned_temp_name",
]

#: name of a temporary (``tmp``) or swapped-out (``old``) folder of :func:`atomic_directory`
TEMP_DIR_PATTERN = re.compile(
    r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<host>[A-Za-z0-9._]+)-(?P<pid>[0-9]+)-(?P<rand>[0-9a-f]{8})$"
)


def host_name() -> str:
    """This machine's host name, with characters other than letters, digits, '.', '_' replaced."""
    return re.sub(r"[^A-Za-z0-9._]", "_", socket.gethostname() or "localhost")


def owned_temp_name(target_name: str, kind: str = "tmp") -> str:
    """A fresh temporary name for ``target_name`` carrying this process's host and PID.

    Parameters
    ----------
    target_name:
        The final folder's name.
    kind:
        ``"tmp"`` (being built) or ``"old"`` (the previous folder, being replaced).

    Returns
    -------
    str
        ``.<target_name>.<kind>-<host>-<pid>-<8 hex digits>`` (matches :data:`TEMP_DIR_PATTERN`).
    """
    return f".{target_name}.{kind}-{host_name()}-{os.getpid()}-{secrets.token_hex(4)}"


def _make_owned_dir(parent: Path, target_name: str) -> Path:
    """Create (exclusively, mode 0700) a new owned temporary folder in ``parent``."""
    for _ in range(100):
        path = parent / owned_temp_name(target_name)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        return path
    raise FileExistsError(
        f"could not create a temporary folder for {target_name} in {parent}"
    )  # pragma: no cover


def _fsync_dir(path: Path) -> None:
    """fsync a directory so a rename in it survives a crash (best effort, POSIX only)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` atomically when the block ends without error.

    Parameters
    ----------
    path:
        The target file. Its parent folder is created if needed.
    mode:
        ``"w"`` (text) or ``"wb"`` (binary); ``"x"``/``"xb"`` also accepted (fail if the target
        exists when the block ends).
    **open_kwargs:
        Passed to :func:`open` (e.g. ``encoding``, ``newline``).

    Yields
    ------
    file object
        The open temporary file (in the same folder as ``path``).
    """
    if mode not in ("w", "wb", "wt", "x", "xb", "xt"):
        raise ValueError(f"atomic_write supports write modes 'w', 'wb', 'x', 'xb', got {mode!r}")
    exclusive = mode.startswith("x")
    mode = "w" + mode[1:]
    if "b" not in mode:
        open_kwargs.setdefault("encoding", "utf-8")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive and target.exists():
            raise FileExistsError(f"{target} already exists")
        # mkstemp creates 0600 files; give the result the usual permissions (umask applied)
        _set_default_mode(tmp, 0o666)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def _current_umask() -> int:
    # os.umask can only be read by setting it; do it once, at import, not while threads write files
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _current_umask()


def _set_default_mode(path: Path, mode: int) -> None:
    """Give a temporary file/folder (created 0600/0700) the permissions a plain open() would."""
    os.chmod(path, mode & ~_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Give a temporary path for a library that writes a file by name (e.g. pyBigWig).

    The file written at the yielded path is fsynced and renamed to ``path`` when the block
    ends without error; on an exception it is removed.

    Parameters
    ----------
    path:
        The target file. Its parent folder is created if needed.
    suffix:
        Suffix of the temporary name (some libraries look at the extension).

    Yields
    ------
    pathlib.Path
        A not-yet-existing temporary path in the same folder as ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to the temporary file for {target}")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        _set_default_mode(tmp, 0o666)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder under a temporary name and rename it to ``path`` when the block succeeds.

    If ``path`` already exists it is replaced: the old folder is first renamed aside, the new
    one renamed into place, then the old one deleted, so ``path`` is never half-written. On an
    exception the temporary folder is removed and an existing ``path`` is left untouched.

    Parameters
    ----------
    path:
        The target folder. Its parent is created if needed.

    Yields
    ------
    pathlib.Path
        The temporary folder (a sibling of ``path``) to write into.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_owned_dir(target.parent, target.name)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _set_default_mode(tmp, 0o777)
    if target.is_symlink() or target.is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise FileExistsError(f"{target} exists and is not a directory")
    old: Path | None = None
    try:
        if target.exists():
            old = target.with_name(owned_temp_name(target.name, "old"))
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        # put the previous folder back if the swap failed half-way
        if old is not None and not target.exists():
            os.replace(old, target)
            old = None
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)
