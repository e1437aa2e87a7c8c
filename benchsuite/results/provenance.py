"""Provenance of a result record: which plugin code and which trained weights produced it.

A record's ``provenance`` object (optional in the schema; records written before it existed are
shown as "unverified" on the board) holds::

    {"plugin": {"name", "distribution", "version", "files_sha256"},
     "weights_sha256": "sha256:<hex>" | null,
     "bundle": "<bundle path the cell was trained on>" | null,
     "trained_by_suite": true}

- :func:`plugin_files_sha256`: ``sha256`` over the sorted ``(relative path, sha256 of the
  bytes)`` of an installed distribution's files (``importlib.metadata`` ``files``), skipping
  ``__pycache__``/``*.pyc`` and the ``RECORD`` file (an editable install lists no sources, so the
  source trees of its top-level packages are added); for a plugin registered in-process without
  a distribution (``load_plugins(extra=[obj])``), :func:`module_files_sha256` of the source
  file of the model's build callable.
- :func:`weights_sha256`: a hash of the tensors of a state dict (or of the ``state_dict`` of a
  checkpoint file) in sorted key order: name, dtype, shape and raw bytes. It does not depend on
  how the file was pickled or when it was written.

Both are lowercase ``"sha256:<64 hex digits>"``. See ``docs/trust.md`` for what they prove.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import InputFileError, PluginError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.manager import RegisteredModel

__all__ = [
    "plugin_files_sha256",
    "module_files_sha256",
    "weights_sha256",
    "plugin_provenance",
    "build_provenance",
]

#: distribution label of plugin objects registered in-process (see benchsuite.plugins.manager)
_DIRECT = "<direct>"
_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _combine(entries: Iterable[tuple[str, str]]) -> str:
    """``sha256`` over sorted ``(relative path, file hash)`` pairs, one ``path\\0hash\\n`` each."""
    digest = hashlib.sha256()
    for rel, file_hash in sorted(entries):
        digest.update(f"{rel}\0{file_hash}\n".encode())
    return "sha256:" + digest.hexdigest()


def _skipped(rel: str) -> bool:
    parts = rel.replace("\\", "/").split("/")
    return "__pycache__" in parts or rel.endswith(".pyc") or parts[-1] == "RECORD"


def _install_location_file(rel: str) -> bool:
    """Files that record *where* a distribution was installed from, not its code: pip's
    ``direct_url.json`` and an editable install's import hooks (``__editable__*``: the ``.pth``
    and the finder module, which hold the absolute path of the source checkout). Hashing them
    would make the same plugin code hash differently in two checkouts."""
    name = rel.replace("\\", "/").split("/")[-1]
    return name == "direct_url.json" or name.startswith("__editable__")


def plugin_files_sha256(distribution: str) -> str:
    """The hash of the installed files of a distribution.

    Parameters
    ----------
    distribution:
        An installed distribution name (e.g. ``benchsuite`` or ``my-models``).

    Returns
    -------
    str
        ``"sha256:<hex>"`` over the sorted (relative path, sha256 of the file's bytes) of the
        files listed in the distribution's metadata, without ``__pycache__``, ``*.pyc``,
        ``RECORD`` and the files that record where it was installed from (``direct_url.json``,
        an editable install's ``__editable__*`` hooks), so the same code hashes the same in any
        checkout. Files listed but absent are hashed as ``"missing"``. For an editable install
        (``pip install -e``; its file list holds only the import hook), the files of its
        top-level packages' source trees are added as ``<package>/<relative path>``.

    Raises
    ------
    PluginError
        The distribution is not installed or lists no files.
    """
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise PluginError(
            f"distribution {distribution!r} is not installed",
            source=f"distribution {distribution}",
            hint="install the plugin distribution that produced the record",
        ) from None
    files = dist.files
    if not files:
        raise PluginError(
            f"distribution {distribution!r} lists no installed files",
            source=f"distribution {distribution}",
            hint="reinstall it with pip so its file list (RECORD) is written",
        )
    entries = []
    for item in files:
        rel = str(item).replace("\\", "/")
        if _skipped(rel) or _install_location_file(rel):
            continue
        path = Path(str(item.locate()))
        entries.append((rel, _file_sha256(path) if path.is_file() else "missing"))
    if _is_editable(dist):
        entries.extend(_editable_sources(dist))
    return _combine(entries)


def _is_editable(dist: importlib.metadata.Distribution) -> bool:
    """An editable install (``pip install -e``): its file list holds no package sources."""
    try:
        text = dist.read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except ValueError:
        info = {}
    return bool((info.get("dir_info") or {}).get("editable"))


def _editable_sources(dist: importlib.metadata.Distribution) -> list[tuple[str, str]]:
    """``(<package>/<relative path>, sha256)`` of the source trees of an editable distribution's
    top-level packages (found by import spec; ``__pycache__`` and ``*.pyc`` skipped)."""
    name = _normalize(dist.metadata["Name"] or "")
    try:
        mapping = importlib.metadata.packages_distributions()
    except Exception:  # noqa: BLE001 - a broken environment only loses the editable sources
        mapping = {}
    tops = sorted(top for top, dists in mapping.items() if name in {_normalize(d) for d in dists})
    entries: list[tuple[str, str]] = []
    for top in tops:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not Path(spec.origin).is_file():
            continue
        origin = Path(spec.origin)
        if origin.name != "__init__.py":  # a single-module distribution
            entries.append((f"{top}/{origin.name}", _file_sha256(origin)))
            continue
        root = origin.parent
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not _skipped(rel):
                entries.append((f"{top}/{rel}", _file_sha256(path)))
    return entries


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def module_files_sha256(files: Iterable[str | Path]) -> str:
    """The hash of source files given directly (plugins registered in-process).

    Each file enters under its base name, so the hash does not depend on where the checkout is.
    """
    return _combine((Path(f).name, _file_sha256(Path(f))) for f in files)


def _source_files(obj: Any) -> list[Path]:
    module = inspect.getmodule(obj)
    if module is None:
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    return [Path(path)] if path and Path(path).is_file() else []


def _state_dict_of(source: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    import torch

    path = Path(source)
    if not path.is_file():
        raise InputFileError("checkpoint not found", source=path, hint="pass the cell's checkpoint.ckpt")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputFileError(
            f"cannot read checkpoint ({type(exc).__name__}: {exc})",
            source=path,
            hint="the file is truncated or not a checkpoint",
        ) from exc
    if isinstance(ckpt, Mapping) and isinstance(ckpt.get("state_dict"), Mapping):
        return ckpt["state_dict"]
    if isinstance(ckpt, Mapping):
        return ckpt
    raise InputFileError(
        "not a checkpoint or state dict", source=path, hint="pass the cell's checkpoint.ckpt"
    )


def weights_sha256(source: Mapping[str, Any] | str | Path) -> str:
    """The hash of trained weights, independent of pickling and timestamps.

    Parameters
    ----------
    source:
        A state dict (name -> tensor), or a checkpoint file whose ``state_dict`` is used (a file
        holding a bare state dict works too).

    Returns
    -------
    str
        ``"sha256:<hex>"`` over, for each tensor in sorted key order: its name, dtype, shape
        and raw little-endian bytes (contiguous, on CPU). Non-tensor entries are skipped.

    Raises
    ------
    InputFileError
        The file is missing or not a checkpoint.
    """
    import torch

    state = _state_dict_of(source)
    digest = hashlib.sha256()
    for name in sorted(state):
        value = state[name]
        if not isinstance(value, torch.Tensor):
            continue
        tensor = value.detach().to("cpu").contiguous()
        shape = ",".join(str(d) for d in tensor.shape)
        digest.update(f"{name}\0{tensor.dtype}\0{shape}\0".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def plugin_provenance(registered: RegisteredModel) -> dict[str, Any]:
    """``{name, distribution, version, files_sha256}`` of the plugin that registered a model.

    An installed distribution is hashed with :func:`plugin_files_sha256`; a plugin registered
    in-process (distribution ``"<direct>"`` or not installed) by the source file of the model's
    build callable (``files_sha256`` is None when no source file can be found).
    """
    files_hash: str | None
    if registered.distribution and registered.distribution != _DIRECT:
        try:
            files_hash = plugin_files_sha256(registered.distribution)
        except PluginError:
            files_hash = None
    else:
        files_hash = None
    if files_hash is None:
        spec = registered.spec
        sources = _source_files(spec.build if spec.build is not None else spec.load)
        files_hash = module_files_sha256(sources) if sources else None
    return {
        "name": registered.plugin,
        "distribution": registered.distribution,
        "version": registered.version,
        "files_sha256": files_hash,
    }


def build_provenance(
    registered: RegisteredModel, *, checkpoint: str | Path | None, bundle: str | None = None
) -> dict[str, Any]:
    """The ``provenance`` object of a record of a model trained by the suite.

    Parameters
    ----------
    registered:
        The model's ``RegisteredModel``.
    checkpoint:
        The cell's ``checkpoint.ckpt`` (None: ``weights_sha256`` is None).
    bundle:
        The bundle path the cell was trained on (from ``train.json``), if known.
    """
    return {
        "plugin": plugin_provenance(registered),
        "weights_sha256": weights_sha256(checkpoint) if checkpoint is not None else None,
        "bundle": bundle,
        "trained_by_suite": True,
    }
