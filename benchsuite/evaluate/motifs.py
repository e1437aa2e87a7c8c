"""Motif recovery of first-layer convolutional filters (SPEC §5.8; paper Methods "Tomtom").

1. **First layer.** ``first_layer`` is the dotted path of the module whose output is the
   first-layer activation (a plugin's ``ModelSpec.first_layer_activation``, e.g.
   ``"conv1.act"``). With ``None`` the first ``torch.nn.Conv1d`` with ``in_channels == 4`` (in
   module registration order) is used and the activation is ``ReLU`` of its output. The
   filter geometry (width, stride, dilation, padding) always comes from that first
   ``Conv1d(4, ...)``; a model without one raises :class:`NotApplicable`, and so does an
   activation whose channels or length do not match that convolution (e.g. a pooled output),
   because its positions could not be aligned to input windows. The forward pass is stopped
   as soon as the activation has been computed, so the rest of the model never runs.

2. **Position probability matrices** by activation-based alignment (Koo & Eddy 2019): a first
   pass finds each filter's maximum activation over all sequences; a second pass collects, for
   every position where the activation exceeds ``0.5 x`` that maximum, the one-hot input window
   the filter saw there (N bases and padding contribute nothing). The PPM is the column-normalised
   count matrix after adding :data:`PSEUDOCOUNT` to every cell. A filter with no such window
   (maximum activation <= 0) gets a uniform PPM, is not compared and counts as non-matching
   (best q = 1).

3. **Comparison** with memelite's Tomtom (complete score, both strands) of every filter PPM
   against every database motif; q-values are Benjamini-Hochberg adjusted p-values **per
   filter over the database motifs**, as MEME's Tomtom computes them per query. A filter
   *matches* a motif when q < ``q_threshold``.

4. **Metrics.** ``hit_ratio``: fraction of filters with at least one match; ``mean_best_q``:
   mean over all filters of their smallest q-value; ``recovery_rate`` (beyond the paper, with a
   ground truth): fraction of the ground-truth motifs matched by at least one filter.

Motifs can be excluded from the database (the paper excluded JASPAR MA1929.1 and MA0615.1,
which attract low-information filters): an entry of ``exclude_motifs`` removes motifs whose
name or alternative name equals it; a JASPAR matrix ID with a version (``MA1929.1``) also removes
the other versions of that matrix (``MA1929.2`` in JASPAR 2024).
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchsuite.errors import InputFileError, PluginError
from benchsuite.io.meme import Motif, read_meme, write_meme
from benchsuite.io.onehot import one_hot

__all__ = [
    "ACTIVATION_THRESHOLD",
    "PSEUDOCOUNT",
    "FilterPPMs",
    "FirstLayer",
    "MotifResult",
    "NotApplicable",
    "activation_ppms",
    "bh_qvalues",
    "locate_first_layer",
    "motif_recovery",
    "select_motifs",
    "tomtom_pvalues",
]

logger = logging.getLogger(__name__)

ACTIVATION_THRESHOLD = 0.5
"""Fraction of a filter's maximum activation above which an input window is collected."""

PSEUDOCOUNT = 0.01
"""Count added to every cell of a filter's count matrix before normalising it."""

MAX_LOGOS = 32
"""At most this many filter logos are drawn (the best-matching ones)."""

_JASPAR_ID = re.compile(r"^(MA\d{4})\.\d+$")


