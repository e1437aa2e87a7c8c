"""A tiny simulated world for the interpretation tests: the real grammar (2 cell types), one
6-kb chromosome with planted consensus sites, its truth.json and a fake cache/manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchsuite.simulate.grammar import make_grammar
from benchsuite.simulate.oracle import Oracle, make_oracle_params
from tests.evaluate.conftest import FakeCache, FakeGeometry, FakeSplit

CHUNK, LENGTH, N_CHUNKS = 384, 256, 16
SITE_OFFSET = 100  # a site starts this far into each chunk's central window


@dataclass
class World:
    truth_path: Path
    oracle: Oracle
    cache: FakeCache
    manifest: object
    codes: np.ndarray
    site_rows: list[tuple[int, int, str]]


@dataclass
class TruthManifest:
    name: str
    truth: Path | None
    variants: object = None
    motifs: Path | None = None
    simulator: dict | None = None


def make_world(root: Path, seed: int = 0) -> World:
    rng = np.random.default_rng(seed)
    grammar = make_grammar(2, rng)
    oracle = Oracle(grammar, make_oracle_params(2, rng))
    genome = rng.integers(0, 4, size=CHUNK * N_CHUNKS).astype(np.uint8)
    off = (CHUNK - LENGTH) // 2
    rows = []
    for k in range(N_CHUNKS):
        motif = grammar.motifs[k % len(grammar.motifs)]
        start = k * CHUNK + off + SITE_OFFSET
        genome[start : start + motif.width] = motif.consensus_codes()
        rows.append((start, start + motif.width, motif.name))
    truth = {
        **oracle.to_dict(),
        "sites": {
            "chrom": ["chr8"] * len(rows),
            "start": [r[0] for r in rows],
            "end": [r[1] for r in rows],
            "motif": [r[2] for r in rows],
        },
        "hits": {"chrom": ["chr8"] * len(rows), "position": [(r[0] + r[1]) // 2 for r in rows]},
    }
    root.mkdir(parents=True, exist_ok=True)
    path = root / "truth.json"
    path.write_text(json.dumps(truth), encoding="utf-8")
    starts = np.arange(N_CHUNKS, dtype=np.int64) * CHUNK
    seq = genome[starts[:, None] + np.arange(CHUNK)[None, :]]
    split = FakeSplit(
        seq=seq,
        cov=np.zeros((N_CHUNKS, 2, CHUNK), np.float32),
        cov_rep2=None,
        labels=None,
        coords=np.stack([np.zeros_like(starts), starts], axis=1),
        chroms=("chr8",),
        kind="quantitative",
        split="test",
    )
    geo = FakeGeometry(chunk_length=CHUNK, input_length=LENGTH, bin_sizes=(1, 32), common_bin=32)
    cache = FakeCache(root, "world", {}, tuple(grammar.celltypes), geo, {("quantitative", "test"): split})
    return World(path, oracle, cache, TruthManifest("world", path), genome, rows)
