"""The primer's experiment as a sequence-set bundle: ``benchsuite simulate --profile primer``.

Zou et al. (2019), "A primer on deep learning in genomics": 2,000 random DNA sequences of
50 bp; half of them are "bound" (label 1) and carry the motif ``CGACCGAACTCC`` at a random
position, the others (label 0) do not; a one-convolution CNN learns the label and its
filters recover the motif. :func:`simulate_primer` writes exactly that task as a
``kind: sequences`` bundle (docs/real-data.md, "Sequence sets"):

``sequences.tsv``
    columns ``id``, ``sequence`` (50 bp, uniform i.i.d. bases; a bound sequence has the motif
    at a uniformly drawn offset; an unbound one never holds it on either strand), ``bound``
    (0/1), ``signal`` and ``split``. ``signal`` is a simulated assay read count, Poisson with
    mean 2 (unbound) or 20 (bound), so the quantitative task runs too (value target
    ``bound``, paired with the label by name). The split is the primer's: 500 test sequences
    (25%), then 375 validation (25% of the rest) and 1,125 training, drawn at random; each
    split holds as many bound as unbound sequences (one more unbound in an odd-sized split).
``motifs.meme``
    the planted motif (``PRIMER_MOTIF``: the consensus with probability 0.97 per position)
    plus :data:`~benchsuite.simulate.decoys.N_DECOYS` decoys, so motif recovery can score the
    first-layer filters (the planted motif is the ground truth of ``motifs.recovery_rate``).
``truth.json``
    the motif, the target it is active in (``bound``), the counts and the generator settings.
``manifest.yaml``
    ``input_length: 128``: the 50-bp sequences are centred and padded with N to 128 bp, the
    shortest input every baseline accepts (Basset's pools, Basenji's 128-bp bin).

Everything is a deterministic function of the seed (no file is read); the bundle is written
atomically and its fingerprint recorded in the manifest's ``simulator`` block.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from benchsuite.data.manifest_load import write_manifest
from benchsuite.errors import ConfigError
from benchsuite.io.atomic import atomic_directory, atomic_write
from benchsuite.io.meme import Motif
from benchsuite.io.stale import remove_stale_temporaries

__all__ = [
    "PRIMER_PROFILE",
    "PRIMER_CONSENSUS",
    "PRIMER_MOTIF",
    "PRIMER_N_SEQUENCES",
    "PRIMER_LENGTH",
    "PRIMER_INPUT_LENGTH",
    "primer_motif",
    "reverse_complement",
    "simulate_primer",
]

#: profile name (``benchsuite simulate --profile primer``)
PRIMER_PROFILE = "primer"
#: the primer's planted binding site
PRIMER_CONSENSUS = "CGACCGAACTCC"
#: motif name in ``motifs.meme`` and ``truth.json``
PRIMER_MOTIF = "PRIMER_MOTIF"
#: sequences, and their length (bp)
PRIMER_N_SEQUENCES = 2000
PRIMER_LENGTH = 50
#: model input length the sequences are N-padded to
PRIMER_INPUT_LENGTH = 128
#: sequences per split (the primer: 25% test, then 25% of the rest for validation)
_SPLIT_SIZES = {"train": 1125, "valid": 375, "test": 500}
#: Poisson means of ``signal`` for unbound / bound sequences
_SIGNAL_MEANS = (2.0, 20.0)
_CONSENSUS_P = 0.97
# independent random streams: (seed, stream)
_SEQUENCES, _DECOYS = 1, 2


def primer_motif() -> Motif:
    """The planted motif as a PPM: the consensus base with probability 0.97, 0.01 each other."""
    ppm = np.full((len(PRIMER_CONSENSUS), 4), (1.0 - _CONSENSUS_P) / 3.0)
    for i, base in enumerate(PRIMER_CONSENSUS):
        ppm[i, "ACGT".index(base)] = _CONSENSUS_P
    return Motif(PRIMER_MOTIF, ppm, alt_name="primer_binding_site")


def _has_site(sequence: str) -> bool:
    """Whether ``sequence`` holds the consensus on either strand."""
    return PRIMER_CONSENSUS in sequence or reverse_complement(PRIMER_CONSENSUS) in sequence


def reverse_complement(sequence: str) -> str:
    """Reverse complement of an ACGT string."""
    return sequence[::-1].translate(str.maketrans("ACGT", "TGCA"))


def _sequences(rng: np.random.Generator) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Sequences, labels, motif offsets (-1: none), signal counts and split names."""
    n, half = PRIMER_N_SEQUENCES, PRIMER_N_SEQUENCES // 2
    bound = np.zeros(n, dtype=np.int64)
    split = np.empty(n, dtype=object)
    order = rng.permutation(n)
    # each split gets half bound, half unbound: assign splits within each class
    for label in (0, 1):
        members = order[label * half : (label + 1) * half]
        bound[members] = label
        start = 0
        for name in ("test", "valid", "train"):
            # an odd split size gives its extra sequence to the unbound class
            k = (_SPLIT_SIZES[name] + 1 - label) // 2 if name != "train" else half - start
            split[members[start : start + k]] = name
            start += k
    codes = rng.integers(0, 4, size=(n, PRIMER_LENGTH))
    offsets = np.full(n, -1, dtype=np.int64)
    motif = np.array(["ACGT".index(b) for b in PRIMER_CONSENSUS])
    for i in np.flatnonzero(bound):
        offsets[i] = rng.integers(0, PRIMER_LENGTH - motif.size + 1)
        codes[i, offsets[i] : offsets[i] + motif.size] = motif
    signal = rng.poisson(np.where(bound == 1, _SIGNAL_MEANS[1], _SIGNAL_MEANS[0]))
    text = ["".join("ACGT"[c] for c in row) for row in codes]
    for i in np.flatnonzero(bound == 0):  # a site by chance (p ~ 1e-5 per sequence) is redrawn
        while _has_site(text[i]):
            text[i] = "".join("ACGT"[c] for c in rng.integers(0, 4, size=PRIMER_LENGTH))
    return text, bound, offsets, signal, [str(s) for s in split]


