"""Build the on-disk dataset cache of a bundle (paper Methods, "Training data").

:func:`prepare_dataset` reads the genome and every track chromosome by chromosome in
chunk-aligned blocks of a bounded size (a few Mb, fewer bases with many targets) and streams
the selected windows to raw array files, so its peak memory does not grow with the genome
or chromosome size. It builds three dataset kinds:

``quantitative`` (coverage-threshold)
    Every chromosome is cut into non-overlapping ``chunk_length`` chunks (the tail shorter
    than a chunk is left out); a chunk is kept when the max coverage of any target exceeds the
    coverage threshold.
``binary`` (peak-centred)
    The peaks of all label targets (targets with a peak file) are merged Basset-style: peak
    summits (narrowPeak column 10, else the midpoint) are sorted and grouped greedily, each
    group holding the summits within ``input_length / 2`` bp of its first one; a
    ``chunk_length`` window is centred on each group (shifted right where it would overlap the
    previous one, see :func:`merge_peak_windows`), so chunks never overlap and each holds a
    summit in its central ``input_length`` window. The label of target k is 1 when a peak of k
    overlaps that central window. Built when at least one target has a peak file; the labels cover exactly the
    targets with peaks (a target may be label-only, without a coverage track). With the
    manifest's ``binary_negatives``, peak-free chunks of the coverage-threshold grid are added
    as negatives (all labels 0; see :class:`~benchsuite.data.manifest.BinaryNegatives`).
``wholechrom``
    Contiguous ``input_length`` tiles covering the test chromosomes (whole-chromosome metrics).

Windows touching an excluded region (manifest ``excluded`` BED), an N base (code 4) or a
position without coverage (NaN in any coverage target, replicate 2 included for test splits)
are dropped and counted: NaN is missing data, never zero coverage. This holds for every kind,
so peak-centred chunks outside the tracks' data are dropped too (their coverage is used by
the evaluation's task conversion).

The cache is keyed by the dataset fingerprint (:mod:`benchsuite.data.fingerprint`) and built in
a temporary folder renamed into place at the end (:func:`benchsuite.io.atomic.atomic_directory`),
so an interrupted run leaves no cache behind; an existing cache with the same fingerprint is
reused. The temporary folders of builds killed before they could clean up (their owner PID
is gone) are removed when a build starts (:func:`benchsuite.io.stale.remove_stale_temporaries`).
The input tracks and the genome are closed whether the build succeeds or fails.

This module drives the build; the parts live in

- :mod:`benchsuite.data.splits`: :func:`resolve_split` (re-exported here);
- :mod:`benchsuite.data.reuse`: the fingerprint parameters and the reuse of a built cache;
- :mod:`benchsuite.data.inputs`: opening the tracks, reading excluded regions and peaks;
- :mod:`benchsuite.data.builder`: the chunk builder (blocks, filters, labels, writers);
- :mod:`benchsuite.data.windows`: window selection (grid, :func:`merge_peak_windows`,
  re-exported here, negatives, labels);
- :mod:`benchsuite.data.intervals`: BED/narrowPeak intervals;
- :mod:`benchsuite.data.meta`: the empty-selection check and ``meta.json``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchsuite.data.builder import ChunkBuilder
from benchsuite.data.cache import SPLITS, DatasetCache, open_dataset_cache
from benchsuite.data.inputs import BuildInputs, open_inputs
from benchsuite.data.manifest_load import load_manifest
from benchsuite.data.manifest_model import Geometry, Manifest
from benchsuite.data.meta import cache_meta, check_selection, write_meta
from benchsuite.data.reuse import cache_fingerprint, reusable_cache
from benchsuite.data.splits import require_every_split, resolve_split
from benchsuite.data.windows import merge_peak_windows
from benchsuite.errors import ConfigError

__all__ = ["default_cache_dir", "prepare_dataset", "resolve_split", "merge_peak_windows"]

log = logging.getLogger(__name__)

#: coverage bytes (float32, all targets and replicates) read per block
_BLOCK_BYTES = 48 * 1024 * 1024
#: upper bound of a block in bases
_MAX_BLOCK_BP = 4_000_000


def default_cache_dir() -> Path:
    """The dataset cache folder: ``$BENCHSUITE_CACHE`` if set, else ``~/.cache/benchsuite/datasets``."""
    env = os.environ.get("BENCHSUITE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "benchsuite" / "datasets"


def _block_size(geometry: Geometry, num_tracks: int, block_size: int | None) -> int:
    """Bases per block: ``block_size`` rounded up to whole chunks, else a bounded number of bytes."""
    chunk = geometry.chunk_length
    if block_size is not None:
        if block_size < 1:
            raise ConfigError(f"block_size must be positive, got {block_size}", source="block_size")
        return max(chunk, -(-block_size // chunk) * chunk)
    bases = min(_MAX_BLOCK_BP, _BLOCK_BYTES // (4 * max(1, num_tracks)))
    return max(chunk, bases // chunk * chunk)


def _effective_threshold(manifest: Manifest, coverage_threshold: float | None) -> float:
    """The coverage threshold: the override when given (a finite number), else the manifest's."""
    if coverage_threshold is None:
        return manifest.geometry.coverage_threshold
    if isinstance(coverage_threshold, bool) or not isinstance(coverage_threshold, (int, float)):
        raise ConfigError(
            f"coverage threshold must be a number, got {coverage_threshold!r}",
            source="--threshold",
            hint="e.g. --threshold 2",
        )
    if not math.isfinite(coverage_threshold) or coverage_threshold < 0:
        raise ConfigError(
            f"coverage threshold must be finite and >= 0, got {coverage_threshold}",
            source="--threshold",
            hint="coverage is >= 0, so a negative threshold would select every chunk; use 0 or more",
        )
    return float(coverage_threshold)


