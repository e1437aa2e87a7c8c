"""True genome context for benchmark windows: find each window in the bundle's genome, read its flanks.

The harness hands a predictor only the windows' bases (whole-chromosome tiles, per-sequence and
peak-centred chunks, robustness shifts, CAGI5 allele windows), never their coordinates. A
:class:`GenomeLocator` finds a window by its sequence: it indexes the genome's ``k``-mers at
every ``stride``-th position (``k``-mers holding N and ``k``-mers seen more than
``max_repeats`` times are left out), looks up every ``k``-mer of the window (at least one lands on
an indexed position), votes for the window start ``position - offset`` and accepts the
most-voted start when the window and the genome there differ in at most
``max_mismatch_fraction`` of the A/C/G/T positions (a variant window differs in its variant
base). :meth:`GenomeLocator.with_context` then returns, for each window, ``left`` genome bases,
the window's *own* bases (so a variant stays in), and ``right`` genome bases; positions outside
the chromosome, and the flanks of windows that are not in the genome, are N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.io.onehot import N_CODE

__all__ = ["GenomeLocator", "ContextStats", "pad_with_n"]


class ContextStats:
    """Counts of the windows that got genome context (``located``) and those padded with N."""

    def __init__(self) -> None:
        self.located = 0
        self.padded = 0

    def to_dict(self) -> dict[str, int]:
        return {"located": self.located, "padded_with_n": self.padded}


def _kmer_keys(windows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(..., k)`` codes -> uint64 keys (2 bits a base) and whether the k-mer is all A/C/G/T."""
    valid = (windows < 4).all(axis=-1)
    shifts = (2 * np.arange(k - 1, -1, -1)).astype(np.uint64)
    keys = (np.minimum(windows, 3).astype(np.uint64) << shifts).sum(axis=-1, dtype=np.uint64)
    return np.asarray(keys), np.asarray(valid)


