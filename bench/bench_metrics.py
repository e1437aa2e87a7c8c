#!/usr/bin/env python
"""Benchmark the harness's metrics against the fastest fair baseline: a vectorised per-target numpy loop.

Speed targets are measured here, not in timed tests (CONTRIBUTING.md, "Tests"); the metric
definitions are in docs/protocol.md. Each row prints its target and PASS/FAIL.

Both sides see the same arrays: predictions and truths of shape ``(N, T, L)`` (``T`` targets,
``N`` sequences of ``L`` positions; ``N * L`` positions per target). The baseline is what a
careful user would write with numpy, given the whole arrays in memory: per target, one float64
conversion, then ``np.corrcoef``-style sums for Pearson, a mean for MSE and ``argsort``-based
ranks (ties averaged with ``scipy.stats.rankdata``) for Spearman; per-sequence Pearson is one
vectorised computation over all (sequence, target) rows. (A scipy call per (sequence, target)
is far slower and would flatter the harness: it is not used.) Comparisons, like with like:

1. **whole-chromosome Pearson + MSE** - the numpy loop against :class:`StreamingPearson` +
   :class:`StreamingMSE` updated batch by batch exactly as the harness does;
2. **whole-chromosome Spearman** - numpy ranks per target against :class:`StreamingSpearman`
   (spool + rank), exact method and histogram method;
3. **all three together** against the streaming accumulators (exact / histogram Spearman);
4. **per-sequence Pearson** - vectorised numpy against :func:`per_sequence_pearson_matrix` on
   batches (the harness's perseq/thresholded/peak path).

Target: the harness is at least as fast as the baseline (ratio >= 1.0x) although it streams
batches (the baseline needs the whole arrays in memory; their size is printed). Printed for each:
wall time of both, the ratio, the target and PASS/FAIL, the largest absolute difference of the
values, and the peak of newly allocated memory (``tracemalloc``, a separate run; the inputs
themselves are excluded). Excluded: producing the predictions (model forward passes).

Usage::

    python bench/bench_metrics.py                      # 15 targets x 2e6 positions
    python bench/bench_metrics.py --positions 10000000 # 1e7 positions per target
    python bench/bench_metrics.py --quick              # small smoke run
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from scipy import stats

from benchsuite.evaluate.stats import (
    StreamingMSE,
    StreamingPearson,
    StreamingSpearman,
    masked_rows,
    per_sequence_pearson_matrix,
)


def make_data(n_seq: int, targets: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Coverage-like float32 arrays: gamma truth with exact zeros, a correlated noisy prediction."""
    rng = np.random.default_rng(seed)
    true = rng.gamma(0.5, 2.0, size=(n_seq, targets, length)).astype(np.float32)
    true[true < 0.05] = 0.0
    pred = (0.7 * true + rng.gamma(1.0, 0.5, size=true.shape)).astype(np.float32)
    return pred, true


# ------------------------------------------------------------------------------------------ numpy baseline

#: the harness must be at least this fast relative to the baseline (ratio of wall times)
TARGET = 1.0


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    xc, yc = x - x.mean(), y - y.mean()
    return float((xc @ yc) / np.sqrt((xc @ xc) * (yc @ yc)))


