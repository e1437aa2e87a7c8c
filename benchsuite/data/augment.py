"""Torch datasets over a dataset cache, with the paper's online augmentations.

A :class:`ChunkDataset` serves ``input_length`` windows of the cached chunks:

- *random shift* (training): each sample gets its own random window inside its chunk; the
  targets are cut from the same window;
- *reverse complement* (training): half of the samples, drawn at random, are replaced by
  their reverse complement; their coverage is reversed along the length axis (binary labels
  are unchanged);
- validation and test use the deterministic central window and no augmentation.

Quantitative targets are binned to the model's resolution by the mean over non-overlapping
bins (a reshape to ``(T, L // bin, bin)`` and a mean over the last axis).

Batches are built in one vectorised step: the DataLoader hands the whole list of indices of a
batch to :meth:`ChunkDataset.__getitems__`, which reads the chunks from the memory maps, cuts
every sample's window from a sliding-window view with one index, applies reverse complement on
the integer codes (complement lookup table), one-hot encodes with one comparison per base into
a preallocated array, converts float16 coverage through a 65,536-entry lookup table and bins
with a reshape + sum. Only numpy runs here (no torch kernels, so the main process does not spin
up torch's thread pool). Use :func:`collate_batch` as the DataLoader's ``collate_fn`` (the batch
arrives already collated).

Memory maps are opened lazily in the process that first reads (so DataLoader workers, forked
or spawned, each open their own). Augmentation randomness is derived from the dataset seed
and the batch's indices (which the seeded shuffling sampler changes every epoch), so results
are reproducible and independent of ``num_workers``.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch.utils.data import Dataset

from benchsuite.data.cache import DatasetCache, SplitArrays, open_dataset_cache
from benchsuite.errors import ConfigError

__all__ = ["ChunkDataset", "collate_batch", "bin_mean", "COMPLEMENT_TABLE"]

#: code -> complement code (4 stays 4)
COMPLEMENT_TABLE = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


#: float16 bit pattern -> float32 value (a 256 KiB table; faster than ``astype`` on most CPUs)
_F16_TO_F32 = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


def _to_float32(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.float16:
        return np.take(_F16_TO_F32, values.view(np.uint16))
    return np.asarray(values, dtype=np.float32)


def bin_mean(values: np.ndarray, bin_size: int) -> np.ndarray:
    """Mean over non-overlapping bins of the last axis.

    Parameters
    ----------
    values:
        Array of shape ``(..., L)`` with ``L`` a multiple of ``bin_size``.
    bin_size:
        Bin width.

    Returns
    -------
    numpy.ndarray
        ``float32`` array of shape ``(..., L // bin_size)``.
    """
    values = np.asarray(values, dtype=np.float32)
    if bin_size == 1:
        return values
    length = values.shape[-1]
    if length % bin_size:
        raise ValueError(f"length {length} is not a multiple of bin size {bin_size}")
    binned = values.reshape(*values.shape[:-1], length // bin_size, bin_size)
    out = np.einsum("...kb->...k", binned)  # sum over each bin (fast contiguous reduction)
    out *= np.float32(1.0 / bin_size)
    return out


def collate_batch(batch: Any) -> Any:
    """``collate_fn`` for :class:`ChunkDataset`: batches arrive collated; single samples are stacked."""
    if isinstance(batch, tuple):
        return batch
    xs, ys = zip(*batch, strict=True)
    return torch.stack(xs), torch.stack(ys)


class ChunkDataset(Dataset):
    """Windows of one dataset kind and split of a cache.

    Parameters
    ----------
    cache:
        The dataset cache (or its folder).
    kind:
        ``"quantitative"``, ``"binary"`` or ``"wholechrom"``.
    split:
        ``"train"``, ``"valid"`` or ``"test"``.
    input_length:
        Window length ``L`` (default: the cache geometry's ``input_length``; at most the chunk width).
    target:
        ``"coverage"`` (y: ``(T, L // bin_size)`` float32) or ``"labels"`` (y: ``(T,)`` float32).
    bin_size:
        Output resolution for coverage targets.
    random_shift:
        Random window inside each chunk (else the central window).
    reverse_complement:
        Reverse-complement a random half of the samples.
    seed:
        Seed of the augmentation randomness.
    force_reverse_complement:
        Reverse-complement every sample (for tests and test-time augmentation).
    """

    def __init__(
        self,
        cache: DatasetCache | str | Path,
        kind: str,
        split: str,
        *,
        input_length: int | None = None,
        target: str = "coverage",
        bin_size: int = 1,
        random_shift: bool = False,
        reverse_complement: bool = False,
        seed: int = 0,
        force_reverse_complement: bool = False,
    ):
        self.cache_root = Path(cache.root if isinstance(cache, DatasetCache) else cache)
        cache_obj = cache if isinstance(cache, DatasetCache) else open_dataset_cache(self.cache_root)
        info = cache_obj.meta["kinds"][kind][split] if cache_obj.has(kind, split) else None
        if info is None:
            cache_obj.split(kind, split)  # raises a DatasetError with the reason
        assert info is not None
        self.kind = kind
        self.split = split
        self.width = int(info["width"])
        self.input_length = int(input_length or min(cache_obj.geometry.input_length, self.width))
        if not 1 <= self.input_length <= self.width:
            raise ConfigError(
                f"input_length {self.input_length} must lie in 1..{self.width} "
                f"(the chunk width of {kind}/{split})",
                source="input_length",
            )
        if target not in ("coverage", "labels"):
            raise ValueError(f"target must be 'coverage' or 'labels', got {target!r}")
        if target == "labels" and not info.get("has_labels"):
            raise ConfigError(f"{kind}/{split} has no labels", source="target")
        if bin_size < 1 or self.input_length % bin_size:
            raise ConfigError(
                f"bin size {bin_size} does not divide input_length {self.input_length}",
                source="bin_size",
                hint="choose a bin size that divides the input length",
            )
        self.target = target
        self.bin_size = int(bin_size)
        self.random_shift = bool(random_shift)
        self.reverse_complement = bool(reverse_complement)
        self.force_reverse_complement = bool(force_reverse_complement)
        self.seed = int(seed)
        self.num_targets = cache_obj.num_targets
        self._n = int(info["n"])
        self._cache: DatasetCache | None = cache_obj
        self._arrays: SplitArrays | None = None
        self._targets_axis = np.arange(self.num_targets, dtype=np.int64)

    # ------------------------------------------------------------------ lazy memory maps

    def _get_arrays(self) -> SplitArrays:
        if self._arrays is None:
            if self._cache is None:
                self._cache = open_dataset_cache(self.cache_root)
            self._arrays = self._cache.split(self.kind, self.split)
        return self._arrays

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_arrays"] = None
        state["_cache"] = None
        return state

    # ------------------------------------------------------------------ access

    def __len__(self) -> int:
        return self._n

    @property
    def arrays(self) -> SplitArrays:
        """The memory-mapped arrays (opened on first use)."""
        return self._get_arrays()

    def _rng(self, indices: np.ndarray) -> np.random.Generator:
        digest = zlib.crc32(np.ascontiguousarray(indices, dtype=np.int64).tobytes())
        return np.random.default_rng([self.seed, digest, indices.size])

    def window_offsets(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Window start offsets inside each chunk and reverse-complement flags for a batch.

        Deterministic for a given seed and batch of indices.
        """
        indices = np.asarray(indices, dtype=np.int64)
        n = indices.size
        slack = self.width - self.input_length
        rng = self._rng(indices) if (self.random_shift or self.reverse_complement) else None
        if self.random_shift and slack > 0:
            assert rng is not None
            offsets = rng.integers(0, slack + 1, size=n, dtype=np.int64)
        else:
            offsets = np.full(n, slack // 2, dtype=np.int64)
        if self.force_reverse_complement:
            rc = np.ones(n, dtype=bool)
        elif self.reverse_complement:
            assert rng is not None
            rc = rng.random(n) < 0.5
        else:
            rc = np.zeros(n, dtype=bool)
        return offsets, rc

    def get_batch(self, indices: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Build a batch.

        Parameters
        ----------
        indices:
            Sample indices.

        Returns
        -------
        x, y:
            ``x`` float32 ``(N, 4, L)`` one-hot; ``y`` float32 ``(N, T, L // bin)`` coverage or
            ``(N, T)`` labels.
        """
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        arrays = self._get_arrays()
        if idx.size and (idx.min() < -self._n or idx.max() >= self._n):
            raise IndexError(f"index out of range for {self.kind}/{self.split} of length {self._n}")
        idx = np.where(idx < 0, idx + self._n, idx)
        n, length = idx.size, self.input_length
        offsets, rc = self.window_offsets(idx)
        # read rows in increasing order (sequential on disk), then restore the batch order
        order = np.argsort(idx, kind="stable")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(n)
        sorted_idx = idx[order]
        rows = np.arange(n)
        # each sample's window is a contiguous slice: index a sliding-window view (no per-base gather)
        seq = np.asarray(arrays.seq[sorted_idx])[inverse]  # (n, W)
        codes = sliding_window_view(seq, length, axis=1)[rows, offsets]  # (n, L) copy
        if rc.any():
            codes[rc] = COMPLEMENT_TABLE[codes[rc, ::-1]]
        x = np.empty((n, 4, length), dtype=np.float32)
        for base in range(4):  # one-hot row by row: code 4 (N) gives an all-zero column
            np.equal(codes, base, out=x[:, base, :])
        if self.target == "labels":
            assert arrays.labels is not None
            labels = torch.from_numpy(np.asarray(arrays.labels[sorted_idx], dtype=np.float32)[inverse])
            return torch.from_numpy(x), labels
        cov = np.asarray(arrays.cov[sorted_idx])[inverse]  # (n, T, W), float16 or float32
        windows = sliding_window_view(cov, length, axis=2)
        cov = windows[rows[:, None], self._targets_axis[None, :], offsets[:, None]]  # (n, T, L) copy
        if rc.any():
            cov[rc] = cov[rc][:, :, ::-1]
        # numpy only from here (torch would spin up its intra-op thread pool in the main process)
        y = _to_float32(cov)
        if self.bin_size > 1:
            y = bin_mean(y, self.bin_size)
        return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y))

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.get_batch(indices)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.get_batch([index])
        return x[0], y[0]
