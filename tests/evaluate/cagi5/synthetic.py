"""Synthetic CAGI5 sets, fake predictors and an independent rebuild of the expected windows.

The expected model window of a variant is rebuilt here from strings (element, genome flanks),
independently of ``benchsuite.evaluate.cagi5.windows``: the central ``L`` bases of the element
window (base ``L // 2`` of the input is base ``W // 2`` of the element window), moved only when
the variant lies outside its central half ``[L//4, L//4 + L//2)``, shifted by ``s`` for the
robust protocol, genome flanks beyond the element window, N beyond those.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

BASES = "ACGT"
W_BASE = np.array([0.10, -0.05, 0.05, -0.10])  # per-base log-coverage weights of the fake oracle
ELEMENT_LENGTH = 300
GENOME_FLANK = 1000  # bases of genome before and after each element of write_set's genome


def one_hot(seq: str) -> np.ndarray:
    x = np.zeros((4, len(seq)), dtype=np.float32)
    for i, b in enumerate(seq):
        if b in BASES:
            x[BASES.index(b), i] = 1.0
    return x


def window_start(width: int, offset: int, length: int) -> int:
    """Standard window start (element coordinates): centred, moved to hold the variant in its centre half."""
    start = width // 2 - length // 2
    first, last = start + length // 4, start + length // 4 + length // 2 - 1
    if offset < first:
        start -= first - offset
    elif offset > last:
        start += offset - last
    return start


def expected_window(
    element: str, offset: int, base: str, length: int, shift: int = 0, flanks: tuple[str, str] = ("", "")
) -> str:
    """The model window (string): genome ``flanks`` (left, right) beyond the element, N beyond them."""
    left, right = flanks
    context = left + element + right
    start = window_start(len(element), offset, length) + shift + len(left)
    chars = [context[i] if 0 <= i < len(context) else "N" for i in range(start, start + length)]
    chars[offset + len(left) - start] = base
    return "".join(chars)


def write_set(folder: Path, *, n_elements=2, positions=range(110, 190, 3), seed=0, value_fn=None):
    """Elements of 300 bp and all 3 alternatives at each position; value = value_fn(ref, alt).

    Element ``k`` has the header ``chr{k+1}:{1000(k+1)}-{1000(k+1)+300}``, the coordinates of
    :func:`write_genome`'s genome.
    """
    rng = np.random.default_rng(seed)
    elements = {f"E{k}": "".join(rng.choice(list(BASES), size=ELEMENT_LENGTH)) for k in range(n_elements)}
    fa = folder / "elements.fa"
    with open(fa, "w") as fh:
        for k, (name, seq) in enumerate(elements.items()):
            fh.write(f">{name} chr{k + 1}:{1000 * (k + 1)}-{1000 * (k + 1) + ELEMENT_LENGTH} test\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
    rows = []
    for k, (name, seq) in enumerate(elements.items()):
        for o in positions:
            ref = seq[o]
            for alt in BASES:
                if alt == ref:
                    continue
                value = value_fn(ref, alt) if value_fn else float(rng.normal())
                rows.append(
                    {
                        "element": name,
                        "split": "test",
                        "chrom_hg19": f"chr{k + 1}",
                        "pos_hg19": 1000 * (k + 1) + o + 1,
                        "ref": ref,
                        "alt": alt,
                        "value": value,
                        "confidence": 0.5,
                        "window_offset": o,
                    }
                )
    tsv = folder / "variants.tsv"
    pd.DataFrame(rows).to_csv(tsv, sep="\t", index=False)
    return fa, tsv, elements, pd.DataFrame(rows)


def write_genome(path: Path, elements: dict[str, str], *, seed=1, scramble=False) -> dict:
    """A genome holding write_set's elements at their header coordinates, random bases around them.

    ``chr{k+1}`` is ``1000(k+1)`` random bases, element ``k`` (or, with ``scramble``, random
    bases in its place: "another assembly") and :data:`GENOME_FLANK` random bases. Returns the
    (left, right) flanks of every element.
    """
    rng = np.random.default_rng(seed)
    flanks = {}
    with open(path, "w") as fh:
        for k, (name, seq) in enumerate(elements.items()):
            left = "".join(rng.choice(list(BASES), size=1000 * (k + 1)))
            right = "".join(rng.choice(list(BASES), size=GENOME_FLANK))
            body = "".join(rng.choice(list(BASES), size=len(seq))) if scramble else seq
            flanks[name] = (left, right)
            chrom = left + body + right
            fh.write(f">chr{k + 1}\n")
            for i in range(0, len(chrom), 60):
                fh.write(chrom[i : i + 60] + "\n")
    return flanks


def true_effect(ref: str, alt: str) -> float:
    return float((W_BASE[BASES.index(alt)] - W_BASE[BASES.index(ref)]) / math.log(2))


class OracleLike:
    """Coverage flat along the window, exp(sum of per-base weights): effect = true_effect exactly."""

    kind = "quantitative"

    def __init__(self, input_length=128, bin_size=8, n_targets=2, noise=0.0):
        self.input_length, self.bin_size = input_length, bin_size
        self.target_names = tuple(f"t{i}" for i in range(n_targets))
        self.noise = noise
        self.calls: list[np.ndarray] = []

    def _log_cov(self, x: np.ndarray) -> np.ndarray:
        score = np.einsum("c,ncl->n", W_BASE, x.astype(np.float64))
        if self.noise:
            # a window-specific, deterministic "shift sensitivity": lognormal factor per window
            z = np.array(
                [
                    np.random.default_rng(
                        int.from_bytes(hashlib.blake2b(w.tobytes()).digest()[:8], "little")
                    ).standard_normal()
                    for w in x
                ]
            )
            score = score + self.noise * z
        return score

    def predict(self, x: np.ndarray) -> np.ndarray:
        assert x.dtype == np.float32 and x.shape[1:] == (4, self.input_length)
        self.calls.append(x.copy())
        cov = np.exp(self._log_cov(x))
        nbins = self.input_length // self.bin_size
        scale = np.arange(1, len(self.target_names) + 1, dtype=np.float64)
        return (cov[:, None, None] * scale[None, :, None] * np.ones((1, 1, nbins))).astype(np.float32)


class BinaryLike(OracleLike):
    kind = "binary"

    def __init__(self, input_length=128):
        super().__init__(input_length=input_length, bin_size=input_length)

    def predict(self, x: np.ndarray) -> np.ndarray:
        s = self._log_cov(x)
        return np.stack([4 * s - 0.5, -2 * s + 0.3], axis=1).astype(np.float32)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def seen_windows(predictor: OracleLike) -> list[str]:
    """The windows a recording predictor was given, as strings (N for all-zero columns)."""
    out = []
    for x in np.concatenate(predictor.calls):
        code = np.where(x.sum(axis=0) == 0, 4, x.argmax(axis=0))
        out.append("".join("ACGTN"[c] for c in code))
    return out
