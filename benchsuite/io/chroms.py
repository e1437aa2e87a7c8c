"""Reconcile chromosome names between two files (``chr1`` vs ``1``, ``chrM`` vs ``MT``).

UCSC-style files name chromosomes ``chr1 ... chrX, chrM``; Ensembl/NCBI-style files name
them ``1 ... X, MT``. Mixing the two silently drops every region, so a mismatch is an error
unless the user opts into mapping (``map_chrom_names: true`` in the manifest or
``--map-chrom-names`` on the command line).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from benchsuite.errors import ChromosomeNameError

__all__ = ["reconcile_chrom_names", "chrom_name_aliases", "MAP_NAMES_HINT"]

MAP_NAMES_HINT = "set map_chrom_names: true in the manifest (or --map-chrom-names)"

_MITO = ("chrM", "MT", "M", "chrMT")


def chrom_name_aliases(name: str) -> list[str]:
    """Other spellings of a chromosome name, most likely first.

    ``chr1`` <-> ``1``; the mitochondrial genome is any of ``chrM``, ``MT``, ``M``, ``chrMT``.

    Parameters
    ----------
    name:
        A chromosome name.

    Returns
    -------
    list[str]
        Alternative names (not including ``name`` itself).
    """
    if name in _MITO:
        return [alias for alias in _MITO if alias != name]
    if name.startswith("chr") and len(name) > 3:
        return [name[3:]]
    return ["chr" + name]


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def reconcile_chrom_names(
    reference: Iterable[str],
    other: Iterable[str],
    *,
    reference_source: str | Path,
    other_source: str | Path,
    map_names: bool = False,
    allow_missing: bool = False,
) -> dict[str, str]:
    """Map the chromosome names of ``reference`` onto those of ``other``.

    Each reference name is looked up in ``other`` exactly, then under its alternative
    spellings (:func:`chrom_name_aliases`).

    Parameters
    ----------
    reference:
        Chromosome names that must be found (e.g. the genome's).
    other:
        Chromosome names of the second file (e.g. a bigWig track's).
    reference_source, other_source:
        The files (or descriptions) the two name sets come from, for messages.
    map_names:
        If False, any name found only under another spelling raises
        :class:`~benchsuite.errors.ChromosomeNameError`; if True, the mapping is returned.
    allow_missing:
        If True, reference names absent from ``other`` under every spelling are left out of
        the mapping instead of being reported (e.g. a BED file need not cover every chromosome).

    Returns
    -------
    dict[str, str]
        Reference name -> name in ``other``, in reference order.

    Raises
    ------
    ChromosomeNameError
        On a naming mismatch (unless ``map_names``) or names missing from ``other`` (unless
        ``allow_missing``); the message names both sources.
    """
    ref_names = list(dict.fromkeys(reference))
    other_set = set(other)
    ref_set = set(ref_names)
    mapping: dict[str, str] = {}
    renamed: list[tuple[str, str]] = []
    missing: list[str] = []
    taken: set[str] = set()
    for name in ref_names:
        if name in other_set:
            mapping[name] = name
            taken.add(name)
    for name in ref_names:
        if name in mapping:
            continue
        for alias in chrom_name_aliases(name):
            # an alias that is itself a reference name (or already used) belongs to that name
            if alias in other_set and alias not in ref_set and alias not in taken:
                mapping[name] = alias
                taken.add(alias)
                renamed.append((name, alias))
                break
        else:
            missing.append(name)
    problems: list[str] = []
    hints: list[str] = []
    if renamed and not map_names:
        pairs = [f"{a!r} vs {b!r}" for a, b in renamed]
        problems.append(
            f"chromosome names differ between {reference_source} and {other_source}: {_preview(pairs)}"
        )
        hints.append(MAP_NAMES_HINT)
    if missing and not allow_missing:
        problems.append(
            f"chromosome(s) of {reference_source} not found in {other_source} under any naming "
            f"(chrN/N, chrM/MT): {_preview(missing)}"
        )
        hints.append(f"use files of the same genome assembly, or give {other_source} the missing chromosomes")
    if problems:
        raise ChromosomeNameError("; ".join(problems), source=other_source, hint="; ".join(hints))
    return {name: mapping[name] for name in ref_names if name in mapping}
