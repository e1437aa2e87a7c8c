"""The chromosomes of each split of a bundle: :func:`resolve_split`.

The manifest's split (lists or a table, see :class:`~benchsuite.data.manifest_model.SplitSpec`)
is matched against the genome's chromosome names (``chr8`` vs ``8`` only with
``map_chrom_names``); ``train: null`` means every other genome chromosome minus ``exclude``.
"""

from __future__ import annotations

from benchsuite.data.cache import SPLITS
from benchsuite.data.manifest_model import Manifest
from benchsuite.errors import ManifestError

__all__ = ["resolve_split", "require_every_split"]


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