def _manifest(seed: int, fingerprint: str) -> dict:
    from benchsuite import __version__

    return {
        "benchsuite_manifest": 1,
        "kind": "sequences",
        "name": f"sim-primer-seed{seed}",
        "description": (
            f"the primer's experiment (Zou et al. 2019): {PRIMER_N_SEQUENCES} random {PRIMER_LENGTH}-bp "
            f"sequences, the bound half carrying {PRIMER_CONSENSUS}"
        ),
        "sequences": {
            "file": "sequences.tsv",
            "format": "tsv",
            "sequence_column": "sequence",
            "id_column": "id",
        },
        "labels": [{"name": "bound", "column": "bound", "description": f"carries {PRIMER_CONSENSUS}"}],
        "values": [{"name": "bound", "column": "signal", "description": "simulated assay read count"}],
        "split": {"column": "split"},
        "input_length": PRIMER_INPUT_LENGTH,
        "motifs": "motifs.meme",
        "simulator": {
            "profile": PRIMER_PROFILE,
            "seed": seed,
            "version": __version__,
            "fingerprint": fingerprint,
        },
    }


def _truth(seed: int, bound: np.ndarray, offsets: np.ndarray, signal: np.ndarray, decoys: dict) -> dict:
    return {
        "format": ["benchsuite-primer-truth", 1],
        "profile": PRIMER_PROFILE,
        "seed": seed,
        "motifs": [{"name": PRIMER_MOTIF, "consensus": PRIMER_CONSENSUS, "active_in": ["bound"]}],
        "targets": {"bound": {"label_column": "bound", "value_column": "signal", "motifs": [PRIMER_MOTIF]}},
        "n_sequences": int(bound.size),
        "sequence_length": PRIMER_LENGTH,
        "input_length": PRIMER_INPUT_LENGTH,
        "n_bound": int(bound.sum()),
        "splits": dict(_SPLIT_SIZES),
        "signal_means": {"unbound": _SIGNAL_MEANS[0], "bound": _SIGNAL_MEANS[1]},
        "mean_signal": {
            "unbound": float(signal[bound == 0].mean()),
            "bound": float(signal[bound == 1].mean()),
        },
        "motif_offsets": [int(o) for o in offsets],
        "decoys": decoys,
    }


def simulate_primer(out: str | os.PathLike[str], seed: int = 0, *, force: bool = False) -> Path:
    """Write the primer's sequence-set bundle to ``out`` (atomically).

    Parameters
    ----------
    out:
        Output folder; must not exist or be empty unless ``force``.
    seed:
        Random seed (>= 0); same seed and benchsuite version -> identical bundle.
    force:
        Replace a non-empty ``out``.

    Returns
    -------
    pathlib.Path
        The bundle folder.

    Raises
    ------
    ConfigError
        A negative seed, an ``out`` that is a file, or a non-empty ``out`` without ``force``.
    """
    from benchsuite.simulate.bundle import MANIFEST_FILE, _check_out, bundle_fingerprint
    from benchsuite.simulate.decoys import write_motif_database

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"the seed must be a non-negative integer, got {seed!r}", source="--seed")
    seed, out = int(seed), Path(out)
    _check_out(out, force)
    remove_stale_temporaries(out.absolute().parent)
    text, bound, offsets, signal, split = _sequences(np.random.default_rng([seed, _SEQUENCES]))
    with atomic_directory(out) as tmp:
        with atomic_write(tmp / "sequences.tsv", "w", newline="\n") as handle:
            handle.write("id\tsequence\tbound\tsignal\tsplit\n")
            for i, seq in enumerate(text):
                handle.write(f"seq{i:04d}\t{seq}\t{bound[i]}\t{signal[i]}\t{split[i]}\n")
        decoys = write_motif_database(
            tmp / "motifs.meme", [primer_motif()], np.random.default_rng([seed, _DECOYS])
        )
        truth = _truth(seed, bound, offsets, signal, decoys.to_truth())
        with atomic_write(tmp / "truth.json", "w", newline="\n") as handle:
            json.dump(truth, handle, separators=(",", ":"))
            handle.write("\n")
        write_manifest(tmp / MANIFEST_FILE, _manifest(seed, bundle_fingerprint(tmp)))
    return out
