"""The chromosomes of each split of a bundle: :func:`resolve_split`.

The manifest's split (lists or a table, see :class:`~benchsuite.data.manifest_model.SplitSpec`)
is matched against the genome's chromosome names (``chr8`` vs ``8`` only with
``map_chrom_names``); ``train: null`` means every other genome chromosome minus ``exclude``.

A region split (``test_regions``/``valid_regions`` BED files) puts a chromosome in several
splits: the test and validation chromosomes are those holding regions, the training
chromosomes every genome chromosome minus ``exclude`` (or ``train``), and
:func:`split_regions` gives, per split and chromosome, the intervals its windows must not
touch (the builder drops them, counted as ``other_split``): outside the regions for test and
validation, inside either for training.
"""

from __future__ import annotations

import numpy as np

from benchsuite.data.cache import SPLITS
from benchsuite.data.intervals import Intervals, merge_intervals, overlaps, read_intervals
from benchsuite.data.manifest_model import Manifest
from benchsuite.errors import ManifestError

__all__ = [
    "resolve_split",
    "require_every_split",
    "read_split_regions",
    "split_regions",
    "held_out_spans",
    "Spans",
]

#: merged, sorted (starts, ends) of one chromosome
Spans = tuple[np.ndarray, np.ndarray]


def read_split_regions(manifest: Manifest, genome_sizes: dict[str, int]) -> dict[str, dict[str, Spans]]:
    """The merged test and validation regions per chromosome (``{"test": {chrom: spans}, "valid": ...}``).

    Raises
    ------
    InputFileError
        A region file is unreadable, empty, off the genome or past a chromosome end.
    ManifestError
        A test region overlaps a validation region.
    """
    split = manifest.split
    assert split.test_regions is not None and split.valid_regions is not None
    out: dict[str, dict[str, Spans]] = {}
    for group, path in (("test", split.test_regions), ("valid", split.valid_regions)):
        per_chrom = read_intervals(
            path,
            genome_sizes,
            map_names=manifest.map_chrom_names,
            genome_path=manifest.genome,
            genome_chroms=genome_sizes,
            what=f"split.{group}_regions",
        )
        out[group] = {c: merge_intervals(iv) for c, iv in per_chrom.items() if iv.start.size}
    for chrom, (t0, t1) in out["test"].items():
        if chrom not in out["valid"]:
            continue
        v0, v1 = out["valid"][chrom]
        hit = overlaps(v0, v1, t0, t1)
        if hit.any():
            i = int(np.flatnonzero(hit)[0])
            raise ManifestError(
                f"field 'split': test region {chrom}:{t0[i]}-{t1[i]} ({split.test_regions.name}) overlaps "
                f"a validation region ({split.valid_regions.name})",
                source=manifest.path,
                hint="test and validation regions must be disjoint",
            )
    return out


def _complement(spans: Spans, size: int) -> Spans:
    starts, ends = spans
    gap_starts = np.concatenate([[0], ends]).astype(np.int64)
    gap_ends = np.concatenate([starts, [size]]).astype(np.int64)
    keep = gap_ends > gap_starts
    return gap_starts[keep], gap_ends[keep]


def _union(a: Spans | None, b: Spans | None) -> Spans | None:
    parts = [p for p in (a, b) if p is not None]
    if not parts:
        return None
    s = np.concatenate([p[0] for p in parts])
    e = np.concatenate([p[1] for p in parts])
    order = np.lexsort((e, s))
    return merge_intervals(Intervals(s[order], e[order], s[order]))


def split_regions(
    manifest: Manifest, genome_sizes: dict[str, int]
) -> tuple[dict[tuple[str, str], Spans], dict[str, dict[str, Spans]]] | None:
    """For a region split: the spans each (split, chromosome)'s windows must not touch, and the regions.

    ``None`` for a chromosome split. The first dict maps ``(split, chrom)`` to merged spans:
    the complement of the test (validation) regions for test (validation) windows, the union
    of both for training windows; the second is :func:`read_split_regions`.
    """
    if not manifest.split.by_regions:
        return None
    regions = read_split_regions(manifest, genome_sizes)
    forbidden: dict[tuple[str, str], Spans] = {}
    for group in ("test", "valid"):
        for chrom, spans in regions[group].items():
            forbidden[group, chrom] = _complement(spans, genome_sizes[chrom])
    for chrom in genome_sizes:
        held_out = _union(regions["test"].get(chrom), regions["valid"].get(chrom))
        if held_out is not None:
            forbidden["train", chrom] = held_out
    return forbidden, regions


