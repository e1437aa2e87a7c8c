"""The simulated genome: Markov background with GC domains, N gaps and planted elements.

- **Background**: an order-3 Markov chain with human-like composition (A/T rich, CpG
  depleted, poly-A/T runs), tilted towards a target GC content that varies along each
  chromosome in isochore-like *GC domains*. The chain is sampled in parallel over many short
  segments (a loop over the position within a segment, vectorised over all segments), so no
  Python loop ever runs per base.
- **Simple repeats**: a sprinkle of microsatellites (tandem copies of a 1-6 bp unit).
- **Regulatory elements**: combinations of motif sites drawn from the grammar's PPMs, of
  several kinds (cell-type-specific clusters, AP-1 elements, primer-motif elements,
  cooperative pairs at their preferred spacing, CTCF sites, promoter-like NF-Y/SP
  elements), at one element every few kb; flanks of motifs with a flank effect mostly take
  the preferred bases.
- **N gaps**: runs of ``N`` at some chromosome ends (telomere-like), a centromere-like gap in
  most chromosomes and a few small internal gaps; they are unmappable regions (``NaN`` in
  tracks, listed in ``excluded.bed``).

Chance motif matches come for free from the background. Everything is a deterministic
function of the generator state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .grammar import Grammar
from .profiles import SimProfile

__all__ = ["SimGenome", "make_genome", "MarkovBackground"]

_GC_LEVELS = np.round(np.linspace(0.30, 0.62, 17), 3)
_SEGMENT = 512  # bases per parallel Markov segment

#: element kinds and their frequencies
_KINDS = (
    ("specific", 0.34),
    ("ap1", 0.17),
    ("primer", 0.10),
    ("coop", 0.17),
    ("ctcf", 0.09),
    ("promoter", 0.08),
    ("single", 0.05),
)
_SPECIFIC = ("GATA", "ETS", "CEBP", "RUNX", "FOX")


class MarkovBackground:
    """Order-3 Markov model of background DNA with a tunable GC content.

    Parameters
    ----------
    rng:
        Source of randomness for the transition table.
    """

    order = 3

    def __init__(self, rng: np.random.Generator):
        base = np.array([0.295, 0.205, 0.205, 0.295])
        # dinucleotide observed/expected ratios of the human genome (rows: previous base):
        # CpG depleted, TpA depleted, CpA/TpG enriched (CpG deamination), ApA/TpT enriched
        dinuc = np.array(
            [
                [1.15, 0.85, 1.15, 0.80],  # A -> A C G T
                [1.25, 1.20, 0.22, 1.15],  # C -> ...
                [1.00, 1.00, 1.20, 0.80],  # G -> ...
                [0.72, 1.10, 1.25, 1.15],  # T -> ...
            ]
        )
        table = np.zeros((64, 4))
        for ctx in range(64):
            b1, b2, b3 = ctx // 16, (ctx // 4) % 4, ctx % 4
            p = base * dinuc[b3]
            if b1 == b2 == b3 and b3 in (0, 3):  # poly-A / poly-T runs
                p[b3] *= 1.4
            p = p / p.sum()
            table[ctx] = rng.dirichlet(300.0 * p)
        self.table = table
        self.levels = _GC_LEVELS
        self.tilted = np.stack([self._tilt(g) for g in self.levels])  # (levels, 64, 4)
        self.cumulative = np.cumsum(self.tilted, axis=-1)
        self.stationary = np.stack([self._stationary(t) for t in self.tilted])  # (levels, 64)

    @staticmethod
    def _stationary(table: np.ndarray) -> np.ndarray:
        """Stationary distribution of the 64 contexts."""
        trans = np.zeros((64, 64))
        ctx = np.repeat(np.arange(64), 4)
        nxt = (ctx * 4 + np.tile(np.arange(4), 64)) % 64
        np.add.at(trans, (ctx, nxt), table.reshape(-1))
        # solve pi (T - I) = 0 with sum(pi) = 1
        a = np.vstack([(trans - np.eye(64)).T, np.ones(64)])
        rhs = np.zeros(65)
        rhs[-1] = 1.0
        pi = np.linalg.lstsq(a, rhs, rcond=None)[0]
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()

    def _gc_of(self, table: np.ndarray) -> float:
        pi = self._stationary(table)
        return float(pi @ (table[:, 1] + table[:, 2]))

    def _tilted_table(self, log_w: float) -> np.ndarray:
        t = self.table * np.array([1.0, np.exp(log_w), np.exp(log_w), 1.0])[None, :]
        return t / t.sum(axis=1, keepdims=True)

    def _tilt(self, target: float) -> np.ndarray:
        lo, hi = -3.0, 3.0
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            if self._gc_of(self._tilted_table(mid)) < target:
                lo = mid
            else:
                hi = mid
        return self._tilted_table(0.5 * (lo + hi))

    def level_of(self, gc: np.ndarray) -> np.ndarray:
        """Index of the nearest GC level."""
        return np.abs(np.asarray(gc)[..., None] - self.levels).argmin(axis=-1)

    def sample(self, levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Sample ``len(levels)`` segments of ``_SEGMENT`` bases, each at its GC level.

        Returns the concatenated segments (``uint8`` codes).
        """
        n = levels.shape[0]
        out = np.empty((n, _SEGMENT), dtype=np.uint8)
        # initial context from the stationary distribution of each segment's level
        cum_pi = np.cumsum(self.stationary[levels], axis=1)
        ctx = (rng.random(n)[:, None] > cum_pi).sum(axis=1).clip(0, 63)
        out[:, 0], out[:, 1], out[:, 2] = ctx // 16, (ctx // 4) % 4, ctx % 4
        cum = self.cumulative
        for i in range(3, _SEGMENT):
            c = cum[levels, ctx]  # (n, 4)
            u = rng.random(n)
            b = (u > c[:, 0]).astype(np.int64) + (u > c[:, 1]) + (u > c[:, 2])
            out[:, i] = b
            ctx = (ctx * 4 + b) % 64
        # read half of the segments on the other strand: strand-symmetric composition (C = G,
        # A = T, as in real genomes) while CpG stays depleted
        flip = rng.random(n) < 0.5
        out[flip] = (3 - out[flip])[:, ::-1]
        return out.reshape(-1)


