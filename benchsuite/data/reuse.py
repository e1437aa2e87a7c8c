"""Reuse of an existing dataset cache: the fingerprint of a build and the lookup by it.

A cache is keyed by its dataset fingerprint (:func:`benchsuite.data.fingerprint.dataset_fingerprint`)
over the content of every input file and the parameters of :func:`fingerprint_parameters`;
:func:`reusable_cache` opens the cache of that fingerprint when one is already built.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from benchsuite.data.cache import DatasetCache, open_dataset_cache
from benchsuite.data.fingerprint import HashMemo, dataset_fingerprint
from benchsuite.data.manifest_model import Geometry, Manifest
from benchsuite.errors import DatasetError

__all__ = ["fingerprint_parameters", "cache_fingerprint", "reusable_cache"]

log = logging.getLogger(__name__)


def fingerprint_parameters(
    manifest: Manifest, geometry: Geometry, split_chroms: dict[str, list[str]]
) -> dict[str, Any]:
    """Parameters of the fingerprint.

    Keys beyond the original four are added only when they differ from the default (label
    targets = coverage targets = every target, no negatives, default motif exclusion, no
    ``clip_negative`` target), so a
    bundle whose targets all have tracks and peaks keeps the fingerprint it always had.
    """
    names = list(manifest.target_names)
    params: dict[str, Any] = {
        "geometry": geometry.to_dict(),
        "targets": names,
        "split": split_chroms,
        "map_chrom_names": manifest.map_chrom_names,
    }
    if list(manifest.coverage_target_names) != names:
        params["coverage_targets"] = list(manifest.coverage_target_names)
    if list(manifest.label_target_names) != names:
        params["label_targets"] = list(manifest.label_target_names)
    if manifest.binary_negatives is not None:
        params["binary_negatives"] = manifest.binary_negatives.to_dict()
    if manifest.motif_exclude is not None:
        params["motif_exclude"] = list(manifest.motif_exclude)
    called = {t.name: t.peak_call.to_dict() for t in manifest.targets if t.peak_call is not None}
    if called:  # peaks called on the tracks: the caller and its parameters
        params["peak_call"] = called
    clipped = [t.name for t in manifest.coverage_targets if t.clip_negative]
    if clipped:
        params["clip_negative"] = clipped
    return params


def cache_fingerprint(
    manifest: Manifest, geometry: Geometry, split_chroms: dict[str, list[str]], cache_root: Path
) -> tuple[str, list[dict[str, Any]]]:
    """The dataset fingerprint of a build and its input file records.

    Content hashes are memoised in ``<cache_root>/file-hashes.json``.

    Returns
    -------
    tuple[str, list[dict]]
        The hex fingerprint and, per input file, ``{"role", "path", "size", "sha256"}``.
    """
    memo = HashMemo(cache_root / "file-hashes.json")
    fingerprint, inputs = dataset_fingerprint(
        manifest.input_files(), fingerprint_parameters(manifest, geometry, split_chroms), memo=memo
    )
    memo.save()
    return fingerprint, inputs


def reusable_cache(target: Path, fingerprint: str) -> DatasetCache | None:
    """The cache already built in ``target`` (marked ``reused``), or None.

    A folder without ``meta.json`` is not a cache; an unreadable one is logged and left to be
    rebuilt.
    """
    if not (target / "meta.json").is_file():
        return None
    try:
        cache = open_dataset_cache(target)
    except DatasetError as exc:
        log.warning("rebuilding unreadable dataset cache %s: %s", target, exc)
        return None
    cache.reused = True
    log.info("reusing dataset cache %s (fingerprint %s)", target, fingerprint[:12])
    return cache
