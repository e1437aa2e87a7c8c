"""Reading and writing bundle manifests: :func:`find_manifest`, :func:`load_manifest`, :func:`write_manifest`.

:func:`load_manifest` reads the YAML or JSON document, checks the top level (unknown fields,
schema version, required fields) and hands every field to its parser in
:mod:`benchsuite.data.manifest_fields`; the result is a
:class:`~benchsuite.data.manifest_model.Manifest` with absolute paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from benchsuite.data.manifest_fields import (
    Checker,
    parse_binary_negatives,
    parse_geometry,
    parse_motif_exclude,
    parse_split,
    parse_targets,
    parse_variants,
)
from benchsuite.data.manifest_model import MANIFEST_NAMES, MANIFEST_VERSION, Manifest
from benchsuite.errors import ManifestError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.data.seqset_manifest import SequenceSetManifest

__all__ = ["find_manifest", "load_manifest", "write_manifest"]

_TOP_KEYS = {
    "benchsuite_manifest",
    "name",
    "genome",
    "targets",
    "split",
    "excluded",
    "map_chrom_names",
    "variants",
    "motifs",
    "truth",
    "geometry",
    "simulator",
    "description",
    "motif_exclude",
    "binary_negatives",
}


def find_manifest(path_or_bundle_dir: str | Path) -> Path:
    """Locate the manifest file of a bundle.

    Parameters
    ----------
    path_or_bundle_dir:
        A manifest file, or a bundle folder holding ``manifest.yaml``/``.yml``/``.json``.

    Returns
    -------
    pathlib.Path
        The absolute path of the manifest file.

    Raises
    ------
    ManifestError
        If the file or folder does not exist or the folder holds no manifest.
    """
    path = Path(path_or_bundle_dir).expanduser()
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                return (path / name).resolve()
        raise ManifestError(
            f"no manifest found in bundle folder (looked for {', '.join(MANIFEST_NAMES)})",
            source=path,
            hint="point to a bundle folder written by `benchsuite simulate` or to a manifest file",
        )
    if not path.exists():
        raise ManifestError(
            "manifest file or bundle folder does not exist",
            source=path,
            hint="check the path (a bundle folder or its manifest.yaml)",
        )
    return path.resolve()


def _read_document(path: Path) -> Any:
    """The parsed YAML or JSON document of a manifest file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest: {exc}", source=path) from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                source=path,
                hint="fix the JSON syntax",
            ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ManifestError(
            f"invalid YAML{where}: {problem}", source=path, hint="fix the YAML syntax"
        ) from exc


def _top_level(check: Checker, path: Path, document: Any) -> dict[str, Any]:
    """The document as a mapping with known fields, the supported version and the required fields."""
    if document is None:
        raise ManifestError(
            "the manifest is empty", source=path, hint="see docs/ARCHITECTURE.md for the schema"
        )
    data = check.mapping(document, "<top level>")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ManifestError(
            f"unknown top-level field(s) {', '.join(map(repr, unknown))}",
            source=path,
            hint=f"allowed fields: {', '.join(sorted(_TOP_KEYS))}",
        )
    version = data.get("benchsuite_manifest", MANIFEST_VERSION)
    if isinstance(version, bool) or version != MANIFEST_VERSION:
        raise check.fail(
            "benchsuite_manifest",
            f"unsupported manifest version {version!r} (this benchsuite reads version {MANIFEST_VERSION})",
            hint="upgrade benchsuite or rewrite the manifest",
        )
    for required in ("genome", "targets"):
        if required not in data:
            raise check.fail(required, "missing (required)", hint="see docs/ARCHITECTURE.md for the schema")
    return data


