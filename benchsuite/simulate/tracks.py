"""Coverage tracks and peaks of the simulated cell types.

The tracks mimic ENCODE ATAC-seq fold-change bigWigs (the paper's targets):

1. The oracle gives the rate of Tn5 cuts per cell type (in fold-change units): a GC-dependent
   background plus peak-shaped signal around motif hits.
2. *Biological variation*, shared by both replicates: the signal above background is
   multiplied by a smooth log-normal field (correlation length ~1 kb), i.e. each element is
   somewhat stronger or weaker than its sequence predicts.
3. *Technical variation*, independent per replicate: smooth gamma-distributed efficiency
   fields (~100-bp grid, linearly interpolated): a broad one on the signal (enrichment:
   replicates differ mostly in peak heights) and a tight one on the background, a
   replicate-specific GC bias and a sequencing depth.
4. Cuts are drawn per base from a Poisson distribution and piled up over a 150-bp window
   around each cut (MACS2 ``--shift -75 --extsize 150``); the pileup divided by the depth is
   the fold change. Tracks are therefore piecewise constant, like real ones, and ``N`` runs
   carry no data (``NaN``).

Peaks are called per cell type from replicate 1 like MACS2 would: the pileup against a local
Poisson background (the larger of the chromosome mean and the 5-kb / 10-kb local means),
Benjamini-Hochberg q-values over a 10-bp grid, significant stretches merged, short ones
dropped; each peak gets its summit, fold enrichment (signalValue), -log10 p and -log10 q.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from benchsuite.io.bed import Intervals

from .oracle import Oracle, SparseChannels

__all__ = ["TrackNoise", "simulate_celltype", "call_peaks", "pearson_streaming", "chunk_max"]


@dataclass(frozen=True)
class TrackNoise:
    """Parameters of the replicate noise model.

    Attributes
    ----------
    depth:
        Mean pileup count per unit of fold change (per replicate; replicate 2 is shallower).
    bio_sigma:
        Standard deviation of the shared log-normal biological variation of the signal.
    bio_grid:
        Grid step (bp) of the biological variation field.
    tech_shape:
        Shape of the gamma-distributed technical efficiency of the *signal* (enrichment; mean 1,
        CV = 1/sqrt(shape)): replicates differ most in peak heights.
    background_shape:
        Shape of the (much tighter) gamma-distributed efficiency of the background.
    tech_grid:
        Grid step (bp) of the technical fields.
    gc_bias_sd:
        Standard deviation of the replicate-specific GC bias slope.
    pileup_window:
        Window (bp) each cut is spread over.
    cut_grid:
        Cut positions are binned to this grid (bp), so tracks change value at most every
        ``cut_grid`` bp.
    """

    depth: tuple[float, float] = (24.0, 18.0)
    bio_sigma: float = 0.35
    bio_grid: int = 400
    tech_shape: float = 4.0
    background_shape: float = 25.0
    tech_grid: int = 120
    gc_bias_sd: float = 0.8
    pileup_window: int = 150
    cut_grid: int = 10

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        data = asdict(self)
        data["depth"] = list(self.depth)
        return data


def _smooth_field(length: int, grid: int, rng: np.random.Generator, draw) -> np.ndarray:
    """A field on a ``grid``-bp lattice (values from ``draw(n)``), linearly interpolated."""
    n = length // grid + 3
    knots = draw(n)
    x = np.arange(length, dtype=np.float64)
    offset = rng.uniform(0, grid)
    return np.interp(x, (np.arange(n) - 1) * grid + offset, knots).astype(np.float32)


def _lognormal_field(length: int, grid: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    def draw(n: int) -> np.ndarray:
        z = rng.standard_normal(n)
        z = (z[:-1] + z[1:]) / np.sqrt(2.0)  # a little smoothing between neighbouring knots
        z = np.append(z, z[-1])
        return np.exp(sigma * z - 0.5 * sigma**2)

    return _smooth_field(length, grid, rng, draw)


def _gamma_field(length: int, grid: int, shape: float, rng: np.random.Generator) -> np.ndarray:
    return _smooth_field(length, grid, rng, lambda n: rng.gamma(shape, 1.0 / shape, size=n))


def _draw_cuts(rate: np.ndarray, grid: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson cut counts per base, with the cuts of each ``grid``-bp bin placed at its centre.

    Binning the cut positions keeps the pileup piecewise constant on a ``grid``-bp lattice
    (smaller bigWig files, faster writing) without changing the expected pileup noticeably.
    """
    n = rate.shape[0]
    if grid <= 1:
        return rng.poisson(rate.astype(np.float64)).astype(np.int32)
    nb = -(-n // grid)
    padded = np.zeros(nb * grid, dtype=np.float64)
    padded[:n] = rate
    per_bin = rng.poisson(padded.reshape(nb, grid).sum(axis=1))
    cuts = np.zeros(n, dtype=np.int32)
    centres = np.minimum(np.arange(nb) * grid + grid // 2, n - 1)
    cuts[centres] = per_bin
    return cuts


def _pileup(cuts: np.ndarray, window: int) -> np.ndarray:
    """Number of cuts within ``[x - window/2, x + window/2)`` of each position (int32)."""
    half = window // 2
    n = cuts.shape[0]
    padded = np.zeros(n + window, dtype=np.int64)
    padded[half : half + n] = cuts
    cs = np.concatenate(([0], np.cumsum(padded)))
    return (cs[window : window + n] - cs[:n]).astype(np.int32)


def simulate_celltype(
    oracle: Oracle,
    target: int,
    channels: SparseChannels,
    gc: np.ndarray,
    codes: np.ndarray,
    noise: TrackNoise,
    bio_rng: np.random.Generator,
    rep_rngs: tuple[np.random.Generator, np.random.Generator],
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Both replicates of one cell type on one chromosome.

    Parameters
    ----------
    oracle:
        The oracle.
    target:
        Cell type index.
    channels, gc:
        The chromosome's sparse hit channels and local GC (from the oracle).
    codes:
        The chromosome's base codes (``N`` -> ``NaN``).
    noise:
        Noise parameters.
    bio_rng, rep_rngs:
        Generators of the shared biological field and of each replicate.

    Returns
    -------
    (rep1, rep2), counts1:
        Fold-change tracks (``float32``, ``NaN`` on ``N``) and the integer pileup of replicate 1.
    """
    length = codes.shape[0]
    gap = codes >= 4
    bg = oracle.background(gc, target)
    signal = oracle.coverage_from_channels(channels, gc, target, kernel="cut", background=False)
    np.maximum(signal, 0.0, out=signal)
    signal *= _lognormal_field(length, noise.bio_grid, noise.bio_sigma, bio_rng)  # shared by replicates
    bg[gap] = 0.0
    signal[gap] = 0.0
    reps = []
    counts1 = None
    ref = np.float32(oracle.params.gc_reference)
    for r, rng in enumerate(rep_rngs):
        enrichment = _gamma_field(length, noise.tech_grid, noise.tech_shape, rng)
        efficiency = _gamma_field(length, noise.tech_grid, noise.background_shape, rng)
        slope = rng.normal(0.0, noise.gc_bias_sd)
        gcb = np.exp(np.float32(slope) * (gc - ref))
        gcb /= np.float32(np.mean(gcb[~gap])) if np.any(~gap) else np.float32(1.0)
        rate = (bg * efficiency + signal * enrichment) * gcb
        lam = rate * np.float32(noise.depth[r] / noise.pileup_window)
        cuts = _draw_cuts(lam, noise.cut_grid, rng)
        counts = _pileup(cuts, noise.pileup_window)
        fc = (counts / np.float32(noise.depth[r])).astype(np.float32)
        fc[gap] = np.nan
        reps.append(fc)
        if r == 0:
            counts1 = counts
    return (reps[0], reps[1]), counts1


class _LocalLambda:
    """Local Poisson background of a pileup: the larger of the chromosome mean and the means
    over centred 5-kb and 10-kb windows (valid positions only), like MACS2's local lambda."""

    def __init__(self, counts: np.ndarray, valid: np.ndarray, windows: tuple[int, ...] = (5001, 10001)):
        self.n = counts.shape[0]
        self.cs = np.concatenate(([0.0], np.cumsum(np.where(valid, counts, 0), dtype=np.float64)))
        self.cv = np.concatenate(([0], np.cumsum(valid, dtype=np.int64)))
        self.windows = windows
        self.genome = float(self.cs[-1] / self.cv[-1]) if self.cv[-1] > 0 else 1.0

    def __call__(self, pos: np.ndarray) -> np.ndarray:
        lam = np.full(pos.shape[0], self.genome, dtype=np.float64)
        for w in self.windows:
            lo = np.maximum(pos - w // 2, 0)
            hi = np.minimum(pos + w // 2 + 1, self.n)
            cnt = self.cv[hi] - self.cv[lo]
            mean = np.where(cnt > 0, (self.cs[hi] - self.cs[lo]) / np.maximum(cnt, 1), 0.0)
            lam = np.maximum(lam, mean)
        return lam


def call_peaks(
    counts: dict[str, np.ndarray],
    gaps: dict[str, np.ndarray],
    name: str,
    *,
    grid: int = 10,
    q_threshold: float = 0.01,
    merge_gap: int = 30,
    min_width: int = 150,
) -> Intervals:
    """Call narrowPeaks from a replicate's pileup counts (MACS2-like local Poisson model).

    Parameters
    ----------
    counts:
        Chromosome -> integer pileup (``int32``).
    gaps:
        Chromosome -> boolean mask of ``N`` positions (never called).
    name:
        Prefix of the peak names (``<name>_peak_<i>``).
    grid:
        Step (bp) at which p-values are evaluated.
    q_threshold:
        Benjamini-Hochberg q-value threshold.
    merge_gap:
        Significant stretches closer than this (bp) are merged.
    min_width:
        Narrower peaks are dropped.

    Returns
    -------
    Intervals
        narrowPeak intervals, sorted by chromosome (input order) and start.
    """
    chroms = list(counts)
    logp: dict[str, np.ndarray] = {}
    lam_of: dict[str, _LocalLambda] = {}
    for chrom in chroms:
        c = counts[chrom]
        valid = ~gaps[chrom]
        lam_of[chrom] = _LocalLambda(c, valid)
        pos = np.arange(grid // 2, c.shape[0], grid)
        k = c[pos].astype(np.float64)
        p = np.where(k > 0, special.pdtrc(np.maximum(k - 1, 0), lam_of[chrom](pos)), 1.0)  # P(X >= k)
        lp = -np.log10(np.clip(p, 1e-300, 1.0))
        lp[~valid[pos]] = 0.0
        logp[chrom] = lp
    # Benjamini-Hochberg over all grid points of all chromosomes
    all_lp = np.concatenate([logp[c] for c in chroms])
    m = all_lp.shape[0]
    order = np.argsort(-all_lp, kind="stable")
    ranks = np.empty(m, dtype=np.float64)
    ranks[order] = np.arange(1, m + 1)
    lq = all_lp - np.log10(m / ranks)
    # q_(i) = min_{j >= i} m p_(j) / j over p sorted ascending, i.e. a reverse running max in -log10
    lq_sorted = lq[order]
    lq_sorted = np.maximum.accumulate(lq_sorted[::-1])[::-1]
    lq[order] = lq_sorted
    lq = np.maximum(lq, 0.0)
    cols: dict[str, list] = {k: [] for k in ("chrom", "start", "end", "signal", "pvalue", "qvalue", "peak")}
    offset = 0
    min_lq = -np.log10(q_threshold)
    for chrom in chroms:
        n_grid = logp[chrom].shape[0]
        q = lq[offset : offset + n_grid]
        offset += n_grid
        sig = q >= min_lq
        if not sig.any():
            continue
        idx = np.flatnonzero(sig)
        breaks = np.flatnonzero(np.diff(idx) * grid > merge_gap + grid)
        run_starts = idx[np.concatenate(([0], breaks + 1))]
        run_ends = idx[np.concatenate((breaks, [idx.shape[0] - 1]))]
        length = counts[chrom].shape[0]
        starts = run_starts * grid
        ends = np.minimum((run_ends + 1) * grid, length)
        keep = ends - starts >= min_width
        c = counts[chrom]
        for s, e, rs, re_ in zip(starts[keep], ends[keep], run_starts[keep], run_ends[keep], strict=True):
            summit = int(s + np.argmax(c[s:e]))
            k = float(c[summit])
            lam = float(lam_of[chrom](np.array([summit]))[0])
            p = special.pdtrc(k - 1, lam)
            cols["chrom"].append(chrom)
            cols["start"].append(int(s))
            cols["end"].append(int(e))
            cols["signal"].append(round(k / lam, 5))
            cols["pvalue"].append(round(float(-np.log10(max(p, 1e-300))), 5))
            cols["qvalue"].append(round(float(q[rs : re_ + 1].max()), 5))
            cols["peak"].append(summit - int(s))
    n = len(cols["start"])
    qv = np.array(cols["qvalue"], dtype=np.float64)
    return Intervals(
        chrom=np.array(cols["chrom"], dtype=str),
        start=np.array(cols["start"], dtype=np.int64),
        end=np.array(cols["end"], dtype=np.int64),
        name=np.array([f"{name}_peak_{i + 1}" for i in range(n)], dtype=str),
        score=np.minimum(1000, np.floor(10 * qv)).astype(np.float64),
        strand=np.full(n, ".", dtype=str),
        signal=np.array(cols["signal"], dtype=np.float64),
        pvalue=np.array(cols["pvalue"], dtype=np.float64),
        qvalue=qv,
        peak=np.array(cols["peak"], dtype=np.int64),
    )


class pearson_streaming:  # noqa: N801 - used like a function that accumulates
    """Pearson correlation of two tracks accumulated over chunks (the harness's moments kernel).

    Positions where either value is not finite (NaN = no data) are skipped.
    """

    def __init__(self) -> None:
        from benchsuite.evaluate.stats import StreamingPearson

        self._acc = StreamingPearson()

    @property
    def n(self) -> int:
        """Pairs seen so far."""
        m = self._acc.moments
        return 0 if m is None else int(m.n[0])

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Add a chunk of paired values (1-D arrays of equal length)."""
        self._acc.update(np.asarray(x).reshape(1, 1, -1), np.asarray(y).reshape(1, 1, -1))

    @property
    def value(self) -> float:
        """The correlation (NaN when undefined)."""
        r = self._acc.compute()
        return float(r[0]) if r.size else float("nan")


def chunk_max(values: np.ndarray, chunk: int) -> np.ndarray:
    """Max of each full non-overlapping chunk (NaN if the chunk holds any NaN)."""
    n = values.shape[0] // chunk
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    v = values[: n * chunk].reshape(n, chunk)
    out = v.max(axis=1)  # NaN propagates
    return out
