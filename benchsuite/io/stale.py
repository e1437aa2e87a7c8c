"""Removal of temporary folders left behind by killed builds.

:func:`~benchsuite.io.atomic.atomic_directory` builds a bundle (``benchsuite simulate``) or a
dataset cache (``benchsuite data prepare``) in a sibling folder named
``.<name>.tmp-<host>-<pid>-<random>``. A process killed mid-build (out of memory, a cluster
time limit, Ctrl-C twice) leaves that folder behind, and a rerun builds a new one beside it.
:func:`remove_stale_temporaries` runs when a build starts and removes the leftovers whose
owner is gone: same host, and no process with that PID exists. Folders of live processes
(concurrent shards on this machine) and of other hosts (shards on other nodes of a shared file
system) are left alone, so it is safe to run from any number of shards at once.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from benchsuite.io.atomic import TEMP_DIR_PATTERN, host_name

__all__ = ["StaleCleanup", "pid_alive", "remove_stale_temporaries", "folder_bytes"]

log = logging.getLogger(__name__)

#: temporary folders of benchsuite before they carried their owner (``tempfile.mkdtemp`` names)
_UNOWNED_PATTERN = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


@dataclass
class StaleCleanup:
    """What :func:`remove_stale_temporaries` did in one folder.

    Attributes
    ----------
    removed:
        The leftover folders removed.
    bytes_removed:
        Their total size in bytes (file sizes, before removal).
    kept:
        Temporary folders left in place (owner alive or on another host).
    unowned:
        Temporary folders of an older benchsuite, without an owner in their name: left in
        place (a warning says to remove them by hand when no build is running).
    """

    removed: list[Path] = field(default_factory=list)
    bytes_removed: int = 0
    kept: list[Path] = field(default_factory=list)
    unowned: list[Path] = field(default_factory=list)


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists on this machine.

    A process owned by another user counts as alive (``PermissionError``); only
    ``ProcessLookupError`` means it is gone.
    """
    if pid <= 0:
        return True  # 0 and negative PIDs address process groups: never treat them as dead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def folder_bytes(path: Path) -> int:
    """Total size of the regular files under ``path`` (symlinks not followed; errors skipped)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_size
    return total


def remove_stale_temporaries(parent: str | os.PathLike[str]) -> StaleCleanup:
    """Remove the temporary build folders in ``parent`` whose owner process is gone.

        Only entries matching :data:`~benchsuite.io.atomic.TEMP_DIR_PATTERN` are considered, and
        only real folders (never symlinks or files). One is removed when its host is this host and
        its PID is not alive (:func:`pid_alive`); each removal is logged with its size (INFO), and
    the total as a warning.

        Parameters
        ----------
        parent:
            The folder holding the builds (the cache root, or the bundle's parent folder). A
            missing folder has nothing to clean.

        Returns
        -------
        StaleCleanup
            The removed folders, their bytes, and the temporary folders kept.
    """
    result = StaleCleanup()
    parent = Path(parent)
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return result
    host = host_name()
    for entry in entries:
        if entry.is_symlink() or not entry.is_dir():
            continue
        match = TEMP_DIR_PATTERN.match(entry.name)
        if match is None:
            if _UNOWNED_PATTERN.match(entry.name):
                result.unowned.append(entry)
                log.warning(
                    "%s looks like the temporary folder of an interrupted build by an older benchsuite; "
                    "its owner cannot be told, so it is kept: remove it by hand if no build is running",
                    entry,
                )
            continue
        if match["host"] != host or pid_alive(int(match["pid"])):
            result.kept.append(entry)
            continue
        size = folder_bytes(entry)
        shutil.rmtree(entry, ignore_errors=True)
        if entry.exists():  # pragma: no cover - permissions
            log.warning("could not remove stale temporary folder %s", entry)
            continue
        result.removed.append(entry)
        result.bytes_removed += size
        log.info(
            "removed stale temporary folder %s (%s, left by process %s on %s, which is gone)",
            entry,
            _human(size),
            match["pid"],
            match["host"],
        )
    if result.removed:  # shown without --verbose: disk space came back
        log.warning(
            "removed %d stale temporary folder(s) of killed builds in %s: %s in all",
            len(result.removed),
            parent,
            _human(result.bytes_removed),
        )
    return result


def _human(n: int) -> str:
    """Bytes for a log line: exact count plus a MB/GB reading."""
    if n >= 1 << 30:
        return f"{n:,} bytes, {n / (1 << 30):.1f} GiB"
    if n >= 1 << 20:
        return f"{n:,} bytes, {n / (1 << 20):.1f} MiB"
    return f"{n:,} bytes"