def prepare_dataset(
    manifest: Manifest | str | Path,
    *,
    cache_dir: str | Path | None = None,
    coverage_threshold: float | None = None,
    force: bool = False,
    progress: bool = True,
    block_size: int | None = None,
) -> DatasetCache:
    """Build (or reuse) the dataset cache of a bundle.

    Parameters
    ----------
    manifest:
        A loaded :class:`~benchsuite.data.manifest.Manifest` (or sequence-set manifest, built by
        :func:`benchsuite.data.seqset_build.prepare_sequence_set`), a manifest file or a bundle folder.
    cache_dir:
        Folder holding caches (default: :func:`default_cache_dir`).
    coverage_threshold:
        Overrides ``geometry.coverage_threshold`` (part of the fingerprint).
    force:
        Rebuild even when a cache with the same fingerprint exists.
    progress:
        Show a rich progress bar.
    block_size:
        Bases read per block (rounded up to a multiple of ``chunk_length``); default: a few Mb,
        fewer with many targets. Does not change the result, only memory and speed.

    Returns
    -------
    DatasetCache
        The cache; ``cache.reused`` tells whether it existed already.

    Raises
    ------
    ConfigError
        ``cache_dir`` (or ``$BENCHSUITE_CACHE``) is a file or lies under one.
    ManifestError
        Bad manifest or split.
    InputFileError
        Unreadable inputs, a track lacking a genome chromosome used by the split (or with a
        different length), intervals past chromosome ends, chromosome-name mismatches
        (:class:`~benchsuite.errors.ChromosomeNameError`) unless ``map_chrom_names``, an
        empty peak file or a peak on a chromosome the genome lacks, a track that is not a
        bigWig, coverage that is negative (unless the target's ``clip_negative``) or infinite.
    DatasetError
        When a coverage-threshold or peak-centred split is empty (the hint names the cause).
    """
    from benchsuite.data.seqset_manifest import SequenceSetManifest
    from benchsuite.io.fasta import open_genome

    if not isinstance(manifest, (Manifest, SequenceSetManifest)):
        manifest = load_manifest(manifest)
    threshold = _effective_threshold(manifest, coverage_threshold)
    geometry = replace(manifest.geometry, coverage_threshold=threshold)
    cache_root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    _check_cache_root(cache_root, cache_dir)
    if isinstance(manifest, SequenceSetManifest):  # kind: sequences (no genome, no coverage threshold)
        from benchsuite.data.seqset_build import prepare_sequence_set

        return prepare_sequence_set(manifest, cache_root=cache_root, force=force)

    genome = open_genome(manifest.genome)
    try:
        split_chroms = resolve_split(manifest, genome.chrom_sizes)
        require_every_split(manifest, split_chroms)
        fingerprint, inputs = cache_fingerprint(manifest, geometry, split_chroms, cache_root)
        target = cache_root / fingerprint
        cache = None if force else reusable_cache(target, fingerprint)
        if cache is not None:
            return cache
        used = _chroms_in_use(genome.chrom_sizes, split_chroms)
        with open_inputs(manifest, used, genome.chrom_sizes) as files:
            log.info("preparing dataset %s -> %s", manifest.name, target)
            seconds = _build(
                manifest,
                genome,
                files,
                geometry,
                split_chroms,
                target,
                fingerprint=fingerprint,
                inputs=inputs,
                block_bases=_block_size(geometry, len(files.tracks) * (2 if files.rep2 else 1), block_size),
                progress=progress,
                total=sum(used.values()),
            )
        cache = open_dataset_cache(target)
        _log_built(cache, seconds)
        return cache
    finally:
        genome.close()