@dataclass
class SimGenome:
    """A simulated genome and its ground truth.

    Attributes
    ----------
    chrom_sizes:
        Chromosome -> length, in FASTA order.
    sequences:
        Chromosome -> ``uint8`` codes (4 = N).
    gaps:
        ``(chrom, start, end)`` of the N runs.
    gc_domains:
        ``(chrom, start, end, gc)`` of the GC domains.
    elements:
        Columns of the planted regulatory elements: ``id, chrom, start, end, kind``.
    sites:
        Columns of the planted motif sites: ``element, chrom, start, end, motif, strand``
        (core coordinates, 0-based half-open).
    """

    chrom_sizes: dict[str, int]
    sequences: dict[str, np.ndarray]
    gaps: list[tuple[str, int, int]]
    gc_domains: list[tuple[str, int, int, float]]
    elements: dict[str, list] = field(default_factory=dict)
    sites: dict[str, list] = field(default_factory=dict)


def _gc_domains(length: int, mean_len: int, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    bounds = [0]
    while bounds[-1] < length:
        bounds.append(bounds[-1] + int(max(mean_len / 8, rng.exponential(mean_len))))
    bounds[-1] = length
    gcs = np.clip(rng.normal(0.41, 0.05, size=len(bounds) - 1), 0.32, 0.60)
    return [(bounds[i], bounds[i + 1], float(round(gcs[i], 3))) for i in range(len(bounds) - 1)]


def _plan_gaps(length: int, rng: np.random.Generator, *, force_internal: bool) -> list[tuple[int, int]]:
    gaps = []
    if rng.random() < 0.5:
        gaps.append((0, int(length * rng.uniform(0.004, 0.015)) + 200))
    if rng.random() < 0.4:
        gaps.append((length - int(length * rng.uniform(0.004, 0.015)) - 200, length))
    if rng.random() < 0.7:
        c = int(length * rng.uniform(0.3, 0.6))
        w = int(length * rng.uniform(0.006, 0.02)) + 300
        gaps.append((c, c + w))
    n_small = rng.poisson(length / 600_000) + (1 if force_internal else 0)
    for _ in range(n_small):
        w = int(np.exp(rng.uniform(np.log(100), np.log(3000))))
        s = int(rng.uniform(0.1, 0.9) * length)
        gaps.append((s, min(length, s + w)))
    gaps.sort()
    merged: list[list[int]] = []
    for s, e in gaps:
        if merged and s <= merged[-1][1] + 1000:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(int(s), int(e)) for s, e in merged]


