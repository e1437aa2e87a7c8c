"""Helpers and fixtures for the motif-recovery tests (imported by tests/evaluate/test_motifs.py).

A planted-motif world: random PPMs written to a MEME file, random background sequences with
sampled motif instances embedded, and small convolutional models whose first-layer filters can
be set to the motifs' log-odds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from benchsuite.io.meme import Motif, write_meme

N_PLANTED = 8
N_DECOYS = 32
FILTER_WIDTH = 13


def random_motifs(
    rng: np.random.Generator, n: int, prefix: str, *, widths=(8, 12), alpha=0.15
) -> list[Motif]:
    """``n`` random informative motifs (Dirichlet columns) named ``{prefix}{i}``."""
    motifs = []
    for i in range(n):
        w = int(rng.integers(widths[0], widths[1] + 1))
        ppm = rng.dirichlet(np.full(4, alpha), size=w)
        ppm = (ppm + 0.01) / (ppm + 0.01).sum(axis=1, keepdims=True)
        motifs.append(Motif(name=f"{prefix}{i}", ppm=ppm, alt_name=f"TF{prefix}{i}"))
    return motifs


def embed_motifs(
    rng: np.random.Generator, motifs: Sequence[Motif], n_seqs: int, length: int, per_seq: int = 2
) -> np.ndarray:
    """Uniform random background codes ``(n_seqs, length)`` with ``per_seq`` sampled motif instances."""
    codes = rng.integers(0, 4, size=(n_seqs, length), dtype=np.uint8)
    for s in range(n_seqs):
        for _ in range(per_seq):
            motif = motifs[int(rng.integers(len(motifs)))]
            w = motif.width
            start = int(rng.integers(0, length - w))
            cum = motif.ppm.cumsum(axis=1)
            draws = (rng.random(w)[:, None] > cum).sum(axis=1)
            site = np.minimum(draws, 3).astype(np.uint8)
            if rng.random() < 0.5:  # reverse strand
                site = (3 - site)[::-1]
            codes[s, start : start + w] = site
    return codes


class SmallConvNet(torch.nn.Module):
    """Conv1d(4, F, w, 'same') -> ReLU (module ``act``) -> global max pool -> linear."""

    def __init__(self, n_filters: int, width: int = FILTER_WIDTH, n_targets: int = 2):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(4, n_filters, width, padding="same")
        self.act = torch.nn.ReLU()
        self.head = torch.nn.Linear(n_filters, n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv1(x))
        return self.head(h.amax(dim=2))


class DenseNet(torch.nn.Module):
    """No convolution at all: flatten -> linear."""

    def __init__(self, length: int):
        super().__init__()
        self.fc = torch.nn.Linear(4 * length, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


def set_log_odds_filters(conv: torch.nn.Conv1d, motifs: Sequence[Motif]) -> None:
    """Set filter k to the log2-odds (vs uniform) of motif k, left-aligned, zero elsewhere."""
    width = conv.kernel_size[0]
    weight = torch.zeros_like(conv.weight)
    for k, motif in enumerate(motifs):
        lo = np.log2(np.clip(motif.ppm, 1e-3, None) / 0.25)[:width]
        weight[k, :, : lo.shape[0]] = torch.from_numpy(lo.T.astype(np.float32))
    with torch.no_grad():
        conv.weight.copy_(weight)
        conv.bias.zero_()


@dataclass
class PlantedWorld:
    planted: list[Motif]
    decoys: list[Motif]
    database: Path
    codes: np.ndarray


@pytest.fixture(scope="module")
def planted_world(tmp_path_factory: pytest.TempPathFactory) -> PlantedWorld:
    """8 planted motifs + 32 decoys in a MEME file, 400 sequences of 200 bp with planted sites."""
    rng = np.random.default_rng(11)
    planted = random_motifs(rng, N_PLANTED, "PLANT")
    decoys = random_motifs(rng, N_DECOYS, "DECOY")
    folder = tmp_path_factory.mktemp("motifs")
    database = write_meme(folder / "db.meme", planted + decoys)
    codes = embed_motifs(rng, planted, 400, 200, per_seq=2)
    return PlantedWorld(planted=planted, decoys=decoys, database=Path(database), codes=codes)


@dataclass
class LogoData:
    """Logo figure data written by the motif family (``_write_outputs``) for made-up matches."""

    path: Path  # motif_logos.json
    ppms: np.ndarray  # (F, w, 4) every filter's PPM
    matches: list[dict]
    motifs: list[Motif]


def write_logo_data(folder: Path, n_filters: int, unmatched: Sequence[int] = (), seed: int = 0) -> LogoData:
    """Random filters; filter f matches database motif ``f % 3`` with q = a seeded random value,
    except the ``unmatched`` ones (no match at q < 0.05); the logo data written to ``folder``."""
    from benchsuite.evaluate.motifs.filters import FilterPPMs
    from benchsuite.evaluate.motifs.recovery import _write_outputs

    rng = np.random.default_rng(seed)
    motifs = random_motifs(rng, 3, "MA")
    ppms = rng.dirichlet(np.full(4, 0.3), size=(n_filters, 7))
    q = rng.permutation(n_filters) * 1e-4 + 1e-6
    filt = FilterPPMs(ppms=ppms, n_sites=rng.integers(1, 50, n_filters), max_activation=np.ones(n_filters))
    matches = [
        {
            "filter": f,
            "best_motif": motifs[f % 3].name,
            "best_q": 0.5 if f in unmatched else float(q[f]),
            "best_p": 0.1,
            "n_matches": 0 if f in unmatched else 1,
            "n_sites": int(filt.n_sites[f]),
            "decoy": False,
        }
        for f in range(n_filters)
    ]
    path = _write_outputs(folder, filt, matches, motifs, 0.05)
    return LogoData(path=path, ppms=ppms, matches=matches, motifs=motifs)
