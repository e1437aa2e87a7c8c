"""The architecture document: a small, versioned JSON file describing one searched model.

Layout (``format: benchsuite-architecture``, ``version: 1``)::

    {
      "format": "benchsuite-architecture", "version": 1,
      "name": "amber-3f9c0a1b2d",            # amber-<first 10 hex of the architecture hash>
      "task": "binary", "bin_size": 1,       # bin_size: output resolution (quantitative)
      "space": {"name": "amber-like", "num_layers": 3, "channels": 8, "conv_widths": [7, 15, 19],
                "operations": [...], "dilation": 4, "downsample_every": 2},
      "architecture": {"stem_width": 15, "operations": ["conv7", "maxpool", "dconv7"],
                       "skips": [[], [0], [0, 1]]},
      "training": {"dropout": 0.1, "profile": "smoke", "steps": 12, "lr": 0.003, "batch_size": 64},
      "search": {"architect": "tpe", "seed": 0, "candidates": 8, "steps": 12, "shard": null,
                 "candidate": 5, "metric": "val/auroc", "score": 0.71, "evaluated": 8},
      "bundle": {"name": "sim-smoke-seed0", "fingerprint": "<dataset fingerprint>"},
      "created": "2026-12-01T15:00:00+00:00"
    }

The name is derived from what defines the model (task, bin size, space, architecture,
dropout); :func:`read_document` recomputes it and refuses a document whose name does not
match. Documents are written atomically (:func:`write_document`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchsuite.errors import BenchsuiteError, InputFileError
from benchsuite.io.atomic import atomic_write
from benchsuite.search.space import Architecture, SearchSpace, check_architecture

__all__ = [
    "DOCUMENT_FORMAT",
    "DOCUMENT_VERSION",
    "ArchitectureDocument",
    "architecture_name",
    "read_document",
    "write_document",
]

DOCUMENT_FORMAT = "benchsuite-architecture"
DOCUMENT_VERSION = 1
_REQUIRED = (
    "format",
    "version",
    "name",
    "task",
    "bin_size",
    "space",
    "architecture",
    "training",
    "search",
    "bundle",
)
_TASKS = ("binary", "quantitative")


def architecture_name(
    task: str, bin_size: int, space: SearchSpace, arch: Architecture, dropout: float
) -> str:
    """``amber-<hash>``: the model name of an architecture (a hash of what defines the model)."""
    payload = {
        "task": task,
        "bin_size": int(bin_size),
        "space": space.to_dict(),
        "architecture": arch.to_dict(),
        "dropout": float(dropout),
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return f"amber-{digest[:10]}"


@dataclass(frozen=True)
class ArchitectureDocument:
    """A parsed architecture document (see the module docstring for the fields)."""

    task: str
    bin_size: int
    space: SearchSpace
    architecture: Architecture
    training: Mapping[str, Any]
    search: Mapping[str, Any]
    bundle: Mapping[str, Any]
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    path: Path | None = None

    @property
    def dropout(self) -> float:
        """Dropout after each searched layer (a training setting of the document)."""
        return float(self.training.get("dropout", 0.1))

    @property
    def name(self) -> str:
        """The model name, ``amber-<hash>``."""
        return architecture_name(self.task, self.bin_size, self.space, self.architecture, self.dropout)

    def provenance(self) -> dict[str, Any]:
        """What the search was (architect, space, budget, seed, score, bundle): for records."""
        keys = (
            "architect",
            "seed",
            "candidates",
            "steps",
            "profile",
            "shard",
            "metric",
            "score",
            "candidate",
        )
        search = {k: self.search.get(k) for k in keys if k in self.search}
        return {
            "document": self.name,
            "format_version": DOCUMENT_VERSION,
            "space": self.space.name,
            "bundle_fingerprint": self.bundle.get("fingerprint"),
            **search,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "format": DOCUMENT_FORMAT,
            "version": DOCUMENT_VERSION,
            "name": self.name,
            "task": self.task,
            "bin_size": self.bin_size,
            "space": self.space.to_dict(),
            "architecture": self.architecture.to_dict(),
            "training": dict(self.training),
            "search": dict(self.search),
            "bundle": dict(self.bundle),
            "created": self.created,
        }


def write_document(path: str | Path, document: ArchitectureDocument) -> Path:
    """Write ``document`` atomically as indented JSON; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as fh:
        json.dump(document.to_dict(), fh, indent=2, sort_keys=False)
        fh.write("\n")
    return target


