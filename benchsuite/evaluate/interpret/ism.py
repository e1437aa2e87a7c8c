"""Batched in-silico mutagenesis (ISM): every alternative base at every position of a span.

For each sequence ``i`` and each position ``p`` of its span ``[start[i], start[i] + span)``
the three other bases (four at an ``N``) are substituted one at a time; the mutants of many
sequences are stacked and predicted in large batches, and the reference prediction (given, or
computed once) is subtracted: ``delta[i, t, p, b] = f_t(x with base b at p) - f_t(x)``, 0 at
the reference base.
"""

from __future__ import annotations

import numpy as np

from benchsuite.evaluate.interpret.outputs import CodesScalar

__all__ = ["ism", "ism_magnitude"]


def ism(
    scalar: CodesScalar,
    codes: np.ndarray,
    start: np.ndarray | int,
    span: int,
    *,
    reference: np.ndarray | None = None,
    batch: int = 1024,
) -> np.ndarray:
    """ISM map ``(N, T, span, 4)`` float64 of ``codes (N, L)`` on each sequence's span.

    Parameters
    ----------
    scalar:
        ``codes (n, L) -> (n, T)`` (:func:`~.outputs.codes_scalar`).
    start:
        First position of the span, per sequence or one for all.
    span:
        Positions mutated per sequence.
    reference:
        ``(N, T)`` predictions of the unmutated sequences (computed when None).
    batch:
        Mutants predicted per call of ``scalar``.
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    n, length = codes.shape
    starts = np.broadcast_to(np.asarray(start, dtype=np.int64), (n,))
    if np.any(starts < 0) or np.any(starts + span > length):
        raise ValueError(f"ISM span [start, start + {span}) leaves the window of {length} bp")
    ref = scalar(codes) if reference is None else np.asarray(reference, np.float64)
    seq_i, pos, base = [], [], []
    for i in range(n):
        p = starts[i] + np.arange(span)
        window = codes[i, p]
        for b in range(4):
            keep = window != b
            seq_i.append(np.full(int(keep.sum()), i))
            pos.append(p[keep])
            base.append(np.full(int(keep.sum()), b))
    si, ps, bs = (np.concatenate(a).astype(np.int64) for a in (seq_i, pos, base))
    delta = np.zeros((n, ref.shape[1], span, 4))
    for s in range(0, si.size, batch):
        sel = slice(s, s + batch)
        mutants = codes[si[sel]].copy()
        mutants[np.arange(mutants.shape[0]), ps[sel]] = bs[sel]
        out = scalar(mutants) - ref[si[sel]]
        delta[si[sel], :, ps[sel] - starts[si[sel]], bs[sel]] = out
    return delta


def ism_magnitude(delta: np.ndarray) -> np.ndarray:
    """``(N, T, span)``: mean absolute effect of the three alternative bases at each position."""
    return np.abs(delta).sum(axis=-1) / 3.0