def _sequence_set(check: Checker, path: Path, document: Any) -> SequenceSetManifest | None:
    """The sequence-set manifest when the document says ``kind: sequences``, else None.

    ``kind: genome`` (the default) is dropped from the document so the genome parser sees the
    fields it knows.
    """
    if not isinstance(document, dict) or "kind" not in document:
        return None
    kind = document.pop("kind")
    if kind == "genome":
        return None
    from benchsuite.data.seqset_manifest import SEQUENCE_SET_KIND, parse_sequence_set

    if kind != SEQUENCE_SET_KIND:
        raise check.fail("kind", f"unknown bundle kind {kind!r}", hint="genome (the default) or sequences")
    version = document.get("benchsuite_manifest", MANIFEST_VERSION)
    if isinstance(version, bool) or version != MANIFEST_VERSION:
        raise check.fail(
            "benchsuite_manifest",
            f"unsupported manifest version {version!r} (this benchsuite reads version {MANIFEST_VERSION})",
            hint="upgrade benchsuite or rewrite the manifest",
        )
    return parse_sequence_set(path, document)


def load_manifest(path_or_bundle_dir: str | Path) -> Manifest:
    """Read and validate a bundle manifest (YAML or JSON).

    Parameters
    ----------
    path_or_bundle_dir:
        The manifest file, or the bundle folder holding it.

    Returns
    -------
    Manifest
        The validated manifest with absolute paths; for ``kind: sequences`` a
        :class:`~benchsuite.data.seqset_manifest.SequenceSetManifest` (docs/real-data.md,
        "Sequence sets"), which offers the attributes of a Manifest the rest of benchsuite reads.

    Raises
    ------
    ManifestError
        If the manifest is missing or malformed, a field has the wrong type, a key is unknown,
        a named file does not exist, or the geometry is inconsistent. The message names the
        manifest file and the field.
    """
    path = find_manifest(path_or_bundle_dir)
    check = Checker(path)
    document = _read_document(path)
    sequence_set = _sequence_set(check, path, document)
    if sequence_set is not None:
        return sequence_set  # type: ignore[return-value]  # duck-types Manifest (see seqset_manifest)
    data = _top_level(check, path, document)
    # fields are checked in this order: the first problem found is the one reported
    name = check.string(data["name"], "name") if data.get("name") is not None else path.parent.name
    variants = parse_variants(check, data.get("variants"))
    simulator = data.get("simulator")
    if simulator is not None:
        simulator = check.mapping(simulator, "simulator")
    genome = check.file(data["genome"], "genome")
    targets = parse_targets(check, data["targets"])
    negatives = parse_binary_negatives(check, data.get("binary_negatives"), targets)
    return Manifest(
        path=path,
        root=path.parent,
        name=name,
        genome=genome,
        targets=targets,
        split=parse_split(check, data.get("split")),
        excluded=check.optional_file(data, "excluded", "excluded"),
        map_chrom_names=check.boolean(data.get("map_chrom_names", False), "map_chrom_names"),
        variants=variants,
        motifs=check.optional_file(data, "motifs", "motifs"),
        truth=check.optional_file(data, "truth", "truth"),
        geometry=parse_geometry(check, data.get("geometry")),
        simulator=simulator,
        motif_exclude=parse_motif_exclude(check, data.get("motif_exclude")),
        binary_negatives=negatives,
    )


def _plain(value: Any) -> Any:
    """Turn Paths, tuples and numpy scalars into YAML/JSON-friendly values."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    return value


def write_manifest(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write a manifest atomically (YAML, or JSON when ``path`` ends in ``.json``).

    Parameters
    ----------
    path:
        The manifest file, or a bundle folder (then ``manifest.yaml`` inside it).
    data:
        The manifest content (see ``docs/ARCHITECTURE.md``); paths may be :class:`~pathlib.Path`
        objects and are written as strings (keep them relative to the bundle folder).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from benchsuite.io.atomic import atomic_write

    target = Path(path)
    if target.is_dir() or target.suffix.lower() not in (".yaml", ".yml", ".json"):
        target = target / MANIFEST_NAMES[0]
    plain = _plain(dict(data))
    plain.setdefault("benchsuite_manifest", MANIFEST_VERSION)
    # schema version first, for readers skimming the file
    plain = {"benchsuite_manifest": plain.pop("benchsuite_manifest"), **plain}
    with atomic_write(target, "w") as handle:
        if target.suffix.lower() == ".json":
            json.dump(plain, handle, indent=2)
            handle.write("\n")
        else:
            yaml.safe_dump(plain, handle, sort_keys=False, default_flow_style=None, width=110)
    return target