def resolve_split(manifest: Manifest, genome_sizes: dict[str, int]) -> dict[str, list[str]]:
    """Genome chromosome names of each split, in genome order.

    Parameters
    ----------
    manifest:
        The manifest (its ``split`` and ``map_chrom_names``).
    genome_sizes:
        Genome chromosome -> length, in file order.

    Returns
    -------
    dict[str, list[str]]
        ``{"train": [...], "valid": [...], "test": [...]}``.

    Raises
    ------
    ChromosomeNameError
        If split names are spelled differently from the genome (``chr8`` vs ``8``) and
        ``map_chrom_names`` is false.
    ManifestError
        If a test, validation or explicit training chromosome is not in the genome.
    """
    from benchsuite.io.chroms import reconcile_chrom_names

    split = manifest.split
    if split.by_regions:
        return _resolve_region_split(manifest, genome_sizes)
    requested = [*split.test, *split.valid, *(split.train or ())]
    mapping = reconcile_chrom_names(
        requested,
        genome_sizes,
        reference_source=f"{manifest.path} (split)",
        other_source=manifest.genome,
        map_names=manifest.map_chrom_names,
        allow_missing=True,
    )
    # excluded chromosomes absent from the genome are fine, under any spelling (default: chrY)
    exclude = reconcile_chrom_names(
        split.exclude,
        genome_sizes,
        reference_source=f"{manifest.path} (split.exclude)",
        other_source=manifest.genome,
        map_names=True,
        allow_missing=True,
    )
    resolved: dict[str, list[str]] = {}
    groups = {"test": split.test, "valid": split.valid, "train": split.train}
    for group, names in groups.items():
        if names is None:
            continue
        missing = [n for n in names if n not in mapping]
        if missing:
            shown = ", ".join(list(genome_sizes)[:6])
            raise ManifestError(
                f"field 'split.{group}': chromosome(s) {', '.join(missing[:5])} not in the genome "
                f"{manifest.genome.name}",
                source=manifest.path,
                hint=f"use chromosomes of the genome ({shown}{', ...' if len(genome_sizes) > 6 else ''})",
            )
        resolved[group] = [mapping[n] for n in names]
    if split.train is None:
        taken = {*resolved["test"], *resolved["valid"], *exclude.values()}
        resolved["train"] = [c for c in genome_sizes if c not in taken]
    order = {c: i for i, c in enumerate(genome_sizes)}
    return {g: sorted(resolved[g], key=order.__getitem__) for g in SPLITS}


def held_out_spans(
    split: str,
    chrom: str,
    size: int,
    split_chroms: dict[str, list[str]],
    regions: dict[str, dict[str, Spans]] | None,
) -> Spans | None:
    """For the leakage check: spans of the held-out splits on ``chrom`` that a window of ``split`` must miss.

    Training windows must miss test and validation, validation windows test: the regions of
    a region split, whole chromosomes of a chromosome split. Returns sorted starts and the
    running maximum of the ends (the form :func:`~benchsuite.data.intervals.overlaps` takes),
    or None when nothing is held out on ``chrom``.
    """
    groups = {"train": ("test", "valid"), "valid": ("test",)}.get(split, ())
    parts: list[Spans] = []
    for group in groups:
        if regions is not None:
            if chrom in regions[group]:
                parts.append(regions[group][chrom])
        elif chrom in split_chroms[group]:
            parts.append((np.array([0], dtype=np.int64), np.array([size], dtype=np.int64)))
    if not parts:
        return None
    s = np.concatenate([p[0] for p in parts])
    e = np.concatenate([p[1] for p in parts])
    order = np.argsort(s, kind="stable")
    return s[order], np.maximum.accumulate(e[order])


def _resolve_region_split(manifest: Manifest, genome_sizes: dict[str, int]) -> dict[str, list[str]]:
    from benchsuite.io.chroms import reconcile_chrom_names

    split = manifest.split
    regions = read_split_regions(manifest, genome_sizes)
    exclude = reconcile_chrom_names(
        split.exclude,
        genome_sizes,
        reference_source=f"{manifest.path} (split.exclude)",
        other_source=manifest.genome,
        map_names=True,
        allow_missing=True,
    )
    if split.train is not None:
        mapping = reconcile_chrom_names(
            split.train,
            genome_sizes,
            reference_source=f"{manifest.path} (split)",
            other_source=manifest.genome,
            map_names=manifest.map_chrom_names,
            allow_missing=True,
        )
        missing = [n for n in split.train if n not in mapping]
        if missing:
            raise ManifestError(
                f"field 'split.train': chromosome(s) {', '.join(missing[:5])} not in the genome "
                f"{manifest.genome.name}",
                source=manifest.path,
                hint="use chromosomes of the genome",
            )
        train = {mapping[n] for n in split.train}
    else:
        train = {c for c in genome_sizes if c not in set(exclude.values())}
    groups = {"test": set(regions["test"]), "valid": set(regions["valid"]), "train": train}
    return {g: [c for c in genome_sizes if c in groups[g]] for g in SPLITS}


def require_every_split(manifest: Manifest, split_chroms: dict[str, list[str]]) -> None:
    """Raise a :class:`~benchsuite.errors.ManifestError` when a split has no chromosome left.

    Parameters
    ----------
    manifest:
        The manifest (named in the error).
    split_chroms:
        The result of :func:`resolve_split`.
    """
    empty = [s for s in SPLITS if not split_chroms[s]]
    if empty:
        raise ManifestError(
            f"field 'split': no {empty[0]} chromosome left in the genome",
            source=manifest.path,
            hint="list the split's chromosomes explicitly",
        )