def _fail(path: Path, message: str, hint: str) -> InputFileError:
    return InputFileError(f"architecture document: {message}", source=path, hint=hint)


def _mapping(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = data[key]
    if not isinstance(value, Mapping):
        raise _fail(
            path,
            f"field {key!r} must be an object, got {type(value).__name__}",
            f"write {key} as a JSON object",
        )
    return value


def _architecture(value: Mapping[str, Any], path: Path) -> Architecture:
    try:
        stem = value["stem_width"]
        ops = value["operations"]
        skips = value["skips"]
    except KeyError as exc:
        raise _fail(
            path, f"architecture lacks {exc.args[0]!r}", "give stem_width, operations and skips"
        ) from None
    if isinstance(stem, bool) or not isinstance(stem, int):
        raise _fail(path, f"architecture.stem_width must be an integer, got {stem!r}", "e.g. 15")
    if not isinstance(ops, list) or not all(isinstance(o, str) for o in ops):
        raise _fail(path, "architecture.operations must be a list of strings", 'e.g. ["conv7", "maxpool"]')
    if not isinstance(skips, list) or not all(isinstance(s, list) for s in skips):
        raise _fail(path, "architecture.skips must be a list of lists of node numbers", "e.g. [[], [0]]")
    return Architecture(int(stem), tuple(ops), tuple(tuple(s) for s in skips))


def parse_document(data: Any, path: Path) -> ArchitectureDocument:
    """Validate a loaded JSON value; :class:`InputFileError` naming ``path`` on the first problem."""
    if not isinstance(data, Mapping):
        raise _fail(path, "the file is not a JSON object", "write the document as one JSON object")
    if data.get("format") != DOCUMENT_FORMAT:
        raise _fail(
            path,
            f"format is {data.get('format')!r}, not {DOCUMENT_FORMAT!r}",
            "only documents written by `benchsuite search` belong in the search folder",
        )
    if data.get("version") != DOCUMENT_VERSION:
        raise _fail(
            path,
            f"version {data.get('version')!r} is not supported "
            f"(this benchsuite reads version {DOCUMENT_VERSION})",
            "rewrite the document with this benchsuite's `benchsuite search`, or upgrade benchsuite",
        )
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise _fail(path, f"missing field(s) {', '.join(missing)}", f"a document has {', '.join(_REQUIRED)}")
    task = data["task"]
    if task not in _TASKS:
        raise _fail(
            path, f"task {task!r} is not binary or quantitative", "set task to binary or quantitative"
        )
    bin_size = data["bin_size"]
    if isinstance(bin_size, bool) or not isinstance(bin_size, int) or bin_size < 1:
        raise _fail(path, f"bin_size must be a positive integer, got {bin_size!r}", "e.g. 32")
    try:
        space = SearchSpace.from_dict(_mapping(data, "space", path))
        arch = _architecture(_mapping(data, "architecture", path), path)
        check_architecture(arch, space)
    except InputFileError:
        raise
    except BenchsuiteError as exc:
        raise _fail(path, exc.message, exc.hint or "write it with `benchsuite search`") from None
    doc = ArchitectureDocument(
        task=task,
        bin_size=bin_size,
        space=space,
        architecture=arch,
        training=dict(_mapping(data, "training", path)),
        search=dict(_mapping(data, "search", path)),
        bundle=dict(_mapping(data, "bundle", path)),
        created=str(data.get("created", "")),
        path=path,
    )
    if data["name"] != doc.name:
        raise _fail(
            path,
            f"name {data['name']!r} does not match its architecture (expected {doc.name!r})",
            "the document was edited by hand: set name to the expected value or rerun the search",
        )
    return doc


def read_document(path: str | Path) -> ArchitectureDocument:
    """Read and validate an architecture document.

    Raises
    ------
    InputFileError
        Unreadable file, invalid JSON, wrong format or version, a missing or bad field, or a
        name that does not match the architecture; the message names the file.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(source, f"cannot read the file ({exc.strerror})", "check the path") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _fail(source, f"invalid JSON ({exc})", "fix the JSON syntax or rerun the search") from None
    return parse_document(data, source)