def _check_cache_root(cache_root: Path, cache_dir: str | Path | None) -> None:
    """Refuse a cache folder that is a file; remove the temporary folders of killed builds in it."""
    from benchsuite.io.paths import require_directory
    from benchsuite.io.stale import remove_stale_temporaries

    if cache_dir is not None:
        option = "--cache"
    elif os.environ.get("BENCHSUITE_CACHE"):
        option = "$BENCHSUITE_CACHE"
    else:
        option = "the default cache folder"
    require_directory(cache_root, option=option)
    remove_stale_temporaries(cache_root)


def _chroms_in_use(chrom_sizes: dict[str, int], split_chroms: dict[str, list[str]]) -> dict[str, int]:
    """Chromosome -> length of every chromosome of some split, in genome order."""
    used = {c for s in SPLITS for c in split_chroms[s]}
    return {c: chrom_sizes[c] for c in chrom_sizes if c in used}


def _log_built(cache: DatasetCache, seconds: float) -> None:
    counts = ", ".join(
        f"{k} {s} {cache.count(k, s)}" for k in ("quantitative", "binary") for s in SPLITS if cache.has(k, s)
    )
    log.info("built dataset cache %s in %.1f s: %s", cache.root, seconds, counts)


def _build(
    manifest: Manifest,
    genome: Any,
    files: BuildInputs,
    geometry: Geometry,
    split_chroms: dict[str, list[str]],
    target: Path,
    *,
    fingerprint: str,
    inputs: list[dict[str, Any]],
    block_bases: int,
    progress: bool,
    total: int,
) -> float:
    """Build the cache in a temporary folder renamed to ``target``; returns the seconds it took."""
    from benchsuite.io.atomic import atomic_directory

    started = time.perf_counter()
    with atomic_directory(target) as tmp:
        builder = ChunkBuilder(manifest, genome, files, geometry, split_chroms, tmp, block_bases)
        try:
            _run(builder, manifest.name, total, progress)
        finally:
            kinds = builder.close()
        check_selection(
            manifest,
            kinds,
            geometry.coverage_threshold,
            split_chroms=split_chroms,
            chrom_sizes=genome.chrom_sizes,
            chunk_length=geometry.chunk_length,
        )
        meta = cache_meta(
            manifest,
            fingerprint=fingerprint,
            started=started,
            geometry=geometry,
            split_chroms=split_chroms,
            chroms=builder.chroms,
            chrom_sizes=genome.chrom_sizes,
            inputs=inputs,
            kinds=kinds,
            unavailable=files.unavailable,
            with_labels=files.peaks is not None,
        )
        write_meta(tmp, meta)
    return float(meta["seconds"])


def _run(builder: ChunkBuilder, name: str, total: int, progress: bool) -> None:
    """Run the builder, with a rich progress bar over ``total`` bases when ``progress``."""
    if not progress:
        builder.run()
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]prepare[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(name, total=total)
        builder.run(bar, task)