def _element_sites(kind: str, grammar: Grammar, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """Sites of one element: (motif index, centre offset inside a 300-bp element, sharpness)."""
    names = grammar.motif_names
    idx = names.index
    sharp = float(rng.choice([1.0, 2.0, 3.0, 6.0], p=[0.15, 0.3, 0.3, 0.25]))
    motifs: list[int] = []
    pair: tuple[int, int, int] | None = None
    if kind == "specific":
        primary = idx(_SPECIFIC[rng.integers(len(_SPECIFIC))])
        motifs = [primary] * int(rng.integers(1, 4))
        if rng.random() < 0.5:
            motifs.append(idx(("AP1", "NFY", "SP")[rng.integers(3)]))
    elif kind == "ap1":
        motifs = [idx("AP1")] * int(rng.integers(1, 4))
        if rng.random() < 0.3:
            motifs.append(idx(_SPECIFIC[rng.integers(len(_SPECIFIC))]))
    elif kind == "primer":
        motifs = [idx("CGACCGAACTCC")] * int(rng.integers(1, 3))
        if rng.random() < 0.4:
            motifs.append(idx(("AP1", "GATA", "ETS")[rng.integers(3)]))
    elif kind == "coop":
        p = grammar.coop[rng.integers(len(grammar.coop))]
        a, b = idx(p.motif_a), idx(p.motif_b)
        if rng.random() < 0.5:
            a, b = b, a
        d = int(rng.integers(p.min_distance, p.max_distance + 1))
        pair = (a, b, d)
        if rng.random() < 0.3:
            motifs.append(idx(("AP1", "NFY", "CTCF")[rng.integers(3)]))
    elif kind == "ctcf":
        motifs = [idx("CTCF")]
    elif kind == "promoter":
        motifs = [idx("NFY"), idx("SP")] + ([idx("ETS")] if rng.random() < 0.5 else [])
        if rng.random() < 0.5:
            motifs.append(idx("SP"))
    else:  # single weak-ish site of any motif
        motifs = [int(rng.integers(len(names)))]
        sharp = 1.0
    # place: pair first (fixed spacing), then the rest at random non-overlapping offsets
    widths = [m.width + 4 for m in grammar.motifs]
    placed: list[tuple[int, int]] = []  # (motif, centre)

    def free(m: int, c: int) -> bool:
        lo, hi = c - widths[m] // 2, c + widths[m] // 2 + 1
        if lo < 8 or hi > 292:
            return False
        return all(hi + 2 <= c2 - widths[m2] // 2 or lo >= c2 + widths[m2] // 2 + 3 for m2, c2 in placed)

    if pair is not None:
        a, b, d = pair
        c = int(rng.integers(100, 200 - d // 2))
        placed += [(a, c), (b, c + d)]
    for m in motifs:
        for _ in range(30):
            c = int(rng.integers(20, 280))
            if free(m, c):
                placed.append((m, c))
                break
    return [(m, c, sharp) for m, c in placed]


def make_genome(
    profile: SimProfile,
    grammar: Grammar,
    rng: np.random.Generator,
    *,
    progress: Callable[[str, float], None] | None = None,
) -> SimGenome:
    """Simulate the genome of a profile.

    Parameters
    ----------
    profile:
        Chromosome layout and element density.
    grammar:
        Motifs to plant.
    rng:
        Source of randomness.
    progress:
        Optional callable ``progress(stage, fraction)``.

    Returns
    -------
    SimGenome
    """
    model = MarkovBackground(rng)
    chrom_sizes = dict(profile.chrom_sizes)
    # ---- GC domains and background sequence (all chromosomes in one parallel draw)
    domains: dict[str, list[tuple[int, int, float]]] = {
        c: _gc_domains(n, profile.gc_domain_length, rng) for c, n in chrom_sizes.items()
    }
    seg_levels = []
    seg_counts = {}
    for chrom, n in chrom_sizes.items():
        nseg = -(-n // _SEGMENT)
        starts = np.arange(nseg) * _SEGMENT
        dstarts = np.array([d[0] for d in domains[chrom]])
        dgc = np.array([d[2] for d in domains[chrom]])
        seg_levels.append(model.level_of(dgc[np.searchsorted(dstarts, starts, side="right") - 1]))
        seg_counts[chrom] = nseg
    flat = model.sample(np.concatenate(seg_levels), rng)
    if progress:
        progress("background", 1.0)
    sequences: dict[str, np.ndarray] = {}
    offset = 0
    for chrom, n in chrom_sizes.items():
        sequences[chrom] = flat[offset : offset + n].copy()
        offset += seg_counts[chrom] * _SEGMENT
    del flat

    # ---- simple repeats
    for chrom, n in chrom_sizes.items():
        seq = sequences[chrom]
        k = rng.poisson(n / 15_000)
        for _ in range(k):
            unit = rng.integers(0, 4, size=int(rng.integers(1, 7))).astype(np.uint8)
            total = int(rng.integers(16, 80))
            s = int(rng.integers(0, max(1, n - total)))
            seq[s : s + total] = np.resize(unit, total)

    # ---- gaps (planned now, written last)
    gaps = {c: _plan_gaps(n, rng, force_internal=(c == "chr8")) for c, n in chrom_sizes.items()}

    # ---- regulatory elements
    kinds = [k for k, _ in _KINDS]
    kind_p = np.array([p for _, p in _KINDS])
    kind_p = kind_p / kind_p.sum()
    el_cols: dict[str, list] = {"id": [], "chrom": [], "start": [], "end": [], "kind": []}
    site_el, site_chrom, site_motif, site_centre, site_sharp = [], [], [], [], []
    span = 300
    eid = 0
    for chrom, n in chrom_sizes.items():
        mean_gap = profile.element_spacing
        count = int(n / mean_gap * 1.3) + 4
        gaps_between = 450 + rng.exponential(mean_gap - 450, size=count)
        starts = (rng.uniform(0, mean_gap) + np.cumsum(gaps_between)).astype(np.int64)
        starts = starts[starts + span + 1000 < n]
        starts = starts[starts > 1000]
        for gs, ge in gaps[chrom]:
            starts = starts[(starts + span + 200 <= gs) | (starts >= ge + 200)]
        for s in starts.tolist():
            kind = kinds[int(rng.choice(len(kinds), p=kind_p))]
            sites = _element_sites(kind, grammar, rng)
            if not sites:
                continue
            el_cols["id"].append(f"E{eid:06d}")
            el_cols["chrom"].append(chrom)
            el_cols["start"].append(int(s))
            el_cols["end"].append(int(s + span))
            el_cols["kind"].append(kind)
            for m, c, sh in sites:
                site_el.append(eid)
                site_chrom.append(chrom)
                site_motif.append(m)
                site_centre.append(int(s + c))
                site_sharp.append(sh)
            eid += 1
    if progress:
        progress("elements", 0.5)
    site_el_a = np.array(site_el, dtype=np.int64)
    site_motif_a = np.array(site_motif, dtype=np.int64)
    site_centre_a = np.array(site_centre, dtype=np.int64)
    site_sharp_a = np.array(site_sharp, dtype=np.float64)
    site_strand = np.where(rng.random(site_el_a.shape[0]) < 0.5, "+", "-")
    site_start = np.zeros_like(site_centre_a)
    chrom_arr = np.array(site_chrom, dtype=object)
    for m, motif in enumerate(grammar.motifs):
        sel = np.flatnonzero(site_motif_a == m)
        if sel.size == 0:
            continue
        w = motif.width
        starts = site_centre_a[sel] - w // 2
        site_start[sel] = starts
        cores = np.empty((sel.size, w), dtype=np.uint8)
        for sh in np.unique(site_sharp_a[sel]):
            sub = site_sharp_a[sel] == sh
            cores[sub] = motif.sample(int(sub.sum()), rng, sharpness=float(sh))
        if motif.flank is not None:  # flanks matter: write them too (mostly the preferred bases)
            flanks = motif.sample_flanks(sel.size, rng, prefer=0.75)
            ext = np.concatenate([flanks[:, :2], cores, flanks[:, 2:]], axis=1)  # motif's own strand
            cols = starts[:, None] - 2 + np.arange(w + 4)[None, :]
        else:
            ext = cores
            cols = starts[:, None] + np.arange(w)[None, :]
        minus = site_strand[sel] == "-"
        ext[minus] = (3 - ext[minus])[:, ::-1]
        for chrom in np.unique(chrom_arr[sel]):
            rows = chrom_arr[sel] == chrom
            sequences[chrom][cols[rows]] = ext[rows]
    # ---- write the gaps
    gap_list = []
    for chrom, glist in gaps.items():
        for s, e in glist:
            sequences[chrom][s:e] = 4
            gap_list.append((chrom, s, e))
    if progress:
        progress("elements", 1.0)
    order = np.lexsort((site_start, site_el_a))
    sites = {
        "element": [el_cols["id"][i] for i in site_el_a[order]],
        "chrom": [site_chrom[i] for i in order],
        "start": site_start[order].tolist(),
        "end": (
            site_start[order] + np.array([grammar.motifs[m].width for m in site_motif_a[order]])
        ).tolist(),
        "motif": [grammar.motifs[m].name for m in site_motif_a[order]],
        "strand": site_strand[order].tolist(),
    }
    return SimGenome(
        chrom_sizes=chrom_sizes,
        sequences=sequences,
        gaps=gap_list,
        gc_domains=[(c, s, e, g) for c, ds in domains.items() for s, e, g in ds],
        elements=el_cols,
        sites=sites,
    )
