"""The regulatory grammar of the simulated genome.

A :class:`Grammar` holds

- a set of transcription-factor motifs (:class:`MotifModel`): position probability matrices
  drawn around invented consensus sequences with realistic degeneracy (IUPAC letters), among
  them the primer's ``CGACCGAACTCC`` and an AP-1-like ``TGA(C/G)TCA``;
- how a motif match turns into binding strength: a logistic function of the PWM log-odds
  score (so chance matches in the background contribute a little and strong matches a lot)
  and, for some motifs, a *flank effect*: preferred bases in the two positions on either side
  of the core multiply the strength (as for AP-1 in the paper's GIA experiments);
- cell-type-specific TF activities (a cell types x motifs matrix): AP-1 and a CTCF-like
  factor are active everywhere, the primer motif in a subset of cell types, and the others
  mostly in one (or, with many cell types, a few) cell types only;
- cooperative motif pairs (:class:`CoopPair`): when the partner lies at a preferred
  centre-to-centre distance the pair is boosted, with the boost decaying outside the window.
  The boost acts in a cell type in proportion to the activity of *both* factors there.

Everything is drawn deterministically from a numpy generator and serialises to JSON
(:meth:`Grammar.to_dict` / :meth:`Grammar.from_dict`) with rounded numbers, so the grammar
read back from ``truth.json`` is bit-identical to the one the genome was simulated with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "MotifModel",
    "CoopPair",
    "Grammar",
    "MOTIF_CATALOG",
    "make_grammar",
    "celltype_names",
    "score_distribution",
    "strength_threshold",
]

#: background base frequencies of the log-odds scores (uniform)
BACKGROUND = np.full(4, 0.25)
#: pseudocount added to PPM entries before taking log-odds
PSEUDOCOUNT = 0.01
#: expected logistic strength per position and strand of a uniform random background: sets
#: how much chance matches contribute (most of it from near-consensus matches)
CHANCE_STRENGTH = 1e-5
#: a perfect core never gets less than this strength, even for short motifs (whose chance
#: matches are frequent: their consensus is weaker, good flanks make up for it)
MIN_CONSENSUS_STRENGTH = 0.5
#: temperature (nats) of the logistic strength function
TEMPERATURE = 0.5
#: flank positions relative to the core, on the motif's own strand
FLANK_OFFSETS = (-2, -1, 1, 2)

_IUPAC = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "N": "ACGT",
}
_BASE_INDEX = {"A": 0, "C": 1, "G": 2, "T": 3}

#: (name, description, IUPAC consensus, base gain range, preferred flank bases at -2,-1,+1,+2 or None)
MOTIF_CATALOG: tuple[tuple[str, str, str, tuple[float, float], str | None], ...] = (
    ("CGACCGAACTCC", "primer-like motif", "CGACCGAACTCC", (4.0, 5.5), None),
    ("AP1", "AP-1-like (FOS/JUN)", "TGASTCA", (4.0, 5.5), "GATC"),
    ("CTCF", "CTCF-like insulator", "CCRSYAGRKGGCRS", (2.5, 3.5), None),
    ("GATA", "GATA-like", "AGATAAGR", (3.0, 4.5), "TCGA"),
    ("ETS", "ETS-like", "ACCGGAAGTR", (3.0, 4.5), None),
    ("CEBP", "C/EBP-like", "ATTGCGCAAT", (3.0, 4.5), "GCAT"),
    ("RUNX", "RUNX-like", "TTGTGGTTAY", (3.0, 4.5), None),
    ("FOX", "Forkhead-like", "TGTTTACTTW", (3.0, 4.5), "ACTG"),
    ("NFY", "NF-Y-like CCAAT box", "RRCCAATCAGR", (2.0, 3.0), None),
    ("SP", "SP/KLF-like GC box", "GGGGCGGGGC", (2.0, 3.0), None),
)
_BROAD = ("AP1", "CTCF", "NFY", "SP")
_SUBSET = ("CGACCGAACTCC",)
_SPECIFIC = ("GATA", "ETS", "CEBP", "RUNX", "FOX")
#: cooperative pairs: (motif a, motif b, preferred centre distance range, decay (bp), gain range)
_COOP = (
    ("ETS", "RUNX", (14, 26), 8.0, (2.0, 3.0)),
    ("AP1", "CEBP", (20, 36), 10.0, (1.5, 2.5)),
)


def _r(x: float, nd: int = 6) -> float:
    return float(round(float(x), nd))


@dataclass(frozen=True, eq=False)
class MotifModel:
    """One transcription-factor motif and how its matches turn into binding strength.

    Attributes
    ----------
    name, description:
        Identifier (also the MEME motif name) and a human-readable description.
    consensus:
        IUPAC consensus the PPM was drawn around.
    ppm:
        ``(w, 4)`` position probability matrix (A, C, G, T), rows sum to 1.
    gain:
        Coverage (fold change) a perfect hit adds at the summit when the factor is fully active.
    threshold, temperature:
        Hit strength is ``sigmoid((score - threshold) / temperature)`` where ``score`` is the
        log-odds score (natural log) of the core against a uniform background.
    flank:
        ``(4, 4)`` log strength factors for the bases at core offsets -2, -1, +1, +2 (on the
        motif's strand), or None (no flank effect).
    """

    name: str
    description: str
    consensus: str
    ppm: np.ndarray
    gain: float
    threshold: float
    temperature: float
    flank: np.ndarray | None = None

    @property
    def width(self) -> int:
        """Core width in bp."""
        return int(self.ppm.shape[0])

    @property
    def logodds(self) -> np.ndarray:
        """``(w, 4)`` log-odds matrix (nats) against the uniform background."""
        p = (self.ppm + PSEUDOCOUNT) / (1.0 + 4 * PSEUDOCOUNT)
        return np.log(p / BACKGROUND)

    @property
    def max_score(self) -> float:
        """Score of the best possible core sequence."""
        return float(self.logodds.max(axis=1).sum())

    def consensus_codes(self) -> np.ndarray:
        """Most likely base per position (uint8 codes)."""
        return self.ppm.argmax(axis=1).astype(np.uint8)

    def best_flanks(self) -> tuple[np.ndarray, np.ndarray]:
        """Preferred 2-bp left and right flanks (uint8 codes; A/T-free choice if no flank effect)."""
        if self.flank is None:
            return np.array([0, 0], np.uint8), np.array([0, 0], np.uint8)
        best = self.flank.argmax(axis=1).astype(np.uint8)
        return best[:2], best[2:]

    def sample(self, n: int, rng: np.random.Generator, *, sharpness: float = 1.0) -> np.ndarray:
        """Draw ``n`` core instances from the PPM raised to ``sharpness`` (``(n, w)`` uint8 codes)."""
        p = self.ppm**sharpness
        p = p / p.sum(axis=1, keepdims=True)
        cum = np.cumsum(p, axis=1)
        u = rng.random((n, self.width))
        return (u[:, :, None] > cum[None, :, :3]).sum(axis=2).astype(np.uint8)

    def sample_flanks(self, n: int, rng: np.random.Generator, *, prefer: float = 0.5) -> np.ndarray:
        """Draw ``(n, 4)`` flank bases (-2, -1, +1, +2): the preferred base with probability ``prefer``."""
        out = rng.integers(0, 4, size=(n, 4)).astype(np.uint8)
        if self.flank is not None:
            best = self.flank.argmax(axis=1).astype(np.uint8)
            use = rng.random((n, 4)) < prefer
            out = np.where(use, best[None, :], out).astype(np.uint8)
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "name": self.name,
            "description": self.description,
            "consensus": self.consensus,
            "ppm": [[_r(v) for v in row] for row in self.ppm],
            "gain": _r(self.gain),
            "threshold": _r(self.threshold),
            "temperature": _r(self.temperature),
            "flank": None if self.flank is None else [[_r(v) for v in row] for row in self.flank],
        }

    @classmethod
    def from_dict(cls, data: dict) -> MotifModel:
        """Inverse of :meth:`to_dict`."""
        flank = data.get("flank")
        return cls(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            consensus=str(data.get("consensus", "")),
            ppm=np.asarray(data["ppm"], dtype=np.float64),
            gain=float(data["gain"]),
            threshold=float(data["threshold"]),
            temperature=float(data["temperature"]),
            flank=None if flank is None else np.asarray(flank, dtype=np.float64),
        )


@dataclass(frozen=True)
class CoopPair:
    """A cooperative motif pair with a preferred centre-to-centre distance.

    The pair term of motif ``a`` at position ``x`` is ``gain_a * s_a(x) * (1 - exp(-P_a(x)))``
    with ``P_a(x) = sum_y s_b(y) * kernel(y - x)``, and likewise for ``b``; the pair term
    enters cell type ``c`` with weight ``gain * activity[c, a] * activity[c, b]``.

    Attributes
    ----------
    motif_a, motif_b:
        Motif names.
    min_distance, max_distance:
        Preferred window of the centre-to-centre distance (bp, both orders/orientations).
    decay:
        Length scale (bp) of the exponential decay of the boost outside the window.
    gain:
        Strength of the boost.
    """

    motif_a: str
    motif_b: str
    min_distance: int
    max_distance: int
    decay: float
    gain: float

    @property
    def radius(self) -> int:
        """Largest distance with a non-negligible boost."""
        return int(self.max_distance + np.ceil(6 * self.decay))

    def weight(self, distance: np.ndarray) -> np.ndarray:
        """Boost weight (0..1) at the given centre-to-centre distances."""
        d = np.abs(np.asarray(distance, dtype=np.float64))
        inside = (d >= self.min_distance) & (d <= self.max_distance)
        below = np.exp(-(self.min_distance - d) / 2.0)
        above = np.exp(-(d - self.max_distance) / self.decay)
        w = np.where(inside, 1.0, np.where(d < self.min_distance, below, above))
        w[d < 6] = 0.0  # the two sites would overlap
        w[d > self.radius] = 0.0
        return w

    def kernel(self) -> np.ndarray:
        """Symmetric kernel of length ``2 * radius + 1`` (index ``radius`` = distance 0)."""
        d = np.arange(-self.radius, self.radius + 1)
        return self.weight(d).astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "motif_a": self.motif_a,
            "motif_b": self.motif_b,
            "min_distance": int(self.min_distance),
            "max_distance": int(self.max_distance),
            "decay": _r(self.decay),
            "gain": _r(self.gain),
        }

    @classmethod
    def from_dict(cls, data: dict) -> CoopPair:
        """Inverse of :meth:`to_dict`."""
        return cls(
            motif_a=str(data["motif_a"]),
            motif_b=str(data["motif_b"]),
            min_distance=int(data["min_distance"]),
            max_distance=int(data["max_distance"]),
            decay=float(data["decay"]),
            gain=float(data["gain"]),
        )


@dataclass(frozen=True, eq=False)
class Grammar:
    """Motifs, cell-type activities and cooperative pairs.

    Attributes
    ----------
    motifs:
        The motifs, in a fixed order (columns of ``activity``).
    celltypes:
        Cell type (target) names.
    activity:
        ``(T, M)`` activity of each motif's factor in each cell type (0 = inactive, up to 1).
    coop:
        Cooperative pairs.
    """

    motifs: tuple[MotifModel, ...]
    celltypes: tuple[str, ...]
    activity: np.ndarray
    coop: tuple[CoopPair, ...] = field(default_factory=tuple)

    @property
    def motif_names(self) -> tuple[str, ...]:
        """Motif names in order."""
        return tuple(m.name for m in self.motifs)

    def motif_index(self, name: str) -> int:
        """Column of motif ``name``."""
        try:
            return self.motif_names.index(name)
        except ValueError:
            raise KeyError(f"no motif named {name!r}; motifs: {', '.join(self.motif_names)}") from None

    def motif(self, name: str) -> MotifModel:
        """The motif called ``name``."""
        return self.motifs[self.motif_index(name)]

    def active_celltypes(self, motif: str, *, min_activity: float = 0.0) -> tuple[str, ...]:
        """Cell types in which ``motif``'s factor has activity above ``min_activity``."""
        col = self.activity[:, self.motif_index(motif)]
        return tuple(c for c, a in zip(self.celltypes, col, strict=True) if a > min_activity)

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "motifs": [m.to_dict() for m in self.motifs],
            "celltypes": list(self.celltypes),
            "activity": [[_r(v) for v in row] for row in self.activity],
            "coop": [p.to_dict() for p in self.coop],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Grammar:
        """Inverse of :meth:`to_dict`."""
        return cls(
            motifs=tuple(MotifModel.from_dict(m) for m in data["motifs"]),
            celltypes=tuple(str(c) for c in data["celltypes"]),
            activity=np.asarray(data["activity"], dtype=np.float64),
            coop=tuple(CoopPair.from_dict(p) for p in data.get("coop", [])),
        )


def celltype_names(n: int) -> tuple[str, ...]:
    """``celltype_A``, ``celltype_B``, ... (``celltype_AA`` after Z)."""
    names = []
    for i in range(n):
        label = ""
        j = i
        while True:
            label = chr(ord("A") + j % 26) + label
            j = j // 26 - 1
            if j < 0:
                break
        names.append(f"celltype_{label}")
    return tuple(names)


def _draw_ppm(consensus: str, rng: np.random.Generator) -> np.ndarray:
    rows = []
    for letter in consensus:
        bases = _IUPAC[letter]
        row = np.zeros(4)
        if len(bases) == 1:
            top = rng.uniform(0.74, 0.95)
            row[_BASE_INDEX[bases]] = top
            others = [i for i in range(4) if i != _BASE_INDEX[bases]]
            row[others] = rng.dirichlet([1.5, 1.5, 1.5]) * (1.0 - top)
        elif len(bases) == 2:
            total = rng.uniform(0.86, 0.96)
            split = rng.uniform(0.38, 0.62)
            idx = [_BASE_INDEX[b] for b in bases]
            row[idx[0]], row[idx[1]] = total * split, total * (1.0 - split)
            others = [i for i in range(4) if i not in idx]
            row[others] = rng.dirichlet([1.5, 1.5]) * (1.0 - total)
        else:
            row[:] = rng.dirichlet([6.0, 6.0, 6.0, 6.0])
        row = np.round(row, 6)
        row[row.argmax()] += 1.0 - row.sum()
        rows.append(row)
    return np.round(np.array(rows), 6)


def _draw_flank(preferred: str, rng: np.random.Generator) -> np.ndarray:
    """Log strength factors of the flank bases: the preferred base ~x1.2, others ~x0.5-0.7.

    With random flanks a site keeps on average about a third of its strength, with the
    preferred flanks about twice it: a ~6-fold range, like the flank effects of AP-1 sites.
    """
    flank = np.zeros((4, 4))
    for i, base in enumerate(preferred):
        b = _BASE_INDEX[base]
        flank[i] = -rng.uniform(0.35, 0.75, size=4)
        flank[i, b] = rng.uniform(0.14, 0.22)
    return np.round(flank, 6)


def score_distribution(logodds: np.ndarray, *, resolution: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution of the log-odds score under a uniform iid background (on a grid).

    Returns
    -------
    scores, probabilities:
        Grid values and their probabilities.
    """
    lo = logodds.min(axis=1)
    grid_max = int(np.ceil((logodds - lo[:, None]).max(axis=1).sum() / resolution)) + 1
    dist = np.zeros(grid_max + 1)
    dist[0] = 1.0
    for row, low in zip(logodds, lo, strict=True):
        step = np.zeros_like(dist)
        for v in row:
            shift = int(round((v - low) / resolution))
            step[shift:] += 0.25 * dist[: dist.shape[0] - shift]
        dist = step
    return lo.sum() + np.arange(grid_max + 1) * resolution, dist


def strength_threshold(logodds: np.ndarray, temperature: float, chance_strength: float) -> float:
    """Threshold at which the mean logistic strength over random sequence is ``chance_strength``.

    Capped so that the consensus keeps a strength of at least ``MIN_CONSENSUS_STRENGTH``.
    """
    scores, prob = score_distribution(logodds)
    keep = prob > 0
    scores, prob = scores[keep], prob[keep]

    def mean_strength(thr: float) -> float:
        z = np.clip((scores - thr) / temperature, -50, 50)
        return float(np.sum(prob / (1.0 + np.exp(-z))))

    lo, hi = float(scores.min()), float(scores.max()) + 10 * temperature
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mean_strength(mid) > chance_strength:
            lo = mid
        else:
            hi = mid
    cap = float(logodds.max(axis=1).sum()) - temperature * np.log(
        MIN_CONSENSUS_STRENGTH / (1 - MIN_CONSENSUS_STRENGTH)
    )
    return min(hi, cap)


def make_grammar(n_celltypes: int, rng: np.random.Generator) -> Grammar:
    """Draw a grammar for ``n_celltypes`` cell types.

    Parameters
    ----------
    n_celltypes:
        Number of cell types (>= 2).
    rng:
        Source of randomness (the grammar is a deterministic function of its state).

    Returns
    -------
    Grammar
        The grammar, already passed through its JSON form (rounded numbers).
    """
    if n_celltypes < 2:
        raise ValueError("the grammar needs at least two cell types")
    motifs = []
    for name, description, consensus, (g_lo, g_hi), preferred in MOTIF_CATALOG:
        ppm = _draw_ppm(consensus, rng)
        flank = _draw_flank(preferred, rng) if preferred else None
        temperature = TEMPERATURE
        model = MotifModel(name, description, consensus, ppm, 0.0, 0.0, temperature, flank)
        # random flanks scale a chance match by the mean flank factor
        flank_mean = 1.0 if flank is None else float(np.prod(np.exp(flank).mean(axis=1)))
        threshold = strength_threshold(model.logodds, temperature, CHANCE_STRENGTH / flank_mean)
        motifs.append(
            MotifModel(
                name, description, consensus, ppm, rng.uniform(g_lo, g_hi), threshold, temperature, flank
            )
        )
    names = [m[0] for m in MOTIF_CATALOG]
    T, M = n_celltypes, len(motifs)
    act = np.zeros((T, M))
    for name in _BROAD:
        lo, hi = (0.55, 1.0) if name == "AP1" else (0.3, 0.6)
        act[:, names.index(name)] = rng.uniform(lo, hi, size=T)
    # the primer motif: active in about half of the cell types, never in all of them
    n_on = int(np.clip(round(T / 2), 1, T - 1))
    on = rng.permutation(T)[:n_on]
    act[on, names.index("CGACCGAACTCC")] = rng.uniform(0.6, 1.0, size=n_on)
    # cell-type-specific factors: every cell type gets one master factor (cycled)
    specific = list(rng.permutation(_SPECIFIC))
    for c in range(T):
        act[c, names.index(specific[c % len(specific)])] = rng.uniform(0.7, 1.0)
    # factors no cell type got as master (few cell types): active in one random cell type
    for name in specific[T:]:
        act[rng.integers(T), names.index(name)] = rng.uniform(0.6, 1.0)
    if len(_SPECIFIC) < T:  # many cell types: some weak secondary activity
        for name in _SPECIFIC:
            j = names.index(name)
            for c in np.flatnonzero(act[:, j] == 0):
                if rng.random() < 0.12:
                    act[c, j] = rng.uniform(0.15, 0.35)
    coop = []
    for a, b, (dmin, dmax), decay, (k_lo, k_hi) in _COOP:
        ja, jb = names.index(a), names.index(b)
        # make sure at least one cell type has both factors active, so the pair matters
        if not np.any((act[:, ja] > 0) & (act[:, jb] > 0)):
            c = int(np.flatnonzero(act[:, ja] > 0)[0]) if np.any(act[:, ja] > 0) else 0
            act[c, jb] = max(act[c, jb], rng.uniform(0.6, 0.9))
            act[c, ja] = max(act[c, ja], rng.uniform(0.6, 0.9))
        shift = int(rng.integers(-2, 3))
        coop.append(CoopPair(a, b, dmin + shift, dmax + shift, decay, rng.uniform(k_lo, k_hi)))
    grammar = Grammar(tuple(motifs), celltype_names(T), act, tuple(coop))
    return Grammar.from_dict(grammar.to_dict())