class NotApplicable(Exception):  # noqa: N818 - the harness's name for "metric does not apply"
    """The motif metrics do not apply to this model (e.g. no convolutional first layer).

    Parameters
    ----------
    reason:
        Why, in one sentence; recorded in ``EvalResult.not_applicable``.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass
class MotifResult:
    """Outcome of :func:`motif_recovery`.

    Attributes
    ----------
    hit_ratio:
        Fraction of filters matching at least one database motif at q < ``q_threshold``.
    mean_best_q:
        Mean over filters of their smallest q-value (1.0 for filters without sites).
    recovery_rate:
        Fraction of the ground-truth motifs matched by at least one filter (None without
        a ground truth).
    n_filters:
        Number of first-layer filters.
    matches:
        Per filter: ``filter`` (index), ``best_motif`` (database name, None without sites),
        ``best_q``, ``best_p``, ``n_matches`` (motifs at q < threshold) and ``n_sites``
        (windows that built its PPM).
    recovered:
        Ground-truth motif names matched by at least one filter (empty without ground truth).
    figure:
        Path of the logo PNG when ``out_dir`` was given, else None.
    """

    hit_ratio: float
    mean_best_q: float
    recovery_rate: float | None
    n_filters: int
    matches: list[dict[str, Any]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    figure: str | None = None


@dataclass(frozen=True)
class FirstLayer:
    """The located first layer of a model.

    Attributes
    ----------
    conv, conv_name:
        The first ``Conv1d`` with 4 input channels and its dotted name (filter geometry).
    module, module_name:
        The module whose output is the activation (``conv`` itself when ``first_layer`` is None).
    apply_relu:
        Whether ReLU is applied to the module output (only for the automatic choice).
    """

    conv: torch.nn.Conv1d
    conv_name: str
    module: torch.nn.Module
    module_name: str
    apply_relu: bool

    @property
    def width(self) -> int:
        """Filter width in bases."""
        return int(self.conv.kernel_size[0])

    @property
    def n_filters(self) -> int:
        """Number of filters (output channels)."""
        return int(self.conv.out_channels)


@dataclass
class FilterPPMs:
    """Filter position probability matrices from activation-based alignment.

    Attributes
    ----------
    ppms:
        ``(F, w, 4)`` float64, rows sum to 1 (uniform for filters without sites).
    n_sites:
        ``(F,)`` number of windows collected per filter.
    max_activation:
        ``(F,)`` maximum activation of each filter over all sequences.
    """

    ppms: np.ndarray
    n_sites: np.ndarray
    max_activation: np.ndarray


# ----------------------------------------------------------------------------------------------
# first layer


def locate_first_layer(model: torch.nn.Module, first_layer: str | None) -> FirstLayer:
    """Find the first convolution and the module whose output is the first-layer activation.

    Parameters
    ----------
    model:
        The trained torch model.
    first_layer:
        Dotted module path of the activation, or None for ReLU of the first ``Conv1d(4, ...)``.

    Returns
    -------
    FirstLayer

    Raises
    ------
    NotApplicable
        The model has no ``Conv1d`` with 4 input channels.
    PluginError
        ``first_layer`` names no module of the model.
    """
    modules = dict(model.named_modules())
    convs = [
        (name, m) for name, m in modules.items() if isinstance(m, torch.nn.Conv1d) and m.in_channels == 4
    ]
    if not convs:
        raise NotApplicable("the model has no torch.nn.Conv1d first layer with 4 input channels")
    conv_name, conv = convs[0]
    if first_layer is None:
        return FirstLayer(conv=conv, conv_name=conv_name, module=conv, module_name=conv_name, apply_relu=True)
    if first_layer not in modules:
        raise PluginError(
            f"first-layer activation module {first_layer!r} does not exist in the model",
            source=first_layer,
            hint="set ModelSpec.first_layer_activation to a dotted name from model.named_modules()",
        )
    return FirstLayer(
        conv=conv, conv_name=conv_name, module=modules[first_layer], module_name=first_layer, apply_relu=False
    )


class _Captured(Exception):  # noqa: N818 - control flow, never escapes this module
    pass


def _conv_left_padding(conv: torch.nn.Conv1d) -> int:
    padding = conv.padding
    if isinstance(padding, str):
        if padding == "valid":
            return 0
        # "same": torch pads dilation * (width - 1) in total, the smaller half on the left
        return (int(conv.dilation[0]) * (int(conv.kernel_size[0]) - 1)) // 2
    return int(padding[0])


def _activations(model: torch.nn.Module, layer: FirstLayer, x: torch.Tensor) -> torch.Tensor:
    """First-layer activation ``(B, F, L_out)`` of a one-hot batch; stops the forward early."""
    store: dict[str, torch.Tensor] = {}

    def conv_hook(_m: torch.nn.Module, _i: Any, out: torch.Tensor) -> None:
        store.setdefault("conv", out)
        if layer.module is layer.conv:
            raise _Captured

    def act_hook(_m: torch.nn.Module, _i: Any, out: Any) -> None:
        store.setdefault("act", out[0] if isinstance(out, (tuple, list)) else out)
        raise _Captured

    handles = [layer.conv.register_forward_hook(conv_hook)]
    if layer.module is not layer.conv:
        handles.append(layer.module.register_forward_hook(act_hook))
    try:
        model(x)
    except _Captured:
        pass
    finally:
        for h in handles:
            h.remove()
    conv_out = store.get("conv")
    act = conv_out if layer.module is layer.conv else store.get("act")
    if conv_out is None or act is None:
        raise NotApplicable(
            f"the first-layer modules ({layer.conv_name}, {layer.module_name}) did not run in the "
            "forward pass"
        )
    if not isinstance(act, torch.Tensor) or act.dim() != 3:
        raise NotApplicable(f"the output of {layer.module_name} is not a (batch, filters, length) tensor")
    if act.shape[1] != conv_out.shape[1] or act.shape[2] != conv_out.shape[2]:
        raise NotApplicable(
            f"the output of {layer.module_name} {tuple(act.shape)} does not match the convolution "
            f"{layer.conv_name} {tuple(conv_out.shape)}; its positions cannot be aligned to input windows"
        )
    if layer.apply_relu:
        act = torch.relu(act)
    return act.detach().float()


def _subsample(codes: np.ndarray, max_sequences: int | None) -> np.ndarray:
    if max_sequences is not None and len(codes) > max_sequences:
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(codes), size=max_sequences, replace=False))
        return codes[keep]
    return codes


@torch.no_grad()
def activation_ppms(
    model: torch.nn.Module,
    first_layer: str | None,
    sequences_codes: np.ndarray,
    *,
    threshold: float = ACTIVATION_THRESHOLD,
    pseudocount: float = PSEUDOCOUNT,
    batch_size: int | None = None,
    layer: FirstLayer | None = None,
) -> FilterPPMs:
    """Position probability matrices of the first-layer filters by activation-based alignment.

    Parameters
    ----------
    model:
        The torch model (put in eval mode for the passes, then restored).
    first_layer:
        Dotted module path of the activation, or None (see :func:`locate_first_layer`).
    sequences_codes:
        ``(N, L)`` uint8 base codes.
    threshold:
        Fraction of each filter's maximum activation above which windows are collected.
    pseudocount:
        Added to every count before normalising.
    batch_size:
        Sequences per forward pass (default: up to 64, fewer for long sequences or wide filters
        so that the gathered input windows stay under ~32 MiB).
    layer:
        An already located first layer (skips :func:`locate_first_layer`).

    Returns
    -------
    FilterPPMs
    """
    layer = layer or locate_first_layer(model, first_layer)
    codes = np.asarray(sequences_codes, dtype=np.uint8)
    if codes.ndim != 2 or len(codes) == 0:
        raise ValueError(f"sequences_codes must be a non-empty (N, L) array, got shape {codes.shape}")
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    conv = layer.conv
    width, stride, dilation = layer.width, int(conv.stride[0]), int(conv.dilation[0])
    left = _conv_left_padding(conv)
    n_filters = layer.n_filters
    if batch_size is None:
        batch_size = int(max(1, min(64, 2**23 // (codes.shape[1] * width * 4))))
    dtype = conv.weight.dtype

    was_training = model.training
    model.eval()
    try:
        # pass 1: maximum activation of each filter over every sequence and position
        max_act = torch.full((n_filters,), -torch.inf)
        for i in range(0, len(codes), batch_size):
            x = torch.from_numpy(one_hot(codes[i : i + batch_size])).to(device=device, dtype=dtype)
            act = _activations(model, layer, x)
            max_act = torch.maximum(max_act, act.amax(dim=(0, 2)).cpu())
        cut = (threshold * max_act).clamp_min(0.0)

        # pass 2: counts of the input windows above the cut
        counts = torch.zeros(n_filters, width * 4, dtype=torch.float64)
        n_sites = torch.zeros(n_filters, dtype=torch.int64)
        for i in range(0, len(codes), batch_size):
            batch = codes[i : i + batch_size]
            x = torch.from_numpy(one_hot(batch)).to(device=device, dtype=dtype)
            act = _activations(model, layer, x).cpu()
            mask = act > cut[None, :, None]  # (B, F, L_out)
            if not mask.any():
                continue
            length_out = act.shape[2]
            # input position of tap j for output i: i * stride - left + j * dilation
            pos = torch.arange(length_out)[:, None] * stride - left + torch.arange(width)[None, :] * dilation
            span = max(0, -int(pos.min())), max(0, int(pos.max()) - batch.shape[1] + 1)
            padded = np.full((len(batch), batch.shape[1] + span[0] + span[1]), 4, dtype=np.uint8)
            padded[:, span[0] : span[0] + batch.shape[1]] = batch
            onehot = torch.from_numpy(one_hot(padded))  # (B, 4, Lp)
            windows = onehot[:, :, pos + span[0]]  # (B, 4, L_out, w)
            windows = windows.permute(0, 2, 3, 1).reshape(-1, width * 4)  # (B * L_out, w * 4)
            m = mask.permute(1, 0, 2).reshape(n_filters, -1).float()  # (F, B * L_out)
            counts += (m @ windows).double()
            n_sites += mask.sum(dim=(0, 2))
    finally:
        model.train(was_training)

    counts_np = counts.numpy().reshape(n_filters, width, 4) + pseudocount
    ppms = counts_np / counts_np.sum(axis=2, keepdims=True)
    sites = n_sites.numpy()
    ppms[sites == 0] = 0.25
    return FilterPPMs(ppms=ppms, n_sites=sites, max_activation=max_act.numpy().astype(np.float64))


# ----------------------------------------------------------------------------------------------
# comparison


def bh_qvalues(pvalues: np.ndarray, axis: int = -1) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) along one axis.

    ``q_(i) = min_{k >= i} min(1, m * p_(k) / k)`` for the p-values sorted ascending along
    ``axis`` (``m`` tests). NaN p-values are treated as 1.

    Parameters
    ----------
    pvalues:
        Array of p-values.
    axis:
        Axis holding one family of tests (default: the last, i.e. per query).

    Returns
    -------
    numpy.ndarray
        q-values, same shape as ``pvalues``.
    """
    p = np.moveaxis(np.asarray(pvalues, dtype=np.float64), axis, -1)
    p = np.where(np.isnan(p), 1.0, p)
    m = p.shape[-1]
    if m == 0:
        return np.moveaxis(p.copy(), -1, axis)
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (m / np.arange(1, m + 1))
    q_sorted = np.minimum(np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1], 1.0)
    q = np.empty_like(q_sorted)
    np.put_along_axis(q, order, q_sorted, axis=-1)
    return np.moveaxis(q, -1, axis)


