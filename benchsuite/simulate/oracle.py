"""The oracle: sequence -> expected coverage per cell type.

The oracle defines the simulated signal, so every sequence (genomic windows, mutated
sequences, designed sequences) has a true expected coverage. For a sequence ``x`` and cell
type ``c``::

    E_c(x) = bg_c(x) + K * ( sum_m a[c, m] g_m h_m  +  sum_p k_p a[c, p_a] a[c, p_b] h_p )

- ``bg_c(x) = b_c exp(gamma_c (GC(x) - GC_ref))``: a weakly GC-dependent background, with
  ``GC(x)`` the GC fraction in a 501-bp window;
- ``h_m(x)``: binding strength of motif ``m`` centred at ``x``: the PWM log-odds score of the
  core on both strands passed through a logistic function (:class:`~.grammar.MotifModel`),
  times the flank factor, the larger of the two strands;
- ``h_p``: the cooperative term of pair ``p`` (:class:`~.grammar.CoopPair`): each partner's
  strength times ``1 - exp(-P)`` where ``P`` sums the other partner's strengths weighted by
  the distance kernel;
- ``K``: a peak-shaped profile (a mixture of a narrow and a wide Gaussian) convolved with the
  150-bp window an ATAC fold-change pileup spreads a cut over: ~180 bp wide at half height,
  ~360 bp at a tenth of it.

Everything is a convolution, so the oracle is shift-equivariant (away from the edges of a
window, where the sequence is padded with ``N``). Motif scanning uses lookup tables of 4-mers
(one gather per 4 motif positions), whole chromosomes are processed in blocks with margins,
so memory stays bounded and the oracle stays fast enough to score whole genomes and every
variant of a saturation mutagenesis.

``load_oracle(bundle_dir_or_truth_json)`` rebuilds the oracle of a simulated bundle from its
``truth.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from benchsuite.errors import InputFileError

from .grammar import Grammar

__all__ = ["OracleParams", "Oracle", "SparseChannels", "load_oracle", "make_oracle_params"]

_K = 4  # k-mer length of the lookup tables
_NSYM = 5  # A, C, G, T, N
_FLANK = 2  # flank bases on either side of a motif core
_COMP = np.array([3, 2, 1, 0, 4])


def _r(x: float, nd: int = 6) -> float:
    return float(round(float(x), nd))


@dataclass(frozen=True, eq=False)
class OracleParams:
    """Parameters of the oracle beyond the grammar.

    Attributes
    ----------
    background:
        ``(T,)`` background fold change per cell type at the reference GC content.
    gc_slope:
        ``(T,)`` change of the log background per unit GC fraction.
    gc_reference:
        GC fraction at which the background equals ``background``.
    gc_window:
        Window (bp, odd) of the local GC fraction.
    peak_sigma:
        Standard deviations (bp) of the narrow and the wide Gaussian of the peak profile.
    peak_wide_weight:
        Weight of the wide Gaussian (the narrow one has ``1 - peak_wide_weight``).
    peak_radius:
        Half-width (bp) at which the profile is truncated.
    fragment_window:
        Width (bp) of the window an ATAC pileup spreads each cut over (MACS2-like
        ``--shift -75 --extsize 150``).
    strength_floor:
        Logistic strengths below this are set to exactly 0 (keeps hit tracks sparse).
    """

    background: np.ndarray
    gc_slope: np.ndarray
    gc_reference: float = 0.41
    gc_window: int = 501
    peak_sigma: tuple[float, float] = (32.0, 95.0)
    peak_wide_weight: float = 0.3
    peak_radius: int = 380
    fragment_window: int = 150
    strength_floor: float = 1e-3

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return {
            "background": [_r(v) for v in self.background],
            "gc_slope": [_r(v) for v in self.gc_slope],
            "gc_reference": _r(self.gc_reference),
            "gc_window": int(self.gc_window),
            "peak_sigma": [_r(v) for v in self.peak_sigma],
            "peak_wide_weight": _r(self.peak_wide_weight),
            "peak_radius": int(self.peak_radius),
            "fragment_window": int(self.fragment_window),
            "strength_floor": _r(self.strength_floor, 9),
        }

    @classmethod
    def from_dict(cls, data: dict) -> OracleParams:
        """Inverse of :meth:`to_dict`."""
        return cls(
            background=np.asarray(data["background"], dtype=np.float64),
            gc_slope=np.asarray(data["gc_slope"], dtype=np.float64),
            gc_reference=float(data["gc_reference"]),
            gc_window=int(data["gc_window"]),
            peak_sigma=(float(data["peak_sigma"][0]), float(data["peak_sigma"][1])),
            peak_wide_weight=float(data["peak_wide_weight"]),
            peak_radius=int(data["peak_radius"]),
            fragment_window=int(data["fragment_window"]),
            strength_floor=float(data["strength_floor"]),
        )


def make_oracle_params(n_celltypes: int, rng: np.random.Generator) -> OracleParams:
    """Draw the background parameters of ``n_celltypes`` cell types."""
    params = OracleParams(
        background=rng.uniform(0.32, 0.48, size=n_celltypes),
        gc_slope=rng.uniform(1.0, 2.5, size=n_celltypes),
    )
    return OracleParams.from_dict(params.to_dict())


@dataclass
class SparseChannels:
    """Hit channels of one long sequence, stored sparsely.

    Attributes
    ----------
    length:
        Sequence length.
    positions, values:
        Per channel (motifs, then cooperative pairs) the positions with a non-zero value and
        those values (``float32``).
    """

    length: int
    positions: list[np.ndarray]
    values: list[np.ndarray]

    def dense(self, weights: np.ndarray) -> np.ndarray:
        """``sum_j weights[j] * channel_j`` as a dense ``float32`` array of the sequence length."""
        out = np.zeros(self.length, dtype=np.float32)
        for w, pos, val in zip(weights, self.positions, self.values, strict=True):
            if w != 0 and pos.size:
                out[pos] += np.float32(w) * val
        return out

    @property
    def nnz(self) -> int:
        """Number of stored values."""
        return int(sum(p.size for p in self.positions))


def _kmer_index(codes: np.ndarray) -> np.ndarray:
    """4-mer index (base-5 digits, first base most significant) starting at each position.

    ``codes`` must already carry 3 positions of right padding; the result has 3 fewer columns.
    """
    c = np.minimum(codes, 4).astype(np.intp)  # intp: np.take is several times faster than with int16
    n = c.shape[-1] - (_K - 1)
    idx = c[..., :n] * 125
    idx += c[..., 1 : n + 1] * 25
    idx += c[..., 2 : n + 2] * 5
    idx += c[..., 3 : n + 3]
    return idx


class _MotifTables:
    """4-mer lookup tables of one motif's extended (flank + core + flank) matrix, both strands."""

    def __init__(self, motif, floor: float):
        w = motif.width
        we = w + 2 * _FLANK
        core = np.zeros((we, _NSYM))
        core[_FLANK : _FLANK + w, :4] = motif.logodds
        chans = [core]
        self.has_flank = motif.flank is not None
        if self.has_flank:
            flank = np.zeros((we, _NSYM))
            flank[0, :4], flank[1, :4] = motif.flank[0], motif.flank[1]
            flank[we - 2, :4], flank[we - 1, :4] = motif.flank[2], motif.flank[3]
            chans.append(flank)
        # channel order: core fwd, core rev[, flank fwd, flank rev]
        mats = []
        for mat in chans:
            mats.append(mat)
            mats.append(mat[::-1][:, _COMP])
        weights = np.stack(mats, axis=-1)  # (we, 5, C)
        n_groups = -(-we // _K)
        padded = np.zeros((n_groups * _K, _NSYM, weights.shape[-1]))
        padded[:we] = weights
        digits = np.array(np.unravel_index(np.arange(_NSYM**_K), (_NSYM,) * _K))  # (4, 625)
        self.luts = []
        for g in range(n_groups):
            lut = sum(padded[g * _K + i][digits[i]] for i in range(_K))  # (625, C)
            self.luts.append(np.ascontiguousarray(lut, dtype=np.float32))
        self.width_ext = we
        self.center = _FLANK + w // 2  # offset of the motif centre inside the extended window
        self.threshold = np.float32(motif.threshold)
        self.inv_temp = np.float32(1.0 / motif.temperature)
        self.floor = np.float32(floor)
        # sigmoid(z) < floor  <=>  z < log(floor / (1 - floor))
        self.z_floor = np.float32(np.log(floor / (1.0 - floor)))

    def strength(self, kidx: np.ndarray, start: int, length: int) -> np.ndarray:
        """Strength at ``length`` centre positions whose extended windows start at ``start``."""
        acc = None
        for g, lut in enumerate(self.luts):
            s = start + g * _K
            part = np.take(lut, kidx[..., s : s + length], axis=0)
            if acc is None:
                acc = part
            else:
                acc += part
        # logistic strength; below the floor it is exactly 0, so only evaluate where it is not
        z = (acc[..., :2] - self.threshold) * self.inv_temp
        s = np.zeros(z.shape, dtype=np.float32)
        hit = z > self.z_floor
        zh = np.minimum(z[hit], np.float32(30.0))
        s[hit] = 1.0 / (1.0 + np.exp(-zh))
        if self.has_flank:
            s[hit] *= np.exp(acc[..., 2:4][hit])
        return np.maximum(s[..., 0], s[..., 1])


class Oracle:
    """Expected coverage of every cell type for any DNA sequence.

    Parameters
    ----------
    grammar:
        Motifs, activities and cooperative pairs.
    params:
        Background and profile parameters.

    Notes
    -----
    ``predict_codes`` pads each window with ``N``; predictions within
    :attr:`receptive_radius` of a window edge therefore differ from those of the same bases
    inside a longer sequence. Away from the edges the oracle is exactly shift-equivariant
    (up to float rounding of the FFT convolutions).
    """

    #: block length (bp) of the whole-sequence path
    block = 1 << 19

    def __init__(self, grammar: Grammar, params: OracleParams):
        self.grammar = grammar
        self.params = params
        self.target_names: tuple[str, ...] = tuple(grammar.celltypes)
        self._tables = [_MotifTables(m, params.strength_floor) for m in grammar.motifs]
        self._pairs = []
        for pair in grammar.coop:
            ia, ib = grammar.motif_index(pair.motif_a), grammar.motif_index(pair.motif_b)
            self._pairs.append((ia, ib, pair.kernel(), pair.gain))
        T, M = grammar.activity.shape
        gains = np.array([m.gain for m in grammar.motifs])
        mix = np.zeros((T, M + len(self._pairs)))
        mix[:, :M] = grammar.activity * gains[None, :]
        for p, (ia, ib, _, k) in enumerate(self._pairs):
            mix[:, M + p] = k * grammar.activity[:, ia] * grammar.activity[:, ib]
        self.mix = mix.astype(np.float32)  # (T, channels)
        self._gains = gains.astype(np.float32)
        self.cut_kernel = self._peak_kernel()
        box = np.ones(params.fragment_window) / params.fragment_window
        self.kernel = np.convolve(self.cut_kernel.astype(np.float64), box, mode="full").astype(np.float32)
        if self.kernel.shape[0] % 2 == 0:  # keep the kernel centred (odd length)
            self.kernel = np.append(self.kernel, np.float32(0.0))
        self._max_ext = max(t.width_ext for t in self._tables)
        coop_radius = max((p[2].shape[0] // 2 for p in self._pairs), default=0)
        self.channel_radius = self._max_ext + coop_radius  # context needed for the hit channels
        self.receptive_radius = int(
            self.channel_radius + self.kernel.shape[0] // 2 + params.gc_window // 2 + 1
        )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: dict) -> Oracle:
        """Build from the ``{"grammar": ..., "oracle": ...}`` part of ``truth.json``."""
        return cls(Grammar.from_dict(data["grammar"]), OracleParams.from_dict(data["oracle"]))

    def to_dict(self) -> dict:
        """The JSON form read by :meth:`from_dict`."""
        return {"grammar": self.grammar.to_dict(), "oracle": self.params.to_dict()}

    def _peak_kernel(self) -> np.ndarray:
        p = self.params
        d = np.arange(-p.peak_radius, p.peak_radius + 1, dtype=np.float64)
        (s1, s2), w = p.peak_sigma, p.peak_wide_weight
        k = (1.0 - w) * np.exp(-0.5 * (d / s1) ** 2) + w * np.exp(-0.5 * (d / s2) ** 2)
        return (k / k.max()).astype(np.float32)

    @property
    def num_channels(self) -> int:
        """Number of hit channels (motifs + cooperative pairs)."""
        return self.mix.shape[1]

    # ------------------------------------------------------------------ building blocks
    def gc_content(self, codes: np.ndarray) -> np.ndarray:
        """Local GC fraction (``float32``, same shape as ``codes``) in a ``gc_window`` box.

        ``N`` does not count; a window without any base gets the reference GC.
        """
        codes = np.asarray(codes)
        half = self.params.gc_window // 2
        gc = ((codes == 1) | (codes == 2)).astype(np.int32)
        acgt = (codes < 4).astype(np.int32)
        pad = [(0, 0)] * (codes.ndim - 1) + [(half + 1, half)]
        cg = np.cumsum(np.pad(gc, pad), axis=-1)
        ca = np.cumsum(np.pad(acgt, pad), axis=-1)
        n = codes.shape[-1]
        w = self.params.gc_window
        num = cg[..., w : w + n] - cg[..., :n]
        den = ca[..., w : w + n] - ca[..., :n]
        frac = np.where(den > 0, num / np.maximum(den, 1), self.params.gc_reference)
        return frac.astype(np.float32)

    def background(self, gc: np.ndarray, target: int | None = None) -> np.ndarray:
        """Background from a local GC array ``(..., L)``: ``(..., T, L)``, or ``(..., L)`` for one target."""
        b = self.params.background.astype(np.float32)
        slope = self.params.gc_slope.astype(np.float32)
        ref = np.float32(self.params.gc_reference)
        if target is not None:
            return b[target] * np.exp(slope[target] * (gc - ref))
        return b[:, None] * np.exp(slope[:, None] * (gc[..., None, :] - ref))

    def channels(self, codes: np.ndarray) -> np.ndarray:
        """Hit channels ``(N, M + P, L)`` of a batch of sequences (``N``-padded at the edges).

        Channel ``m < M`` is the strength of motif ``m``; channel ``M + p`` the cooperative
        term of pair ``p``.
        """
        codes = np.atleast_2d(np.asarray(codes, dtype=np.uint8))
        n, length = codes.shape
        left = max(t.center for t in self._tables)
        right = self._max_ext + _K
        padded = np.pad(codes, ((0, 0), (left, right)), constant_values=4)
        kidx = _kmer_index(padded)
        M = len(self._tables)
        out = np.zeros((n, M + len(self._pairs), length), dtype=np.float32)
        for m, tab in enumerate(self._tables):
            out[:, m] = tab.strength(kidx, left - tab.center, length)
        for p, (ia, ib, kern, _) in enumerate(self._pairs):
            ha, hb = out[:, ia], out[:, ib]
            pa = _conv_same(hb, kern)
            pb = _conv_same(ha, kern)
            out[:, M + p] = self._gains[ia] * ha * (1.0 - np.exp(-np.maximum(pa, 0.0))) + self._gains[
                ib
            ] * hb * (1.0 - np.exp(-np.maximum(pb, 0.0)))
        return out

    def sparse_channels(self, codes: np.ndarray, *, progress=None) -> SparseChannels:
        """Hit channels of one long sequence (e.g. a chromosome), computed in blocks, stored sparsely.

        Parameters
        ----------
        codes:
            ``(L,)`` uint8 codes.
        progress:
            Optional callable ``progress(n_bases_done)`` called after each block.
        """
        codes = np.asarray(codes, dtype=np.uint8)
        length = codes.shape[0]
        margin = self.channel_radius
        nch = self.num_channels
        pos: list[list[np.ndarray]] = [[] for _ in range(nch)]
        val: list[list[np.ndarray]] = [[] for _ in range(nch)]
        for start in range(0, length, self.block):
            end = min(length, start + self.block)
            lo, hi = max(0, start - margin), min(length, end + margin)
            ch = self.channels(codes[None, lo:hi])[0, :, start - lo : end - lo]
            for j in range(nch):
                nz = np.flatnonzero(ch[j])
                pos[j].append(nz.astype(np.int64) + start)
                val[j].append(ch[j, nz])
            if progress is not None:
                progress(end - start)
        return SparseChannels(
            length,
            [np.concatenate(p) if p else np.zeros(0, np.int64) for p in pos],
            [np.concatenate(v) if v else np.zeros(0, np.float32) for v in val],
        )

    def coverage_from_channels(
        self,
        channels: SparseChannels,
        gc: np.ndarray,
        target: int,
        *,
        kernel: str = "coverage",
        background: bool = True,
    ) -> np.ndarray:
        """Expected signal of one cell type along a long sequence, from its sparse channels.

        Parameters
        ----------
        channels:
            From :meth:`sparse_channels`.
        gc:
            From :meth:`gc_content` of the same sequence.
        target:
            Cell type index.
        kernel:
            ``"coverage"`` (the expected fold-change coverage, what :meth:`predict_codes`
            returns) or ``"cut"`` (the rate of Tn5 cuts before the 150-bp pileup window).
        background:
            Add the GC-dependent background (else only the motif-driven signal).
        """
        if kernel not in ("coverage", "cut"):
            raise ValueError(f"kernel must be 'coverage' or 'cut', got {kernel!r}")
        kern = self.kernel if kernel == "coverage" else self.cut_kernel
        u = channels.dense(self.mix[target])
        out = _conv_same(u, kern) if u.any() else np.zeros(channels.length, dtype=np.float32)
        if background:
            out += self.background(gc, target)
        return out.astype(np.float32, copy=False)

    # ------------------------------------------------------------------ public prediction
    def predict_sequence(self, codes: np.ndarray) -> np.ndarray:
        """Expected coverage ``(T, L)`` of one long sequence (a whole chromosome), memory-bounded."""
        codes = np.asarray(codes, dtype=np.uint8)
        ch = self.sparse_channels(codes)
        gc = self.gc_content(codes)
        return np.stack([self.coverage_from_channels(ch, gc, t) for t in range(len(self.target_names))])

    def predict_codes(self, codes: np.ndarray, *, batch_size: int | None = None) -> np.ndarray:
        """Expected coverage of a batch of sequences.

        Parameters
        ----------
        codes:
            ``(N, L)`` uint8 base codes (A=0, C=1, G=2, T=3, other=4); a 1-D array is one sequence.
        batch_size:
            Sequences per internal batch (default: about 1 Mb of sequence per batch).

        Returns
        -------
        numpy.ndarray
            ``(N, T, L)`` float32 expected coverage (fold change).
        """
        codes = np.asarray(codes)
        if codes.ndim == 1:
            codes = codes[None]
        if codes.ndim != 2:
            raise ValueError(f"codes must have shape (N, L), got {codes.shape}")
        codes = codes.astype(np.uint8, copy=False)
        n, length = codes.shape
        T = len(self.target_names)
        out = np.empty((n, T, length), dtype=np.float32)
        if length > self.block:
            for i in range(n):
                out[i] = self.predict_sequence(codes[i])
            return out
        if batch_size is None:
            batch_size = max(1, (1 << 20) // max(length, 1))
        for i in range(0, n, batch_size):
            out[i : i + batch_size] = self._predict_batch(codes[i : i + batch_size])
        return out

    def _predict_batch(self, codes: np.ndarray) -> np.ndarray:
        # pad so that hits whose core overlaps the window edge are seen (N outside)
        pad = self._max_ext
        n, length = codes.shape
        padded = np.pad(codes, ((0, 0), (pad, pad)), constant_values=4)
        ch = self.channels(padded)  # (N, C, L + 2 pad)
        mixed = np.einsum("tc,ncl->ntl", self.mix, ch, optimize=True)
        cov = _conv_same(mixed, self.kernel)[..., pad : pad + length]
        cov += self.background(self.gc_content(codes))
        return cov.astype(np.float32, copy=False)

    def __call__(self, x_onehot: np.ndarray) -> np.ndarray:
        """Expected coverage ``(N, T, L)`` of one-hot sequences ``(N, 4, L)`` (all-zero column = N)."""
        x = np.asarray(x_onehot)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[1] != 4:
            raise ValueError(f"one-hot input must have shape (N, 4, L), got {x.shape}")
        codes = np.where(x.max(axis=1) > 0, x.argmax(axis=1), 4).astype(np.uint8)
        return self.predict_codes(codes)

    def __repr__(self) -> str:
        return (
            f"Oracle(targets={len(self.target_names)}, motifs={len(self.grammar.motifs)}, "
            f"pairs={len(self._pairs)})"
        )


def _conv_same(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve along the last axis with a centred odd-length kernel ('same' size, zero padding)."""
    x = np.asarray(x, dtype=np.float32)
    k = np.asarray(kernel, dtype=np.float32)
    shape = (1,) * (x.ndim - 1) + (k.shape[0],)
    if x.shape[-1] == 0:
        return x.copy()
    return signal.oaconvolve(x, k.reshape(shape), mode="same", axes=-1).astype(np.float32, copy=False)


def load_oracle(bundle_dir_or_truth_json: str | os.PathLike[str]) -> Oracle:
    """Rebuild the oracle of a simulated bundle.

    Parameters
    ----------
    bundle_dir_or_truth_json:
        A bundle folder (its ``truth.json`` is read) or the path of a ``truth.json`` file.

    Raises
    ------
    InputFileError
        If the file is missing or holds no oracle.
    """
    path = Path(bundle_dir_or_truth_json)
    if path.is_dir():
        path = path / "truth.json"
    if not path.is_file():
        raise InputFileError(
            "no truth.json found: the oracle exists only for simulated bundles",
            source=path,
            hint="pass a bundle written by `benchsuite simulate` or its truth.json",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Oracle.from_dict(data)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputFileError(
            f"cannot read the oracle from this truth file ({type(exc).__name__}: {exc})",
            source=path,
            hint="re-create the bundle with `benchsuite simulate --force`",
        ) from None
