"""The summary of a build: the empty-selection check and the cache's ``meta.json``.

``meta.json`` records the format version, the fingerprint, the manifest, the targets, the
geometry (with the effective coverage threshold), the split, the chromosomes, the input files
with their hashes and, per dataset kind and split, the counts of the build
(:meth:`benchsuite.data.builder.ChunkBuilder.close`). It is written last, so a cache folder
with a ``meta.json`` is complete.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from benchsuite.data.cache import SPLITS
from benchsuite.data.fingerprint import CACHE_FORMAT_VERSION
from benchsuite.data.manifest_model import Geometry, Manifest
from benchsuite.errors import DatasetError

__all__ = ["check_selection", "empty_selection_error", "cache_meta", "write_meta"]


def check_selection(manifest: Manifest, kinds: dict[str, Any], threshold: float) -> None:
    """Raise :func:`empty_selection_error` for the first split without a coverage-threshold chunk."""
    for split in SPLITS:
        info = kinds["quantitative"][split]
        if info["n"] == 0:
            raise empty_selection_error(manifest, split, info, threshold)


def empty_selection_error(
    manifest: Manifest, split: str, info: dict[str, Any], threshold: float
) -> DatasetError:
    """The error for a split whose coverage-threshold selection is empty, with the drop counts."""
    dropped = info["dropped"]
    detail = (
        f"{info['candidates']} candidate chunks: {dropped['excluded']} touch excluded regions, "
        f"{dropped['n_bases']} hold N bases, {dropped['nan']} have missing (NaN) coverage, "
        f"{dropped['below_threshold']} have max coverage <= {threshold:g}"
    )
    best = info.get("max_coverage")
    hint = "lower the coverage threshold with --threshold (or geometry.coverage_threshold in the manifest)"
    if best is not None:
        hint += f"; the highest chunk max coverage in this split is {best:.4g}"
    elif dropped["nan"] and dropped["nan"] == info["candidates"] - dropped["excluded"] - dropped["n_bases"]:
        hint = "every chunk has missing coverage: check that the tracks hold data on these chromosomes"
    return DatasetError(
        f"no {split} chunks pass the coverage threshold {threshold:g} ({detail})",
        source=manifest.path,
        hint=hint,
    )


def cache_meta(
    manifest: Manifest,
    *,
    fingerprint: str,
    started: float,
    geometry: Geometry,
    split_chroms: dict[str, list[str]],
    chroms: list[str],
    chrom_sizes: dict[str, int],
    inputs: list[dict[str, Any]],
    kinds: dict[str, Any],
    unavailable: dict[str, str],
    with_labels: bool,
) -> dict[str, Any]:
    """The content of ``meta.json``.

    Parameters
    ----------
    manifest:
        The bundle's manifest.
    fingerprint:
        The dataset fingerprint.
    started:
        :func:`time.perf_counter` when the build started (for ``seconds``).
    geometry:
        The geometry with the effective coverage threshold.
    split_chroms:
        Genome chromosomes of each split.
    chroms, chrom_sizes:
        The chromosomes in the cache (index of ``coords``) and the genome's chromosome lengths.
    inputs:
        The input file records of the fingerprint.
    kinds:
        The build's per-kind summary; ``binary`` is set to None when ``with_labels`` is false.
    unavailable:
        Kinds not built, with the reason.
    with_labels:
        Whether some target has peaks (binary dataset and labels built).
    """
    from benchsuite import __version__

    if not with_labels:
        kinds["binary"] = None
    return {
        "format_version": CACHE_FORMAT_VERSION,
        "fingerprint": fingerprint,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(time.perf_counter() - started, 3),
        "manifest": {"path": str(manifest.path), "name": manifest.name},
        "targets": list(manifest.coverage_target_names),
        "label_targets": list(manifest.label_target_names) if with_labels else [],
        "target_descriptions": {t.name: t.description for t in manifest.targets},
        "binary_negatives": (
            manifest.binary_negatives.to_dict() if manifest.binary_negatives is not None else None
        ),
        "geometry": geometry.to_dict(),
        "split": split_chroms,
        "chroms": chroms,
        "chrom_sizes": {c: chrom_sizes[c] for c in chroms},
        "map_chrom_names": manifest.map_chrom_names,
        "inputs": inputs,
        "kinds": kinds,
        "unavailable": unavailable,
        "benchsuite_version": __version__,
    }


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``folder/meta.json`` atomically."""
    from benchsuite.io.atomic import atomic_write

    with atomic_write(folder / "meta.json", "w") as handle:
        json.dump(meta, handle, indent=1)