def select_motifs(motifs: Sequence[Motif], exclude: Sequence[str] = ()) -> tuple[list[Motif], list[str]]:
    """Drop excluded motifs from a database (see the module docstring for the matching rule).

    Returns
    -------
    tuple[list[Motif], list[str]]
        The kept motifs and the names of the removed ones.
    """
    exact = {e for e in exclude}
    bases = {m.group(1) for e in exclude if (m := _JASPAR_ID.match(e))}
    kept: list[Motif] = []
    removed: list[str] = []
    for motif in motifs:
        match = _JASPAR_ID.match(motif.name)
        if (
            motif.name in exact
            or (motif.alt_name and motif.alt_name in exact)
            or (match and match.group(1) in bases)
        ):
            removed.append(motif.name)
        else:
            kept.append(motif)
    return kept, removed


def tomtom_pvalues(ppms: Sequence[np.ndarray], motifs: Sequence[Motif]) -> np.ndarray:
    """Tomtom p-values of every query PPM against every database motif (memelite).

    Parameters
    ----------
    ppms:
        Query matrices, each ``(w, 4)`` (rows = positions, columns A, C, G, T).
    motifs:
        Database motifs.

    Returns
    -------
    numpy.ndarray
        ``(len(ppms), len(motifs))`` p-values of the best alignment (either strand).
    """
    from memelite import tomtom

    if not len(ppms):
        return np.ones((0, len(motifs)))
    queries = [np.ascontiguousarray(np.asarray(p, dtype=np.float64).T) for p in ppms]
    targets = [np.ascontiguousarray(np.asarray(m.ppm, dtype=np.float64).T) for m in motifs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tomtom(queries, targets)
    for w in caught:
        logger.warning("memelite tomtom: %s", w.message)
    p = np.asarray(result[0], dtype=np.float64)
    return np.clip(np.where(np.isnan(p), 1.0, p), 0.0, 1.0)


def _motif_label(motif: Motif) -> str:
    return f"{motif.name} {motif.alt_name}".strip()


def motif_recovery(
    model: torch.nn.Module,
    first_layer: str | None,
    sequences_codes: np.ndarray,
    database_meme_path: str | Path,
    *,
    ground_truth: Sequence[str] | None = None,
    q_threshold: float = 0.05,
    out_dir: str | Path | None = None,
    max_sequences: int | None = 2000,
    exclude_motifs: Sequence[str] = (),
) -> MotifResult:
    """Match first-layer filters to a motif database (hit ratio, mean best q, recovery).

    Parameters
    ----------
    model:
        Trained torch model with a convolutional first layer.
    first_layer:
        Dotted module path of the first-layer activation, or None (ReLU of the first
        ``Conv1d(4, ...)``).
    sequences_codes:
        ``(N, L)`` uint8 base codes (test sequences) used for the alignment.
    database_meme_path:
        MEME file of the motif database (JASPAR, or a simulated bundle's planted motifs).
    ground_truth:
        Names (or alternative names) of the motifs that should be recovered.
    q_threshold:
        A filter matches a motif when its q-value is below this.
    out_dir:
        When given, ``motif_logos.png`` (logos of the matched filters, or of the filters with
        most sites when none matches) and ``filters.meme`` (every filter's PPM) are written here.
    max_sequences:
        Use at most this many sequences (a seeded random subset).
    exclude_motifs:
        Database motifs left out of the comparison (e.g. ``("MA1929.1", "MA0615.1")``).

    Returns
    -------
    MotifResult

    Raises
    ------
    NotApplicable
        The model has no convolutional first layer whose activation can be aligned.
    InputFileError
        The database is missing, malformed or empty after the exclusions.
    """
    layer = locate_first_layer(model, first_layer)
    database_path = Path(database_meme_path)
    if not database_path.is_file():
        raise InputFileError("motif database not found", source=database_path, hint="give a MEME file")
    motifs, removed = select_motifs(read_meme(database_path), exclude_motifs)
    if removed:
        logger.info("motif database: excluded %s", ", ".join(removed))
    if not motifs:
        raise InputFileError(
            "the motif database has no motifs left to compare",
            source=database_path,
            hint="give a MEME file with motifs (check exclude_motifs)",
        )
    codes = _subsample(np.asarray(sequences_codes, dtype=np.uint8), max_sequences)
    t0 = time.perf_counter()
    filt = activation_ppms(model, first_layer, codes, layer=layer)
    t1 = time.perf_counter()
    active = np.flatnonzero(filt.n_sites > 0)
    p = np.ones((layer.n_filters, len(motifs)))
    if active.size:
        p[active] = tomtom_pvalues([filt.ppms[i] for i in active], motifs)
    q = bh_qvalues(p, axis=1)
    q[filt.n_sites == 0] = 1.0
    t2 = time.perf_counter()
    logger.info(
        "motifs: %d filters (%d with sites) from %d sequences in %.1f s; tomtom vs %d motifs in %.1f s",
        layer.n_filters,
        active.size,
        len(codes),
        t1 - t0,
        len(motifs),
        t2 - t1,
    )

    significant = q < q_threshold
    matches: list[dict[str, Any]] = []
    for f in range(layer.n_filters):
        if filt.n_sites[f] == 0:
            best_motif, best_q, best_p = None, 1.0, 1.0
        else:
            # smallest q, ties broken by the smaller p-value
            best = int(np.lexsort((p[f], q[f]))[0])
            best_motif, best_q, best_p = motifs[best].name, float(q[f, best]), float(p[f, best])
        matches.append(
            {
                "filter": f,
                "best_motif": best_motif,
                "best_q": best_q,
                "best_p": best_p,
                "n_matches": int(significant[f].sum()),
                "n_sites": int(filt.n_sites[f]),
            }
        )
    hit = np.array([m["n_matches"] > 0 for m in matches])
    best_q = np.array([m["best_q"] for m in matches])

    recovery_rate: float | None = None
    recovered: list[str] = []
    if ground_truth is not None:
        matched_any = significant.any(axis=0)
        truth = list(dict.fromkeys(ground_truth))
        for name in truth:
            idx = [i for i, m in enumerate(motifs) if name in (m.name, m.alt_name)]
            if not idx:
                logger.warning(
                    "ground-truth motif %s is not in %s (or was excluded); counted as not recovered",
                    name,
                    database_path,
                )
            elif matched_any[idx].any():
                recovered.append(name)
        recovery_rate = len(recovered) / len(truth) if truth else None

    figure = None
    if out_dir is not None:
        figure = str(_write_outputs(Path(out_dir), filt, matches, motifs, q_threshold))

    return MotifResult(
        hit_ratio=float(hit.mean()) if len(hit) else 0.0,
        mean_best_q=float(best_q.mean()) if len(best_q) else 1.0,
        recovery_rate=recovery_rate,
        n_filters=layer.n_filters,
        matches=matches,
        recovered=recovered,
        figure=figure,
    )


def _write_outputs(
    out_dir: Path,
    filt: FilterPPMs,
    matches: list[dict[str, Any]],
    motifs: Sequence[Motif],
    q_threshold: float,
) -> Path:
    from benchsuite.evaluate.figures import plot_motif_logos

    out_dir.mkdir(parents=True, exist_ok=True)
    write_meme(
        out_dir / "filters.meme",
        [Motif(name=f"filter{m['filter']}", ppm=filt.ppms[m["filter"]]) for m in matches],
    )
    labels = {m.name: _motif_label(m) for m in motifs}
    matched = sorted((m for m in matches if m["n_matches"] > 0), key=lambda m: (m["best_q"], m["filter"]))
    if matched:
        chosen = sorted(matched[:MAX_LOGOS], key=lambda m: m["filter"])
        titles = [f"filter {m['filter']}: {labels[m['best_motif']]} (q={m['best_q']:.2g})" for m in chosen]
    else:
        chosen = sorted(matches, key=lambda m: (-m["n_sites"], m["filter"]))[: min(16, MAX_LOGOS)]
        chosen = sorted(chosen, key=lambda m: m["filter"])
        titles = [f"filter {m['filter']}: no match at q<{q_threshold:g}" for m in chosen]
    return plot_motif_logos([filt.ppms[m["filter"]] for m in chosen], titles, out_dir / "motif_logos.png")
