"""The summary of a build: the empty-selection check and the cache's ``meta.json``.

``meta.json`` records the format version, the fingerprint, the manifest, the targets, the
geometry (with the effective coverage threshold), the split, the chromosomes, the input files
with their hashes and, per dataset kind and split, the counts of the build
(:meth:`benchsuite.data.builder.ChunkBuilder.close`). It is written last, so a cache folder
with a ``meta.json`` is complete.

``label_warnings`` lists the label targets whose binary chunks hold a single class in some
split (only positives, e.g. a single label target without ``binary_negatives``, or only
negatives): their AUROC/AUPR are undefined there. Each warning names the fix; they are logged
when the cache is built and printed by ``benchsuite data prepare`` / ``data info``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from benchsuite.data.cache import SPLITS
from benchsuite.data.fingerprint import CACHE_FORMAT_VERSION
from benchsuite.data.manifest_model import Geometry, Manifest
from benchsuite.errors import DatasetError

__all__ = [
    "check_selection",
    "empty_selection_error",
    "empty_binary_error",
    "cache_meta",
    "label_warnings",
    "write_meta",
]

log = logging.getLogger(__name__)

_NEGATIVES_FIX = (
    "add peak-free chunks as negatives with `binary_negatives: {source: coverage-threshold}` "
    "(or `source: genome`) in the manifest"
)


def label_warnings(manifest: Manifest, kinds: dict[str, Any]) -> list[str]:
    """One warning per (label target, split) whose binary chunks hold a single class.

    Parameters
    ----------
    manifest:
        The bundle's manifest (for ``binary_negatives``).
    kinds:
        The build's per-kind summary (``kinds["binary"][split]`` has ``n`` and ``positives``).
    """
    binary = kinds.get("binary") or {}
    warnings: list[str] = []
    for split in SPLITS:
        info = binary.get(split) or {}
        n = int(info.get("n") or 0)
        if not n:
            continue
        for name, positives in (info.get("positives") or {}).items():
            if positives == n:
                fix = _NEGATIVES_FIX
                if manifest.binary_negatives is not None:
                    fix = "raise binary_negatives.fraction or use `source: genome` (no negative survived)"
                warnings.append(
                    f"label target {name!r}: all {n} {split} chunks of the binary dataset are positive, "
                    f"so its AUROC/AUPR are undefined there and training has no negatives (fix: {fix})"
                )
            elif positives == 0:
                warnings.append(
                    f"label target {name!r}: none of the {n} {split} chunks of the binary dataset is "
                    f"positive (no peak of it in the {split} chromosomes), so its AUROC/AUPR are "
                    f"undefined there (fix: choose a split whose {split} chromosomes hold its peaks)"
                )
    return warnings


def check_selection(
    manifest: Manifest,
    kinds: dict[str, Any],
    threshold: float,
    *,
    split_chroms: dict[str, list[str]] | None = None,
    chrom_sizes: dict[str, int] | None = None,
    chunk_length: int | None = None,
) -> None:
    """Raise a :class:`~benchsuite.errors.DatasetError` for the first split without chunks.

    The coverage-threshold (quantitative) splits are checked first
    (:func:`empty_selection_error`), then the peak-centred (binary) ones when they are built
    (:func:`empty_binary_error`). ``split_chroms``, ``chrom_sizes`` and ``chunk_length`` let
    the message name chromosomes too short for one chunk.
    """
    where = _SplitContext(split_chroms or {}, chrom_sizes or {}, chunk_length)
    for split in SPLITS if "quantitative" in kinds else ():
        info = kinds["quantitative"][split]
        if info["n"] == 0:
            raise empty_selection_error(manifest, split, info, threshold, where)
    for split in SPLITS:
        info = (kinds.get("binary") or {}).get(split)
        if info is not None and info["n"] == 0:
            raise empty_binary_error(manifest, split, info, where)


class _SplitContext:
    """The chromosomes of each split and their lengths, for the messages of empty splits."""

    def __init__(self, split_chroms: dict[str, list[str]], sizes: dict[str, int], chunk: int | None):
        self.split_chroms, self.sizes, self.chunk = split_chroms, sizes, chunk

    def chroms(self, split: str) -> str:
        names = self.split_chroms.get(split, [])
        shown = ", ".join(f"{c} ({self.sizes[c]:,} bp)" if c in self.sizes else c for c in names[:4])
        return shown + (f", ... ({len(names)} in all)" if len(names) > 4 else "")


def _detail(info: dict[str, Any], threshold: float | None) -> str:
    dropped = info["dropped"]
    text = (
        f"{info['candidates']} candidate chunks: {dropped['excluded']} touch excluded regions, "
        f"{dropped['n_bases']} hold N bases, {dropped['nan']} have missing (NaN) coverage"
    )
    if threshold is not None:
        text += f", {dropped['below_threshold']} have max coverage <= {threshold:g}"
    return text


def _cause(manifest: Manifest, split: str, info: dict[str, Any], where: _SplitContext) -> str | None:
    """The hint when the split is empty for a reason other than the threshold, else None."""
    dropped = info["dropped"]
    candidates = int(info["candidates"])
    chroms = where.chroms(split) or "(none)"
    if candidates == 0:
        size = f"{where.chunk:,} bp" if where.chunk else "chunk_length"
        return (
            f"no {split} chromosome holds a whole chunk ({size}): {chroms}; put longer chromosomes "
            f"in the {split} split (manifest `split:`) or lower geometry.chunk_length"
        )
    if dropped["excluded"] == candidates:
        return (
            f"every {split} chunk touches an excluded region ({chroms}): check the `excluded:` BED "
            f"({manifest.excluded.name if manifest.excluded else 'excluded regions'}) or the split"
        )
    left = candidates - dropped["excluded"]
    if dropped["n_bases"] == left:
        return (
            f"every {split} chunk not excluded holds N bases: the {split} chromosomes ({chroms}) are "
            f"(nearly) all N in {manifest.genome.name}; put chromosomes with sequence in the {split} "
            "split (manifest `split:`), or use a genome FASTA that is not hard-masked"
        )
    if dropped["nan"] == left - dropped["n_bases"]:
        return (
            f"every {split} chunk has missing coverage or N bases ({chroms}): check that the tracks "
            "hold data on these chromosomes (positions without a bigWig entry are missing, not 0)"
        )
    return None


def empty_selection_error(
    manifest: Manifest,
    split: str,
    info: dict[str, Any],
    threshold: float,
    where: _SplitContext | None = None,
) -> DatasetError:
    """The error for a split whose coverage-threshold selection is empty, with the drop counts.

    The hint names the real cause: chromosomes shorter than a chunk, all chunks excluded, all
    N, all missing coverage; only when chunks were dropped by the threshold does it suggest
    lowering it.
    """
    where = where or _SplitContext({}, {}, None)
    cause = _cause(manifest, split, info, where)
    if cause is not None:
        return DatasetError(
            f"no {split} chunks left ({_detail(info, threshold)})", source=manifest.path, hint=cause
        )
    hint = "lower the coverage threshold with --threshold (or geometry.coverage_threshold in the manifest)"
    best = info.get("max_coverage")
    if best is not None:
        hint += f"; the highest chunk max coverage in this split is {best:.4g}"
    return DatasetError(
        f"no {split} chunks pass the coverage threshold {threshold:g} ({_detail(info, threshold)})",
        source=manifest.path,
        hint=hint,
    )


def empty_binary_error(
    manifest: Manifest, split: str, info: dict[str, Any], where: _SplitContext | None = None
) -> DatasetError:
    """The error for a split without any peak-centred (binary) chunk."""
    where = where or _SplitContext({}, {}, None)
    summits = info.get("peak_summits") or {}
    total = int(summits.get("total", 0))
    peak_files = ", ".join(t.peaks.name for t in manifest.label_targets if t.peaks is not None)
    if total == 0:
        return DatasetError(
            f"no {split} peak-centred (binary) chunks: the peak files ({peak_files}) have no peak on "
            f"the {split} chromosomes ({where.chroms(split) or '(none)'})",
            source=manifest.path,
            hint=f"give peaks on the {split} chromosomes (peaks of the whole genome, not one "
            "chromosome), or change the manifest `split:`",
        )
    cause = _cause(manifest, split, info, where) or (
        "no chunk around a peak is free of excluded regions, N bases and missing coverage"
    )
    return DatasetError(
        f"no {split} peak-centred (binary) chunks: {total} peak summits, {_detail(info, None)}",
        source=manifest.path,
        hint=cause,
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
    warnings = label_warnings(manifest, kinds)
    for warning in warnings:
        log.warning("%s: %s", manifest.name, warning)
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
        "label_warnings": warnings,
        **_split_source(manifest),
        "benchsuite_version": __version__,
    }


def _split_source(manifest: Manifest) -> dict[str, Any]:
    """``peak_call`` (peaks called on tracks) and ``split_regions`` (region split) or
    ``split_fold`` (fold file) entries of meta.json."""
    called = {t.name: t.peak_call.to_dict() for t in manifest.targets if t.peak_call is not None}
    if called:  # peaks called on the tracks (benchsuite.data.peakcall)
        return {"peak_call": called, **_split_source_only(manifest)}
    return _split_source_only(manifest)


def _split_source_only(manifest: Manifest) -> dict[str, Any]:
    split = manifest.split
    if split.test_regions is not None and split.valid_regions is not None:
        return {"split_regions": {"test": split.test_regions.name, "valid": split.valid_regions.name}}
    if split.fold is not None:
        return {"split_fold": split.fold}
    return {}


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``folder/meta.json`` atomically."""
    from benchsuite.io.atomic import atomic_write

    with atomic_write(folder / "meta.json", "w") as handle:
        json.dump(meta, handle, indent=1)