def numpy_pearson_mse(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    out = []
    for t in range(pred.shape[1]):
        x, y = pred[:, t].ravel().astype(np.float64), true[:, t].ravel().astype(np.float64)
        out.append((_pearson(x, y), float(np.mean((x - y) ** 2))))
    return np.array(out)


def numpy_spearman(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    rho = [
        _pearson(stats.rankdata(pred[:, t].ravel()), stats.rankdata(true[:, t].ravel()))
        for t in range(pred.shape[1])
    ]
    return np.array(rho)


def numpy_all(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    out = []
    for t in range(pred.shape[1]):
        x, y = pred[:, t].ravel().astype(np.float64), true[:, t].ravel().astype(np.float64)
        out.append(
            (_pearson(x, y), _pearson(stats.rankdata(x), stats.rankdata(y)), float(np.mean((x - y) ** 2)))
        )
    return np.array(out)


def numpy_perseq(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    x, y = pred.astype(np.float64), true.astype(np.float64)
    xc, yc = x - x.mean(-1, keepdims=True), y - y.mean(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(-1) / np.sqrt((xc * xc).sum(-1) * (yc * yc).sum(-1))


# ------------------------------------------------------------------------------------------ streaming side


def streaming(
    pred: np.ndarray, true: np.ndarray, batch: int, *, pearson: bool = True, spearman: str | None = None
) -> np.ndarray:
    p, m = StreamingPearson(), StreamingMSE()
    sp = StreamingSpearman(spearman) if spearman else None
    try:
        for s in range(0, pred.shape[0], batch):
            x, y, mask = masked_rows(pred[s : s + batch], true[s : s + batch])
            if sp is not None:
                sp.update_rows(x, y, mask)
            if pearson:
                m.update_rows(x, y, mask)
                p.update_rows(x, y, mask)
        cols = []
        if pearson:
            cols += [p.compute(), m.compute()]
        if sp is not None:
            cols.append(sp.compute())
        return np.stack(cols, axis=1)
    finally:
        if sp is not None:
            sp.close()


def streaming_perseq(pred: np.ndarray, true: np.ndarray, batch: int) -> np.ndarray:
    starts = range(0, len(pred), batch)
    parts = [per_sequence_pearson_matrix(pred[s : s + batch], true[s : s + batch]) for s in starts]
    return np.concatenate(parts)


# ------------------------------------------------------------------------------------------ measuring


def timed(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=15)
    parser.add_argument("--positions", type=int, default=2_000_000, help="positions per target")
    parser.add_argument("--length", type=int, default=1024, help="positions per sequence")
    parser.add_argument("--batch", type=int, default=64, help="sequences per streaming update")
    parser.add_argument("--perseq-seqs", type=int, default=3000)
    parser.add_argument("--perseq-bins", type=int, default=64)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.positions, args.perseq_seqs = 200_000, 300

    n_seq = max(1, args.positions // args.length)
    pred, true = make_data(n_seq, args.targets, args.length)
    positions = n_seq * args.length
    print(
        f"whole-chromosome arrays: {args.targets} targets x {positions:,} positions "
        f"({n_seq} sequences of {args.length}); batch {args.batch} sequences; "
        f"inputs {2 * pred.nbytes / 2**20:.0f} MiB (the numpy loop needs them all in memory, "
        f"streaming one batch: {2 * pred[: args.batch].nbytes / 2**20:.1f} MiB)"
    )

    b = args.batch
    ps_pred, ps_true = make_data(args.perseq_seqs, args.targets, args.perseq_bins, seed=1)
    baselines: dict[str, Callable[[], np.ndarray]] = {
        "pearson+mse": lambda: numpy_pearson_mse(pred, true),
        "spearman": lambda: numpy_spearman(pred, true),
        "all": lambda: numpy_all(pred, true),
        "perseq": lambda: numpy_perseq(ps_pred, ps_true),
    }
    reorder = [0, 2, 1]  # numpy_all columns (pearson, spearman, mse) -> streaming (pearson, mse, spearman)
    Diff = Callable[[np.ndarray, np.ndarray], float]
    comparisons: list[tuple[str, str, Callable[[], np.ndarray], Diff]] = [
        ("pearson + mse", "pearson+mse", lambda: streaming(pred, true, b), lambda s, o: np.abs(s - o).max()),
        (
            "spearman (exact)",
            "spearman",
            lambda: streaming(pred, true, b, pearson=False, spearman="exact"),
            lambda s, o: np.abs(s - o[:, 0]).max(),
        ),
        (
            "spearman (histogram)",
            "spearman",
            lambda: streaming(pred, true, b, pearson=False, spearman="histogram"),
            lambda s, o: np.abs(s - o[:, 0]).max(),
        ),
        (
            "all three (exact spearman)",
            "all",
            lambda: streaming(pred, true, b, spearman="exact"),
            lambda s, o: np.abs(s[:, reorder] - o).max(),
        ),
        (
            "all three (histogram spearman)",
            "all",
            lambda: streaming(pred, true, b, spearman="histogram"),
            lambda s, o: np.abs(s[:, reorder] - o).max(),
        ),
        (
            f"per-sequence pearson ({args.perseq_seqs}x{args.targets} of {args.perseq_bins} bins)",
            "perseq",
            lambda: streaming_perseq(ps_pred, ps_true, b),
            lambda s, o: float(np.nanmax(np.abs(s - o))),
        ),
    ]

    header = (
        f"{'metric':<48} {'numpy s':>9} {'ours s':>9} {'ratio':>8} {'target':>7} {'':>4} {'max|diff|':>10}"
    )
    if not args.no_memory:
        header += f" {'numpy MiB':>10} {'ours MiB':>9}"
    print(header)
    measured: dict[str, tuple[float, np.ndarray, float | None]] = {}
    for name, key, ours, diff in comparisons:
        if key not in measured:  # rows sharing a baseline reuse its measurement
            t_ref, v_ref = timed(baselines[key])
            measured[key] = (t_ref, v_ref, None if args.no_memory else peak_mb(baselines[key]))
        t_ref, v_ref, mem_ref = measured[key]
        t_ours, v_ours = timed(ours)
        ratio = t_ref / t_ours
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        line = (
            f"{name:<48} {t_ref:9.3f} {t_ours:9.3f} {ratio:7.2f}x {'>=' + format(TARGET, '.1f') + 'x':>7} "
            f"{verdict:>4} {diff(v_ref, v_ours):10.2e}"
        )
        if mem_ref is not None:
            line += f" {mem_ref:10.1f} {peak_mb(ours):9.1f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
