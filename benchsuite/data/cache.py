"""The on-disk dataset cache: memory-mapped arrays per dataset kind and split.

Layout of ``<cache_dir>/<fingerprint>/``::

    meta.json                      counts, targets, geometry, input files + hashes, positives
    quantitative/{train,valid,test}/   coverage-threshold chunks (chunk_length wide)
    binary/{train,valid,test}/         peak-centred chunks (chunk_length wide), when peaks exist
    wholechrom/test/                   contiguous input_length tiles of the test chromosomes

Each split folder holds raw little-endian arrays (shapes and dtypes in ``meta.json``):
``seq.u8`` (N, W) base codes, ``cov.f16``/``cov.f32`` (N, T, W) replicate-1 coverage,
``cov_rep2.*`` (N, T, W) replicate-2 coverage (test splits, when the manifest has it),
``labels.u8`` (N, K) peak labels (binary splits and the quantitative test split) and
``coords.i64`` (N, 2) chromosome index + start. ``T`` counts the coverage targets
(``meta["targets"]``), ``K`` the label targets (``meta["label_targets"]``, the targets with a
peak file); both lists are equal when every target has a track and peaks. Arrays are written
by appending raw bytes block by block (memory independent of genome size) and read back with
:class:`numpy.memmap`.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from benchsuite.data.fingerprint import CACHE_FORMAT_VERSION
from benchsuite.data.manifest_model import Geometry
from benchsuite.errors import DatasetError

__all__ = ["KINDS", "SPLITS", "DatasetCache", "SplitArrays", "SplitWriter", "open_dataset_cache"]

#: dataset kinds stored in a cache
KINDS = ("quantitative", "binary", "wholechrom")
#: data splits
SPLITS = ("train", "valid", "test")

_DTYPE_SUFFIX = {"uint8": "u8", "float16": "f16", "float32": "f32", "int64": "i64"}


def _file_name(stem: str, dtype: str) -> str:
    return f"{stem}.{_DTYPE_SUFFIX[dtype]}"


@dataclass
class SplitArrays:
    """Arrays of one (kind, split) of a dataset cache, memory-mapped read-only.

    Attributes
    ----------
    seq:
        ``(N, W)`` uint8 base codes; ``W`` is ``chunk_length`` (``input_length`` for wholechrom).
    cov:
        ``(N, T, W)`` replicate-1 coverage (float16 for train/valid, float32 for test).
    cov_rep2:
        ``(N, T, W)`` replicate-2 coverage for test splits when the manifest has it, else None.
    labels:
        ``(N, K)`` uint8 over the label targets (``DatasetCache.label_target_names``): 1 when a
        peak of target k overlaps the chunk's central ``input_length`` window (binary splits and
        the quantitative test split), else None.
    coords:
        ``(N, 2)`` int64: chromosome index into ``chroms`` and chunk start (0-based).
    chroms:
        Chromosome names indexed by ``coords[:, 0]``.
    """

    seq: np.ndarray
    cov: np.ndarray
    cov_rep2: np.ndarray | None
    labels: np.ndarray | None
    coords: np.ndarray
    chroms: tuple[str, ...]
    kind: str = ""
    split: str = ""

    def __len__(self) -> int:
        return int(self.seq.shape[0])

    @property
    def width(self) -> int:
        """Chunk (or tile) width ``W``."""
        return int(self.seq.shape[1])

    def intervals(self) -> list[tuple[str, int, int]]:
        """``(chrom, start, end)`` of every chunk (convenience for reports and tests)."""
        w = self.width
        return [(self.chroms[int(c)], int(s), int(s) + w) for c, s in self.coords]


def _map(path: Path, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if not path.is_file() or path.stat().st_size != expected:
        raise DatasetError(
            f"cache array is missing or has the wrong size (expected {expected} bytes)",
            source=path,
            hint="delete the cache folder and run `benchsuite data prepare` again (or use --force)",
        )
    return np.memmap(path, dtype=dtype, mode="r", shape=shape)


@dataclass
class DatasetCache:
    """A prepared dataset: ``meta.json`` plus memory-mapped arrays per kind and split.

    Attributes
    ----------
    root:
        The cache folder ``<cache_dir>/<fingerprint>``.
    fingerprint:
        The dataset fingerprint (sha256 hex).
    meta:
        Parsed ``meta.json``.
    target_names:
        Coverage target names, in the order of the ``T`` axis of ``cov``.
    geometry:
        Geometry with the effective coverage threshold.
    reused:
        True when :func:`~benchsuite.data.prepare.prepare_dataset` found this cache already built.
    """

    root: Path
    fingerprint: str
    meta: dict[str, Any]
    target_names: tuple[str, ...]
    geometry: Geometry
    reused: bool = False
    _splits: dict[tuple[str, str], SplitArrays] = field(default_factory=dict, repr=False)

    @property
    def bundle_kind(self) -> str:
        """``"genome"`` (tiles of a genome), or ``"sequences"`` (a sequence-set bundle, no genome
        coordinates: :mod:`benchsuite.data.seqset_build`)."""
        return str(self.meta.get("bundle_kind", "genome"))

    @property
    def num_targets(self) -> int:
        """Number of coverage targets ``T``."""
        return len(self.target_names)

    @property
    def label_target_names(self) -> tuple[str, ...]:
        """Label target names, in the order of the ``K`` axis of ``labels`` (targets with peaks).

        Equal to :attr:`target_names` when every target has a track and peaks (caches written
        before label-only targets existed store no separate list).
        """
        names = self.meta.get("label_targets")
        return self.target_names if names is None else tuple(names)

    def task_target_names(self, kind: str) -> tuple[str, ...]:
        """Targets of a task: coverage targets (``"quantitative"``) or label targets (``"binary"``)."""
        if kind == "binary":
            return self.label_target_names
        if kind == "quantitative":
            return self.target_names
        raise ValueError(f"unknown task kind {kind!r} (binary or quantitative)")

    def has(self, kind: str, split: str) -> bool:
        """Whether the cache holds ``(kind, split)``."""
        return split in (self.meta.get("kinds", {}).get(kind) or {})

    def count(self, kind: str, split: str) -> int:
        """Number of chunks of ``(kind, split)`` (0 when absent)."""
        return int(((self.meta.get("kinds", {}).get(kind) or {}).get(split) or {}).get("n", 0))

    def split(self, kind: str, split: str) -> SplitArrays:
        """Memory-map the arrays of one dataset kind and split.

        Parameters
        ----------
        kind:
            ``"quantitative"``, ``"binary"`` or ``"wholechrom"``.
        split:
            ``"train"``, ``"valid"`` or ``"test"`` (wholechrom: ``"test"`` only).

        Returns
        -------
        SplitArrays

        Raises
        ------
        DatasetError
            If the kind/split is unknown or was not built (e.g. binary without peak files).
        """
        key = (kind, split)
        if key in self._splits:
            return self._splits[key]
        if kind not in KINDS or split not in SPLITS:
            raise DatasetError(
                f"unknown dataset {kind}/{split}",
                source=self.root,
                hint=f"kind is one of {', '.join(KINDS)}; split one of {', '.join(SPLITS)}",
            )
        kinds = self.meta.get("kinds", {})
        if kinds.get(kind) is None:
            reason = self.meta.get("unavailable", {}).get(kind, "it was not built")
            raise DatasetError(f"the {kind} dataset is not available: {reason}", source=self.root)
        info = kinds[kind].get(split)
        if info is None:
            raise DatasetError(
                f"the cache has no {kind}/{split} split",
                source=self.root,
                hint="wholechrom exists for the test split only" if kind == "wholechrom" else None,
            )
        folder = self.root / kind / split
        n, width, t = int(info["n"]), int(info["width"]), self.num_targets
        k = int(info.get("num_labels", len(self.label_target_names)))
        cov_dtype = info["cov_dtype"]
        arrays = SplitArrays(
            seq=_map(folder / _file_name("seq", "uint8"), "uint8", (n, width)),
            cov=_map(folder / _file_name("cov", cov_dtype), cov_dtype, (n, t, width)),
            cov_rep2=(
                _map(folder / _file_name("cov_rep2", cov_dtype), cov_dtype, (n, t, width))
                if info.get("has_rep2")
                else None
            ),
            labels=_map(folder / _file_name("labels", "uint8"), "uint8", (n, k))
            if info.get("has_labels")
            else None,
            coords=np.array(_map(folder / _file_name("coords", "int64"), "int64", (n, 2))),
            chroms=tuple(self.meta["chroms"]),
            kind=kind,
            split=split,
        )
        self._splits[key] = arrays
        return arrays

    def close(self) -> None:
        """Drop the memory maps (they close when garbage-collected)."""
        self._splits.clear()

    def __getstate__(self) -> dict[str, Any]:
        # memory maps are re-opened lazily after pickling (e.g. in DataLoader workers)
        state = dict(self.__dict__)
        state["_splits"] = {}
        return state


def open_dataset_cache(path: str | Path) -> DatasetCache:
    """Open a prepared dataset cache folder.

    Parameters
    ----------
    path:
        ``<cache_dir>/<fingerprint>``.

    Returns
    -------
    DatasetCache

    Raises
    ------
    DatasetError
        If the folder holds no complete cache or one of another format version.
    """
    root = Path(path)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise DatasetError(
            "not a dataset cache (no meta.json)",
            source=root,
            hint="build it with `benchsuite data prepare BUNDLE`",
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(
            f"unreadable cache metadata: {exc}", source=meta_path, hint="use --force to rebuild"
        ) from exc
    if meta.get("format_version") != CACHE_FORMAT_VERSION:
        raise DatasetError(
            f"cache format version {meta.get('format_version')} is not {CACHE_FORMAT_VERSION}",
            source=root,
            hint="run `benchsuite data prepare` again to rebuild it",
        )
    g = meta["geometry"]
    geometry = Geometry(
        chunk_length=int(g["chunk_length"]),
        input_length=int(g["input_length"]),
        bin_sizes=tuple(int(b) for b in g["bin_sizes"]),
        common_bin=int(g["common_bin"]),
        coverage_threshold=float(g["coverage_threshold"]),
    )
    return DatasetCache(
        root=root,
        fingerprint=str(meta["fingerprint"]),
        meta=meta,
        target_names=tuple(meta["targets"]),
        geometry=geometry,
    )


class SplitWriter:
    """Streams one (kind, split) to raw array files, block by block.

    Parameters
    ----------
    folder:
        The split folder (created).
    num_targets, width:
        ``T`` (coverage targets) and ``W``.
    cov_dtype:
        ``"float16"`` or ``"float32"``.
    rep2, labels:
        Whether replicate-2 coverage / labels are stored.
    num_labels:
        ``K``, the number of label columns (default ``num_targets``).
    """

    _F16_MAX = float(np.finfo(np.float16).max)

    def __init__(
        self,
        folder: Path,
        num_targets: int,
        width: int,
        cov_dtype: str,
        *,
        rep2: bool,
        labels: bool,
        num_labels: int | None = None,
    ):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.num_targets = num_targets
        self.num_labels = num_targets if num_labels is None else int(num_labels)
        self.width = width
        self.cov_dtype = cov_dtype
        self.rep2 = rep2
        self.labels = labels
        self.n = 0
        self.positives = np.zeros(self.num_labels, dtype=np.int64)
        self.negatives = 0  # rows without any positive label
        self.clipped = 0
        self._stack = contextlib.ExitStack()
        names = {"seq": "uint8", "cov": cov_dtype, "coords": "int64"}
        if rep2:
            names["cov_rep2"] = cov_dtype
        if labels:
            names["labels"] = "uint8"
        self._files: dict[str, BinaryIO] = {
            stem: self._stack.enter_context(open(folder / _file_name(stem, dtype), "wb"))  # noqa: SIM115
            for stem, dtype in names.items()
        }

    def _cov_bytes(self, cov: np.ndarray) -> bytes:
        if self.cov_dtype == "float16":
            over = np.abs(cov) > self._F16_MAX
            if over.any():
                self.clipped += int(over.sum())
                cov = np.clip(cov, -self._F16_MAX, self._F16_MAX)
        return np.ascontiguousarray(cov, dtype=self.cov_dtype).tobytes()

    def append(
        self,
        seq: np.ndarray,
        cov: np.ndarray,
        coords: np.ndarray,
        *,
        cov_rep2: np.ndarray | None = None,
        labels: np.ndarray | None = None,
    ) -> None:
        """Append ``n`` rows: seq (n, W), cov (n, T, W), coords (n, 2), optional rep2 and labels."""
        n = seq.shape[0]
        if n == 0:
            return
        self._files["seq"].write(np.ascontiguousarray(seq, dtype=np.uint8).tobytes())
        self._files["cov"].write(self._cov_bytes(cov))
        self._files["coords"].write(np.ascontiguousarray(coords, dtype=np.int64).tobytes())
        if self.rep2:
            assert cov_rep2 is not None
            self._files["cov_rep2"].write(self._cov_bytes(cov_rep2))
        if self.labels:
            assert labels is not None
            self._files["labels"].write(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
            positive = labels.astype(bool)
            self.positives += positive.sum(axis=0)
            self.negatives += int((~positive.any(axis=1)).sum())
        self.n += n

    def close(self) -> dict[str, Any]:
        """Close the files and return this split's ``meta.json`` entry."""
        self._stack.close()
        return {
            "n": self.n,
            "width": self.width,
            "cov_dtype": self.cov_dtype,
            "has_rep2": self.rep2,
            "has_labels": self.labels,
            **({"num_labels": self.num_labels} if self.labels else {}),
        }
