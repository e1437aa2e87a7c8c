"""A CAGI5-like saturation mutagenesis set on held-out simulated elements.

Mirrors the layout of the real CAGI5 files (``../shared/data/cagi5``): ``elements.fa`` holds
one window of ``input_length`` (L) bp centred on each element (header
``>NAME chrom:start-end sim``, 0-based half-open window coordinates in the bundle's
``genome.fa``), and ``variants.tsv`` every single-nucleotide substitution (all three
alternatives per position) of a central region of ~100-300 bp (at most L/2), with the same
columns as the real table::

    element split chrom_hg19 pos_hg19 ref alt value confidence window_offset

(``chrom_hg19``/``pos_hg19`` hold the simulated chromosome and 1-based position; the column
names are kept so that the same loader reads both.)

The elements are planted elements of the test chromosome ``chr8`` (never trained on) whose
window has :func:`context_margin` (``L // 4``) bases of N-free genome on each side, so the
harness's robust windows (the element window shifted by up to ``L // 4``, flanks read from
the bundle genome) hold no N. The *measured* value of a variant is the oracle effect under
the harness's standard protocol on exactly the harness's standard window: the element
window (the central L bases of itself) with the allele substituted, coverage summed over its
central half ``[L//4, L//4 + L//2)`` per target (the harness averages: the same ratio),
averaged over targets, ``log2(alt / ref)``; times a per-element assay scale, plus Gaussian
assay noise. The confidence (0-1) is the posterior probability that the variant has an
effect given ``|value| / noise``. As in CAGI5, about a quarter of the positions (in short
contiguous blocks) form the ``release_train`` split and the rest ``challenge_test``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchsuite.errors import ConfigError
from benchsuite.io.atomic import atomic_write
from benchsuite.io.fasta import write_fasta

from .genome import SimGenome
from .oracle import Oracle
from .profiles import SimProfile

__all__ = [
    "VARIANT_COLUMNS",
    "VariantSet",
    "context_margin",
    "make_variant_set",
    "standard_effect",
    "write_variant_set",
]

#: the columns of the real CAGI5 table, in order
VARIANT_COLUMNS = (
    "element",
    "split",
    "chrom_hg19",
    "pos_hg19",
    "ref",
    "alt",
    "value",
    "confidence",
    "window_offset",
)
_PRIOR_EFFECT = 0.15  # prior probability that a variant has an effect (confidence model)
_EFFECT_SCALE = 3.0  # effect sd / noise sd under the "has an effect" hypothesis


@dataclass
class VariantSet:
    """Simulated variant elements and their variants.

    Attributes
    ----------
    elements:
        One dict per element: ``name, element_id, kind, chrom, start, end, context_start,
        context_end`` (the N-free genome around the window), ``sequence (codes), mut_start,
        mut_end (window offsets), noise_sd, assay_scale``.
    table:
        Column name -> list, in :data:`VARIANT_COLUMNS` order plus ``oracle_effect``.
    """

    elements: list[dict]
    table: dict[str, list]


def standard_effect(
    oracle: Oracle, ref: np.ndarray, alts: np.ndarray, *, batch_size: int = 256
) -> np.ndarray:
    """Oracle variant effects under the harness's standard protocol (the paper's, on the central half).

    Parameters
    ----------
    oracle:
        The oracle.
    ref:
        ``(L,)`` reference window codes.
    alts:
        ``(N, L)`` alternative windows.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` ``log2(alt / ref)`` of the coverage summed over the central half of the
        window, averaged over targets.
    """
    L = ref.shape[0]
    lo, hi = L // 4, L // 4 + L // 2

    def score(codes: np.ndarray) -> np.ndarray:
        out = []
        for i in range(0, codes.shape[0], batch_size):
            cov = oracle.predict_codes(codes[i : i + batch_size])
            out.append(cov[:, :, lo:hi].astype(np.float64).sum(axis=2).mean(axis=1))
        return np.concatenate(out)

    ref_score = score(ref[None])[0]
    return np.log2(score(alts) / ref_score)


def context_margin(input_length: int) -> int:
    """Bases of N-free genome kept on each side of an element window: the robust shift range ``L // 4``."""
    return int(input_length) // 4


def _candidate_windows(
    genome: SimGenome, chrom: str, input_length: int, profile: SimProfile
) -> tuple[np.ndarray, list[int], list[int]]:
    """Element-centred windows of ``chrom``'s planted elements whose genome context is N-free.

    Returns the ``(n, L)`` windows, the element indices and the window starts.
    """
    L, margin = input_length, context_margin(input_length)
    seq = genome.sequences[chrom]
    els = genome.elements
    windows, idxs, starts = [], [], []
    for i, c in enumerate(els["chrom"]):
        if c != chrom:
            continue
        start = (els["start"][i] + els["end"][i]) // 2 - L // 2
        lo, hi = start - margin, start + L + margin
        if lo < 0 or hi > seq.shape[0] or np.any(seq[lo:hi] >= 4):
            continue
        windows.append(seq[start : start + L])
        idxs.append(i)
        starts.append(int(start))
    if not windows:
        raise ConfigError(
            f"no planted element on {chrom} has a {L}-bp window with {margin} bp of genome on each side "
            "without N",
            source=f"profile {profile.name!r}",
            hint=f"make {chrom} longer or the input length shorter",
        )
    return np.stack(windows), idxs, starts


def _assay(effect: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Measured values and confidences of one element: per-element scale, Gaussian assay noise."""
    scale = rng.uniform(0.8, 1.5)
    noise_sd = float(np.std(effect) * scale * rng.uniform(0.45, 0.8) + 0.004)
    value = scale * effect + rng.normal(0.0, noise_sd, size=effect.shape[0])
    z2 = (value / noise_sd) ** 2
    tau2 = _EFFECT_SCALE**2
    log_lr = -0.5 * np.log1p(tau2) + 0.5 * z2 * tau2 / (1.0 + tau2)
    prior_odds = _PRIOR_EFFECT / (1.0 - _PRIOR_EFFECT)
    confidence = 1.0 / (1.0 + np.exp(-(np.log(prior_odds) + np.clip(log_lr, -50, 50))))
    return value, confidence, noise_sd, float(scale)


def _saturation(ref: np.ndarray, mut_start: int, mut_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every substitution of ``ref[mut_start : mut_start + mut_len]``: offsets, alt codes, windows."""
    offsets = np.arange(mut_start, mut_start + mut_len)
    alt_codes = np.array([[b for b in range(4) if b != ref[o]] for o in offsets])  # (P, 3)
    off = np.repeat(offsets, 3)
    alt = alt_codes.reshape(-1).astype(np.uint8)
    alts = np.repeat(ref[None], off.shape[0], axis=0)
    alts[np.arange(off.shape[0]), off] = alt
    return off, alt, alts


def make_variant_set(
    oracle: Oracle, genome: SimGenome, profile: SimProfile, rng: np.random.Generator, *, chrom: str = "chr8"
) -> VariantSet:
    """Pick held-out elements, mutate them and simulate the assay.

    Parameters
    ----------
    oracle:
        The oracle (defines the true effects).
    genome:
        The simulated genome (elements are taken from ``chrom``).
    profile:
        Window length (``input_length``), number of elements and mutated length.
    rng:
        Source of randomness.
    chrom:
        Held-out chromosome.

    Returns
    -------
    VariantSet
    """
    L = profile.input_length
    els = genome.elements
    win, idxs, starts = _candidate_windows(genome, chrom, L, profile)
    cov = oracle.predict_codes(win)
    scores = cov[:, :, L // 4 : L // 4 + L // 2].sum(axis=2).mean(axis=1)
    k = min(profile.n_variant_elements, len(idxs))
    # strong elements, with some variety: draw from the strongest 3k without replacement
    order = np.argsort(-scores, kind="stable")[: max(3 * k, k)]
    chosen = np.sort(rng.choice(order, size=k, replace=False))
    elements: list[dict] = []
    cols: dict[str, list] = {c: [] for c in (*VARIANT_COLUMNS, "oracle_effect")}
    margin = context_margin(L)
    for j, w in enumerate(chosen):
        i, ref, start = idxs[int(w)], win[int(w)], starts[int(w)]
        # the mutated region stays inside the scored central half: no window is moved
        mut_len = min(int(round(profile.mutagenesis_length * rng.uniform(0.6, 1.0))), L // 2)
        mut_start = L // 2 - mut_len // 2
        off, alt, alts = _saturation(ref, mut_start, mut_len)
        effect = standard_effect(oracle, ref, alts)
        value, confidence, noise_sd, scale = _assay(effect, rng)
        # CAGI5-style split: short contiguous blocks of positions go to release_train
        block_len = rng.integers(6, 17, size=mut_len)
        block_id = np.repeat(np.arange(mut_len), block_len)[:mut_len]
        is_train = rng.random(mut_len) < 0.25
        split_pos = np.where(is_train[block_id], "release_train", "challenge_test")
        name = f"SIM{j + 1:02d}"
        for v in range(off.shape[0]):
            o = int(off[v])
            cols["element"].append(name)
            cols["split"].append(str(split_pos[o - mut_start]))
            cols["chrom_hg19"].append(chrom)
            cols["pos_hg19"].append(int(start + o + 1))
            cols["ref"].append("ACGT"[int(ref[o])])
            cols["alt"].append("ACGT"[int(alt[v])])
            cols["value"].append(round(float(value[v]), 3))
            cols["confidence"].append(round(float(confidence[v]), 2))
            cols["window_offset"].append(o)
            cols["oracle_effect"].append(round(float(effect[v]), 6))
        elements.append(
            {
                "name": name,
                "element_id": els["id"][i],
                "kind": els["kind"][i],
                "chrom": chrom,
                "start": int(start),
                "end": int(start + L),
                "context_start": int(start - margin),
                "context_end": int(start + L + margin),
                "sequence": ref,
                "mut_start": int(mut_start),
                "mut_end": int(mut_start + mut_len),
                "noise_sd": round(noise_sd, 6),
                "assay_scale": round(scale, 6),
            }
        )
    return VariantSet(elements, cols)


def write_variant_set(folder: Path, variants: VariantSet) -> tuple[Path, Path]:
    """Write ``elements.fa`` and ``variants.tsv`` into ``folder``.

    Returns
    -------
    (elements.fa, variants.tsv) paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fa = write_fasta(
        folder / "elements.fa",
        ((f"{e['name']} {e['chrom']}:{e['start']}-{e['end']} sim", e["sequence"]) for e in variants.elements),
    )
    tsv = folder / "variants.tsv"
    t = variants.table
    with atomic_write(tsv, "w", newline="\n") as handle:
        handle.write("\t".join(VARIANT_COLUMNS) + "\n")
        for row in zip(*(t[c] for c in VARIANT_COLUMNS), strict=True):
            handle.write("\t".join(str(x) for x in row) + "\n")
    return fa, tsv