class GenomeLocator:
    """Locate windows in a genome by sequence and give them their true context.

    Parameters
    ----------
    genome:
        A :class:`benchsuite.io.fasta.Genome` (``chrom_sizes``, ``fetch_chrom_codes``). The
        chromosomes are read into memory (one byte a base).
    k, stride:
        Seed length and index spacing (windows of at least ``k + stride - 1`` bp are found).
    max_mismatch_fraction:
        Largest fraction of differing A/C/G/T positions accepted.
    max_repeats:
        ``k``-mers occurring more often are not indexed (repeats would flood the votes).
    """

    def __init__(
        self,
        genome: Any,
        *,
        k: int = 24,
        stride: int = 16,
        max_mismatch_fraction: float = 0.05,
        max_repeats: int = 8,
    ) -> None:
        self.k, self.stride, self.max_mismatch_fraction = int(k), int(stride), float(max_mismatch_fraction)
        self.chroms = [str(c) for c in genome.chrom_sizes]
        self.codes = [np.asarray(genome.fetch_chrom_codes(c), dtype=np.uint8) for c in self.chroms]
        keys, chrom, pos = [], [], []
        for i, seq in enumerate(self.codes):
            if len(seq) < self.k:
                continue
            win = np.lib.stride_tricks.sliding_window_view(seq, self.k)[:: self.stride]
            key, valid = _kmer_keys(win, self.k)
            keys.append(key[valid])
            chrom.append(np.full(int(valid.sum()), i, dtype=np.int32))
            pos.append((np.flatnonzero(valid) * self.stride).astype(np.int64))
        all_keys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
        all_chrom = np.concatenate(chrom) if chrom else np.zeros(0, np.int32)
        all_pos = np.concatenate(pos) if pos else np.zeros(0, np.int64)
        order = np.argsort(all_keys, kind="stable")
        all_keys, all_chrom, all_pos = all_keys[order], all_chrom[order], all_pos[order]
        _, counts = np.unique(all_keys, return_counts=True)
        keep = np.repeat(counts <= max_repeats, counts)
        self._keys, self._chrom, self._pos = all_keys[keep], all_chrom[keep], all_pos[keep]

    def locate(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where each window of ``codes`` ``(N, L)`` lies: ``(chrom index, start, found)``."""
        n, length = codes.shape
        chrom = np.full(n, -1, dtype=np.int64)
        start = np.zeros(n, dtype=np.int64)
        found = np.zeros(n, dtype=bool)
        if length < self.k or not len(self._keys):
            return chrom, start, found
        win = np.lib.stride_tricks.sliding_window_view(codes, self.k, axis=1)  # (N, L-k+1, k)
        keys, valid = _kmer_keys(win, self.k)
        lo = np.searchsorted(self._keys, keys, side="left")
        hi = np.searchsorted(self._keys, keys, side="right")
        hit = valid & (hi > lo)
        rows, offs = np.nonzero(hit)
        if not len(rows):
            return chrom, start, found
        counts = (hi - lo)[rows, offs]
        rep_rows = np.repeat(rows, counts)
        rep_offs = np.repeat(offs, counts)
        base = np.repeat(lo[rows, offs] - (np.cumsum(counts) - counts), counts)
        starts_idx = base + np.arange(int(counts.sum()))
        cand_chrom = self._chrom[starts_idx].astype(np.int64)
        cand_start = self._pos[starts_idx] - rep_offs
        combo = np.stack([rep_rows, cand_chrom, cand_start], axis=1)
        uniq, votes = np.unique(combo, axis=0, return_counts=True)
        best = np.lexsort((-votes, uniq[:, 0]))  # per row, most votes first
        uniq = uniq[best]
        first = np.concatenate([[True], uniq[1:, 0] != uniq[:-1, 0]])
        for row, c, s in uniq[first]:
            if self._matches(codes[row], int(c), int(s)):
                chrom[row], start[row], found[row] = c, s, True
        return chrom, start, found

    def _matches(self, window: np.ndarray, chrom: int, start: int) -> bool:
        seq = self.codes[chrom]
        if start < 0 or start + len(window) > len(seq):
            return False
        ref = seq[start : start + len(window)]
        both = (window < 4) & (ref < 4)
        if not both.any():
            return False
        return float((window[both] != ref[both]).mean()) <= self.max_mismatch_fraction

    def flank(self, chrom: int, start: int, end: int) -> np.ndarray:
        """Genome codes of ``[start, end)`` on chromosome ``chrom`` (N outside the chromosome)."""
        out = np.full(end - start, N_CODE, dtype=np.uint8)
        seq = self.codes[chrom]
        a, b = max(start, 0), min(end, len(seq))
        if b > a:
            out[a - start : b - start] = seq[a:b]
        return out

    def with_context(
        self, codes: np.ndarray, left: int, right: int, stats: ContextStats | None = None
    ) -> np.ndarray:
        """``(N, L)`` windows -> ``(N, left + L + right)``: genome flanks around the window's own bases."""
        n, length = codes.shape
        out = np.full((n, left + length + right), N_CODE, dtype=np.uint8)
        out[:, left : left + length] = codes
        chrom, start, found = self.locate(codes)
        for i in np.flatnonzero(found):
            c, s = int(chrom[i]), int(start[i])
            out[i, :left] = self.flank(c, s - left, s)
            out[i, left + length :] = self.flank(c, s + length, s + length + right)
        if stats is not None:
            stats.located += int(found.sum())
            stats.padded += int(n - found.sum())
        return out


def pad_with_n(codes: np.ndarray, left: int, right: int, stats: ContextStats | None = None) -> np.ndarray:
    """``(N, L)`` -> ``(N, left + L + right)`` with N flanks (no genome to read context from)."""
    n, length = codes.shape
    out = np.full((n, left + length + right), N_CODE, dtype=np.uint8)
    out[:, left : left + length] = codes
    if stats is not None:
        stats.padded += n
    return out
