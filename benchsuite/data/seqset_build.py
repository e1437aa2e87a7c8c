"""The dataset cache of a sequence-set bundle: :func:`prepare_sequence_set`.

Writes the cache layout of :mod:`benchsuite.data.cache`, so the DataModules and the harness
read it unchanged. Every sequence is one row of width ``input_length`` (chunk length = input
length: no random shift; reverse complement still applies):

``binary/{train,valid,test}`` (when the manifest has ``labels:``)
    ``seq`` codes, ``labels`` ``(N, K)`` and, as coverage, the values (see below; ``T`` may be 0).
``quantitative/{train,valid,test}`` (when the manifest has ``values:``)
    ``seq`` codes, ``cov`` ``(N, T, L)``: each sequence's value repeated over its whole window
    (one value per sequence; a model's output bins all see it, and the sequence score, the
    mean over the bins, is compared with it), plus the labels when there are some.
``wholechrom``
    never built: a sequence set has no genome coordinates.

``coords`` rows are ``(row index, 0)`` and ``meta["chroms"]`` lists the sequence ids, so each
sequence is its own bootstrap block (the sequences are independent samples). ``meta.json`` has
``bundle_kind: "sequences"`` (:attr:`benchsuite.data.cache.DatasetCache.bundle_kind`), which the
harness reads to mark genome-only metric families not applicable.

The fingerprint covers the content of the sequence file and the motif database, the targets,
columns, split rule and input length, and the cache format version.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.data.cache import SPLITS, DatasetCache, SplitWriter, open_dataset_cache
from benchsuite.data.fingerprint import CACHE_FORMAT_VERSION, HashMemo, dataset_fingerprint
from benchsuite.data.reuse import reusable_cache
from benchsuite.data.seqset import SequenceSet, load_sequence_set
from benchsuite.data.seqset_manifest import SEQUENCE_SET_KIND, SequenceSetManifest

__all__ = ["prepare_sequence_set", "sequence_set_fingerprint", "NO_VALUES_REASON", "NO_LABELS_REASON"]

log = logging.getLogger(__name__)

#: why a sequence set without values has no quantitative dataset
NO_VALUES_REASON = (
    "sequence-set bundle without `values:` (no quantitative targets): run the binary task only "
    "(`benchsuite run --task binary`)"
)
#: why a sequence set without labels has no binary dataset
NO_LABELS_REASON = (
    "sequence-set bundle without `labels:` (no binary targets): run the quantitative task only "
    "(`benchsuite run --task quantitative`)"
)
_NO_GENOME = "sequence-set bundle: no genome coordinates (no whole-chromosome tiles)"


def _parameters(manifest: SequenceSetManifest) -> dict[str, Any]:
    source = manifest.sequences
    return {
        "bundle_kind": SEQUENCE_SET_KIND,
        "format": source.format,
        "sequence_column": source.sequence_column,
        "id_column": source.id_column,
        "labels": [[t.name, t.column] for t in manifest.labels],
        "values": [[t.name, t.column] for t in manifest.values],
        "split": manifest.split.to_dict(),
        "input_length": manifest.input_length,
        "motif_exclude": None if manifest.motif_exclude is None else list(manifest.motif_exclude),
    }


def sequence_set_fingerprint(
    manifest: SequenceSetManifest, cache_root: Path
) -> tuple[str, list[dict[str, Any]]]:
    """The dataset fingerprint of a sequence set and its input file records (hashes memoised)."""
    memo = HashMemo(cache_root / "file-hashes.json")
    fingerprint, inputs = dataset_fingerprint(manifest.input_files(), _parameters(manifest), memo=memo)
    memo.save()
    return fingerprint, inputs


def _write_kind(folder: Path, data: SequenceSet, kind: str, length: int) -> dict[str, Any]:
    """Write the three splits of one dataset kind; their ``meta.json`` entries."""
    t, k = data.values.shape[1], data.labels.shape[1]
    entries: dict[str, Any] = {}
    for split in SPLITS:
        rows = data.rows(split)
        writer = SplitWriter(
            folder / kind / split, t, length, "float32", rep2=False, labels=k > 0, num_labels=k
        )
        try:
            for start in range(0, rows.size, 4096):
                chunk = rows[start : start + 4096]
                cov = np.repeat(data.values[chunk][:, :, None], length, axis=2)
                coords = np.stack([chunk, np.zeros_like(chunk)], axis=1)
                writer.append(data.codes[chunk], cov, coords, labels=data.labels[chunk] if k else None)
        finally:
            info = writer.close()
        lengths = data.lengths[rows]
        info.update(
            candidates=int(rows.size),
            dropped={},
            cropped=int((lengths > length).sum()),
            padded=int((lengths < length).sum()),
        )
        if k:
            info["positives"] = dict(zip((str(n) for n in range(k)), writer.positives.tolist(), strict=True))
        entries[split] = info
    return entries


def _meta(
    manifest: SequenceSetManifest,
    data: SequenceSet,
    kinds: dict[str, Any],
    *,
    fingerprint: str,
    inputs: list[dict[str, Any]],
    started: float,
) -> dict[str, Any]:
    from benchsuite import __version__

    for entry in kinds.values():
        for info in (entry or {}).values():
            if "positives" in info:
                info["positives"] = {
                    name: info["positives"][str(i)] for i, name in enumerate(manifest.label_target_names)
                }
    unavailable = {"wholechrom": _NO_GENOME}
    if kinds["quantitative"] is None:
        unavailable["quantitative"] = NO_VALUES_REASON
    if kinds["binary"] is None:
        unavailable["binary"] = NO_LABELS_REASON
    return {
        "format_version": CACHE_FORMAT_VERSION,
        "fingerprint": fingerprint,
        "bundle_kind": SEQUENCE_SET_KIND,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(time.perf_counter() - started, 3),
        "manifest": {"path": str(manifest.path), "name": manifest.name},
        "targets": list(manifest.coverage_target_names),
        "label_targets": list(manifest.label_target_names),
        "target_descriptions": {t.name: t.description for t in manifest.targets},
        "binary_negatives": None,
        "geometry": manifest.geometry.to_dict(),
        "split": {s: [] for s in SPLITS},
        "sequence_set": {
            "file": str(manifest.sequences.file),
            "format": manifest.sequences.format,
            "n_sequences": len(data.ids),
            "split": manifest.split.to_dict(),
            "input_length": manifest.input_length,
            "length_rule": "centre crop (offset (n - L) // 2) or N-pad ((L - n) // 2 on the left)",
            "min_length": int(data.lengths.min()),
            "max_length": int(data.lengths.max()),
        },
        "chroms": list(data.ids),
        "chrom_sizes": {},
        "map_chrom_names": False,
        "inputs": inputs,
        "kinds": {**kinds, "wholechrom": None},
        "unavailable": unavailable,
        "benchsuite_version": __version__,
    }


def prepare_sequence_set(
    manifest: SequenceSetManifest, *, cache_root: Path, force: bool = False
) -> DatasetCache:
    """Build (or reuse) the dataset cache of a sequence-set bundle in ``cache_root/<fingerprint>``.

    Parameters
    ----------
    manifest:
        The loaded sequence-set manifest.
    cache_root:
        The cache folder (checked by the caller, :func:`benchsuite.data.prepare.prepare_dataset`).
    force:
        Rebuild even when a cache with the same fingerprint exists.

    Returns
    -------
    DatasetCache
        ``cache.reused`` tells whether it existed already.

    Raises
    ------
    InputFileError
        A malformed sequence file (:func:`benchsuite.data.seqset.load_sequence_set`).
    DatasetError
        A split without sequences.
    """
    from benchsuite.data.meta import write_meta
    from benchsuite.io.atomic import atomic_directory

    started = time.perf_counter()
    fingerprint, inputs = sequence_set_fingerprint(manifest, cache_root)
    target = cache_root / fingerprint
    cache = None if force else reusable_cache(target, fingerprint)
    if cache is not None:
        return cache
    data = load_sequence_set(manifest)
    length = manifest.input_length
    with atomic_directory(target) as tmp:
        kinds: dict[str, Any] = {
            "binary": _write_kind(tmp, data, "binary", length) if manifest.labels else None,
            "quantitative": _write_kind(tmp, data, "quantitative", length) if manifest.values else None,
        }
        write_meta(tmp, _meta(manifest, data, kinds, fingerprint=fingerprint, inputs=inputs, started=started))
    cache = open_dataset_cache(target)
    log.info(
        "built sequence-set cache %s: %d sequences (%s)",
        target,
        len(data.ids),
        ", ".join(f"{s} {data.rows(s).size}" for s in SPLITS),
    )
    return cache
