"""Global importance analysis (GIA; Koo et al. 2021, the paper's Methods "GIA").

A pattern's global importance is the mean change of the prediction when it is embedded at a
fixed position in many background sequences: ``GI(P) = mean_n [f(bg_n + P) - f(bg_n)]``. The
backgrounds are dinucleotide-shuffled test sequences (:func:`dinucleotide_shuffle`, our own
seeded Altschul-Erickson shuffle), which keep the local base composition and destroy the motifs.

* :func:`motif_importance`: each motif's consensus at the centre, ``(M, T)``;
* :func:`interaction_curve`: a cooperative pair, A at the centre and B at centre + d (and the
  reverse order), ``I(d) = GI(A + B) - GI(A) - GI(B)`` averaged over both orders, ``(D, T)``;
* :func:`flank_importance`: a motif core with different 2-bp flanks on either side, ``(K, T)``.

Every function predicts all its variants in one call of the scalar (which batches) and reuses
the backgrounds' reference prediction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from benchsuite.evaluate.interpret.outputs import CodesScalar

__all__ = [
    "dinucleotide_shuffle",
    "embed",
    "flank_importance",
    "interaction_curve",
    "make_backgrounds",
    "motif_importance",
]


def dinucleotide_shuffle(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random sequence with exactly the dinucleotide counts (and first/last base) of ``codes``.

    Altschul-Erickson: a random Eulerian walk of the dinucleotide graph, drawn by choosing a
    random last exit edge of every symbol (a spanning arborescence towards the last base, by
    Wilson's loop-erased random walk) and shuffling the other exits.
    """
    seq = np.asarray(codes, dtype=np.uint8)
    if seq.size < 3:
        return seq.copy()
    symbols = np.unique(seq)
    last = int(seq[-1])
    exits: dict[int, list[int]] = {int(s): [] for s in symbols}
    for a, b in zip(seq[:-1].tolist(), seq[1:].tolist(), strict=True):
        exits[a].append(b)
    # arborescence towards `last`: each symbol's last exit, from a loop-erased random walk
    in_tree = {last}
    last_exit: dict[int, int] = {}
    for s in exits:
        u = s
        while u not in in_tree:  # random walk over observed edges until it hits the tree
            last_exit[u] = exits[u][rng.integers(len(exits[u]))]
            u = last_exit[u]
        u = s
        while u not in in_tree:
            in_tree.add(u)
            u = last_exit[u]
    order: dict[int, list[int]] = {}
    for s, outs in exits.items():
        rest = list(outs)
        if s in last_exit:
            rest.remove(last_exit[s])
        perm = rng.permutation(len(rest))
        order[s] = [rest[i] for i in perm] + ([last_exit[s]] if s in last_exit else [])
    out = np.empty_like(seq)
    out[0] = seq[0]
    pointer = dict.fromkeys(order, 0)
    for i in range(1, seq.size):
        a = int(out[i - 1])
        out[i] = order[a][pointer[a]]
        pointer[a] += 1
    return out


def make_backgrounds(codes: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``(n, L)`` dinucleotide-shuffled copies of ``n`` sequences drawn (seeded) from ``codes``."""
    rng = np.random.default_rng(seed)
    codes = np.asarray(codes, dtype=np.uint8)
    pick = rng.choice(codes.shape[0], size=min(n, codes.shape[0]), replace=False)
    return np.stack([dinucleotide_shuffle(codes[i], rng) for i in np.sort(pick)])


def embed(codes: np.ndarray, pattern: np.ndarray, position: int) -> np.ndarray:
    """Copies of ``codes (N, L)`` with ``pattern`` written from ``position`` on."""
    out = np.array(codes, dtype=np.uint8, copy=True)
    out[:, position : position + len(pattern)] = np.asarray(pattern, dtype=np.uint8)
    return out


def _centre(length: int, width: int) -> int:
    return length // 2 - width // 2


def _importance(
    scalar: CodesScalar, bg: np.ndarray, variants: Sequence[Sequence[tuple[np.ndarray, int]]], ref: np.ndarray
) -> np.ndarray:
    """``(V, T)`` mean change of each variant (a list of (pattern, start) embedded together)."""
    stacked = []
    for patterns in variants:
        x = bg
        for pattern, pos in patterns:
            x = embed(x, pattern, pos)
        stacked.append(x)
    n = bg.shape[0]
    pred = scalar(np.concatenate(stacked)).reshape(len(variants), n, -1)
    return (pred - ref[None]).mean(axis=1)


def motif_importance(
    scalar: CodesScalar,
    bg: np.ndarray,
    motifs: Mapping[str, np.ndarray],
    *,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """``(M, T)`` GI of each motif (codes) embedded at the centre of the backgrounds."""
    ref = scalar(bg) if reference is None else reference
    length = bg.shape[1]
    variants = [[(m, _centre(length, len(m)))] for m in motifs.values()]
    return _importance(scalar, bg, variants, ref)


def interaction_curve(
    scalar: CodesScalar,
    bg: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    distances: Sequence[int] | np.ndarray,
    *,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """``(2, D, T)``: ``I(d)`` with A at the centre and B at +d (row 0), and B at the centre and
    A at +d (row 1); ``d`` is the centre-to-centre distance."""
    ref = scalar(bg) if reference is None else reference
    length = bg.shape[1]
    curves = []
    for first, second in ((a, b), (b, a)):
        c1 = _centre(length, len(first))
        centre = c1 + len(first) // 2
        starts = [centre + int(d) - len(second) // 2 for d in distances]
        variants = [[(first, c1)]]
        variants += [[(second, s)] for s in starts]
        variants += [[(first, c1), (second, s)] for s in starts]
        gi = _importance(scalar, bg, variants, ref)
        d = len(starts)
        curves.append(gi[1 + d :] - gi[0][None] - gi[1 : 1 + d])
    return np.stack(curves)


def flank_importance(
    scalar: CodesScalar,
    bg: np.ndarray,
    core: np.ndarray,
    flanks: np.ndarray,
    *,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """``(K, T)`` GI of ``core`` at the centre with each row of ``flanks (K, 4)`` (bases at -2,
    -1, +1, +2 of the core)."""
    ref = scalar(bg) if reference is None else reference
    pos = _centre(bg.shape[1], len(core) + 4)
    variants = [
        [(np.concatenate([f[:2], np.asarray(core, np.uint8), f[2:]]).astype(np.uint8), pos)] for f in flanks
    ]
    return _importance(scalar, bg, variants, ref)
