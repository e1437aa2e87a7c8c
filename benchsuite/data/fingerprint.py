"""Dataset fingerprints: what identifies a prepared dataset.

The fingerprint is a sha256 over

- the content sha256 of every file the manifest names (streamed, never loaded whole),
- every parameter that changes the arrays (geometry with the effective coverage threshold,
  target names and order, resolved split, chromosome-name mapping),
- :data:`CACHE_FORMAT_VERSION`.

It does not depend on where the bundle lives, so a moved bundle keeps its fingerprint, and it
changes whenever an input's content does. Result records carry it, so a leaderboard only
compares numbers computed on the same data.

Hashing multi-gigabyte genomes and tracks on every call would be slow, so content hashes are
memoised in ``<cache_dir>/file-hashes.json`` keyed by (path, size, mtime, inode); a file whose
metadata changed (e.g. rewritten or touched) is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchsuite.errors import InputFileError

__all__ = ["CACHE_FORMAT_VERSION", "file_sha256", "HashMemo", "dataset_fingerprint"]

log = logging.getLogger(__name__)

#: bump when the on-disk layout or the selection rules change (old caches are then rebuilt)
CACHE_FORMAT_VERSION = 3  # 3: whole-chromosome tiles carry peak labels

_BLOCK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """Content sha256 of a file, streamed in 1 MiB blocks.

    Parameters
    ----------
    path:
        The file.

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise InputFileError(f"cannot read file: {exc}", source=path) from exc
    return digest.hexdigest()


class HashMemo:
    """Memo of content hashes keyed by file metadata, stored as JSON (best effort).

    Parameters
    ----------
    path:
        The JSON file (``None``: no persistence).
    """

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._entries = loaded
            except (OSError, ValueError):
                log.debug("ignoring unreadable hash memo %s", path)

    @staticmethod
    def _key_fields(path: Path) -> dict[str, int]:
        st = path.stat()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}

    def sha256(self, path: Path) -> str:
        """Content hash of ``path``, from the memo when its metadata is unchanged."""
        path = Path(path).resolve()
        try:
            fields = self._key_fields(path)
        except OSError as exc:
            raise InputFileError(f"cannot read file: {exc}", source=path) from exc
        entry = self._entries.get(str(path))
        if entry is not None and all(entry.get(k) == v for k, v in fields.items()) and "sha256" in entry:
            return str(entry["sha256"])
        digest = file_sha256(path)
        self._entries[str(path)] = {**fields, "sha256": digest}
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the memo atomically (errors are logged, never raised: it is only a speed-up)."""
        if self.path is None or not self._dirty:
            return
        from benchsuite.io.atomic import atomic_write

        try:
            # merge with entries written meanwhile by another process
            current: dict[str, Any] = {}
            if self.path.is_file():
                try:
                    current = json.loads(self.path.read_text(encoding="utf-8"))
                except ValueError:
                    current = {}
            current.update(self._entries)
            live = {k: v for k, v in current.items() if os.path.exists(k)}
            with atomic_write(self.path, "w") as handle:
                json.dump(live, handle, indent=1, sort_keys=True)
            self._dirty = False
        except OSError as exc:  # pragma: no cover - read-only cache folder
            log.debug("could not save hash memo %s: %s", self.path, exc)


def dataset_fingerprint(
    files: list[tuple[str, Path]], parameters: Mapping[str, Any], *, memo: HashMemo | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Fingerprint of a dataset.

    Parameters
    ----------
    files:
        ``(role, path)`` of every input file (see :meth:`Manifest.input_files`).
    parameters:
        JSON-serialisable parameters that change the dataset.
    memo:
        Optional hash memo.

    Returns
    -------
    tuple[str, list[dict]]
        The hex fingerprint and, per input file, ``{"role", "path", "size", "sha256"}``.
    """
    memo = memo or HashMemo(None)
    inputs = []
    for role, path in files:
        inputs.append(
            {"role": role, "path": str(path), "size": Path(path).stat().st_size, "sha256": memo.sha256(path)}
        )
    payload = {
        "cache_format_version": CACHE_FORMAT_VERSION,
        "inputs": [[item["role"], item["sha256"]] for item in inputs],
        "parameters": parameters,
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest(), inputs
