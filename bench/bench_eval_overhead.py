#!/usr/bin/env python
"""Benchmark the evaluation harness against a bare forward pass over the same windows.

For each model and task, the fixed harness evaluates a freshly built model (weights do not
change the cost) on a simulated bundle, with the profile's evaluation budget. Every window the
harness sends to the model is counted per evaluation phase (each streaming pass over a test
split, ``pass:<kind>``, with the metric families it feeds; each standalone family such as
robustness, CAGI5, motifs), and the phase's wall time is compared with a **bare forward pass**
over the same number of windows: random one-hot batches of the same shape, already in memory,
``torch.inference_mode``, the best of the measured batch sizes, one thread. The bare side
excludes reading the cache, building variant / shifted windows, scanning activations, Tomtom,
metrics, figures and bootstraps; the harness side includes them, so the ratio is the
harness's overhead. Phases without counted windows are listed without a ratio: a family that
is not applicable, and motif recovery, which runs the model's first layer through a forward
hook rather than through the predictor (its cost is activations + Tomtom + logos).

Also printed: the bare forward cost per window at each batch size (the harness predictor's
batch size is chosen by such a measurement), and the target (ratio <= 1.5x) with PASS/FAIL per
phase. The numba compile of Tomtom is excluded (the persistent cache is warmed first).

Usage::

    python bench/bench_eval_overhead.py                           # cnn-baseline, smoke bundle
    python bench/bench_eval_overhead.py --model basenji-128 --profile default
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

#: the harness may cost at most this multiple of a bare forward pass over the same windows
TARGET = 1.5

#: batch sizes of the bare forward pass
BATCHES = (32, 64, 128, 256)


@contextlib.contextmanager
def phases(counter: Counter[str], walls: Counter[str]) -> Iterator[list[str]]:
    """Label the harness's phases (streaming passes, standalone families) while it runs."""
    from benchsuite.evaluate import harness

    current = ["other"]
    stream_split, run_standalone = harness.stream_split, harness._run_standalone

    def timed(label: str, fn: Any, *args: Any) -> None:
        current[0] = label
        t0 = time.perf_counter()
        try:
            fn(*args)
        finally:
            walls[label] += time.perf_counter() - t0
            current[0] = "other"

    harness.stream_split = lambda ctx, kind, fams, result: timed(
        f"pass:{kind}", stream_split, ctx, kind, fams, result
    )
    harness._run_standalone = lambda ctx, fam, result: timed(fam.key, run_standalone, ctx, fam, result)
    try:
        yield current
    finally:
        harness.stream_split, harness._run_standalone = stream_split, run_standalone


def bare_seconds_per_window(model: Any, input_length: int, batch: int, windows: int = 512) -> float:
    """Seconds per window of ``model`` on in-memory random one-hot batches (median of 3)."""
    import torch

    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(batch, input_length))].transpose(0, 2, 1)
    xb = torch.from_numpy(np.ascontiguousarray(x))
    reps = max(1, windows // batch)
    with torch.inference_mode():
        model(xb)  # warm-up
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(reps):
                model(xb)
            times.append((time.perf_counter() - t0) / (reps * batch))
    return sorted(times)[1]


def evaluate_counted(model: Any, task: Any, cache: Any, manifest: Any, options: Any, first_layer: str | None):
    """Run the harness on ``model``; (windows per phase, wall seconds per phase)."""
    from benchsuite.evaluate import TorchPredictor, evaluate_predictor

    predictor = TorchPredictor(model, task)
    counts: Counter[str] = Counter()
    walls: Counter[str] = Counter()
    predict = predictor.predict
    with phases(counts, walls) as current:

        def counting(x: np.ndarray) -> np.ndarray:
            counts[current[0]] += len(x)
            return predict(x)

        predictor.predict = counting  # type: ignore[method-assign]
        evaluate_predictor(predictor, cache, manifest, model=model, first_layer=first_layer, options=options)
    return counts, walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", help="model names (default: cnn-baseline)")
    parser.add_argument("--profile", default="smoke", help="bundle and evaluation budget profile")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args()

    from _world import bench_world, fresh_model

    from benchsuite.plugins import load_plugins

    manifest, cache, options = bench_world(args.profile, args.work)
    registry = load_plugins()
    g = manifest.geometry
    print(
        f"bundle {manifest.name} (input {g.input_length} bp), evaluation budget of profile {args.profile!r}"
    )
    for name in args.model or ["cnn-baseline"]:
        registered = registry.models[name]
        for kind in sorted(registered.spec.tasks):
            model, task = fresh_model(registered, kind, manifest, args.profile)
            per_batch = {b: bare_seconds_per_window(model, g.input_length, b) for b in BATCHES}
            best = min(per_batch, key=lambda b: per_batch[b])
            shown = ", ".join(f"{b}: {1e3 * s:.2f} ms" for b, s in per_batch.items())
            print(f"\n{name}/{kind}: bare forward per window {shown} (best batch {best})")
            counts, walls = evaluate_counted(
                model, task, cache, manifest, options, registered.spec.first_layer_activation
            )
            print(f"  {'phase':<24} {'windows':>8} {'harness s':>10} {'bare s':>8} {'ratio':>7}  target")
            for phase, wall in sorted(walls.items(), key=lambda kv: -kv[1]):
                n = counts.get(phase, 0)
                if not n:
                    print(f"  {phase:<24} {n:>8} {wall:10.2f} {'-':>8} {'-':>7}  (no model windows)")
                    continue
                bare = n * per_batch[best]
                ratio = wall / bare
                verdict = "PASS" if ratio <= TARGET else "FAIL"
                print(f"  {phase:<24} {n:>8} {wall:10.2f} {bare:8.2f} {ratio:6.2f}x  <= {TARGET}x {verdict}")


if __name__ == "__main__":
    main()
