#!/usr/bin/env python
"""Benchmark: the motif + interpretation families of one cell with and without drawing figures.

One freshly built model (weights do not change the cost) is scored by the two figure-producing
families only (``motifs``, ``interpret``) on a simulated bundle with the profile's evaluation
budget, side by side in this process, alternating, the median of ``--repeats``:

* ``data only``: what evaluation does now, the figure data (JSON, ``.npz``, ``filters.meme``)
  written to the cell's figures folder;
* ``data + drawn``: the same, then every figure drawn from that data
  (:func:`benchsuite.evaluate.figures_render.render_cell_figures`), which is what every cell paid
  when the families drew their PNGs themselves;
* ``no figures``: no output folder at all (the floor).

Printed: seconds of each, the saving per cell of not drawing, and the ratio data-only / drawn.
The target is that writing the data costs at most 5% of what drawing cost (PASS/FAIL): the
figures' cost is gone from evaluation, not moved. Excluded: the numba compile of Tomtom (the
persistent cache is warmed first), simulating and preparing the bundle. Metrics are identical
in all three (checked).

Usage::

    python bench/bench_figures.py                        # cnn-baseline, smoke bundle, default budget
    python bench/bench_figures.py --model basenji-128 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

#: writing the figure data may cost at most this fraction of drawing the figures
TARGET = 0.05


def evaluate(
    model: Any, task: Any, cache: Any, manifest: Any, options: Any, first_layer: Any, out: Path | None
):
    """Seconds of the motif + interpret families (and drawing, ``out`` given), and the metrics."""
    from benchsuite.evaluate import TorchPredictor
    from benchsuite.evaluate.families.interpret import Interpret
    from benchsuite.evaluate.families.motifs import Motifs
    from benchsuite.evaluate.harness import run_families
    from benchsuite.evaluate.sources import PredictorSource

    source = PredictorSource(TorchPredictor(model, task), len(task.target_names))
    t0 = time.perf_counter()
    result = run_families(
        source,
        cache,
        manifest,
        options,
        model=model,
        first_layer=first_layer,
        out_dir=out,
        families=[Motifs(), Interpret()],
    )
    return time.perf_counter() - t0, result.metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="cnn-baseline")
    parser.add_argument("--task", default="quantitative")
    parser.add_argument("--bundle-profile", default="smoke", help="simulated bundle profile")
    parser.add_argument("--eval-profile", default="default", help="evaluation budget profile")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args()

    from _world import bench_world, fresh_model

    from benchsuite.evaluate.figures_render import render_cell_figures
    from benchsuite.plugins import load_plugins

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-figures-"))
    manifest, cache, options = bench_world(args.bundle_profile, work, args.eval_profile)
    registered = load_plugins().models[args.model]
    g = manifest.geometry
    model, task = fresh_model(registered, args.task, manifest, args.eval_profile)
    first_layer = registered.spec.first_layer_activation
    print(
        f"{args.model}/{args.task} on {manifest.name} (input {g.input_length} bp), evaluation budget "
        f"{args.eval_profile!r}, families motifs + interpret, 1 thread, median of {args.repeats}"
    )
    evaluate(model, task, cache, manifest, options, first_layer, None)  # warm-up (oracle readouts memoised)
    times: dict[str, list[float]] = {"no figures": [], "data only": [], "data + drawn": [], "drawing": []}
    metrics: list[Any] = []
    for k in range(args.repeats):
        seconds, m = evaluate(model, task, cache, manifest, options, first_layer, None)
        times["no figures"].append(seconds)
        metrics.append(m)
        seconds, m = evaluate(model, task, cache, manifest, options, first_layer, work / f"data{k}")
        times["data only"].append(seconds)
        metrics.append(m)
        seconds, m = evaluate(model, task, cache, manifest, options, first_layer, work / f"drawn{k}")
        t0 = time.perf_counter()
        written = render_cell_figures(work / f"drawn{k}")
        drawing = time.perf_counter() - t0
        times["data + drawn"].append(seconds + drawing)
        times["drawing"].append(drawing)
        metrics.append(m)
    same = len({json.dumps(m, sort_keys=True) for m in metrics}) == 1
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"  figures drawn per cell: {', '.join(sorted(written))}")
    for label in ("no figures", "data only", "data + drawn"):
        print(f"  {label:<14} {med[label]:7.2f} s   (runs: {', '.join(f'{s:.2f}' for s in times[label])})")
    print(f"  drawing alone  {med['drawing']:7.2f} s   (saved per cell by not drawing)")
    print(f"  data only / data + drawn = {med['data only'] / med['data + drawn']:.3f}")
    writing = med["data only"] - med["no figures"]
    verdict = "PASS" if writing <= TARGET * med["drawing"] else "FAIL"
    print(
        f"  writing the data: {writing:+.3f} s = {100 * writing / med['drawing']:.1f}% of drawing"
        f"   target <= {100 * TARGET:.0f}% {verdict}"
    )
    print(f"  metrics identical in all runs: {same}")


if __name__ == "__main__":
    main()
