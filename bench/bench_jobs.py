#!/usr/bin/env python
"""Benchmark ``benchsuite run --jobs 1`` against ``--jobs 2`` on a smoke-sized matrix, side by side.

Both runs are the same command (``benchsuite run --all --profile smoke --threads-per-cell 1``,
installed plugins, W&B disabled) into two fresh output folders; only ``--jobs`` differs. The
bundle is simulated and the dataset prepared once beforehand into a shared cache, so both
sides time the same work (**excluded**: simulation and preparation, reported separately, and
the numba compilation of memelite's Tomtom: the persistent numba cache is warmed first).
Rounds alternate the order (1 then 2, 2 then 1) to spread the drift of a shared machine; the
median wall time of each side is compared.

Printed: each round's wall times, the median ratio ``jobs1 / jobs2`` with its target and
PASS/FAIL, and whether the two runs' records are bit-identical (metrics, tables, weights
hashes; timings, dates, checksums, W&B ids and wall times kept in tables excluded), which must
hold.

Target: ``--jobs 2`` >= 1.2x faster on 2 free cores (two 1-thread cells side by side finish a
pair 1.2-1.45x sooner than one after the other here; worker start-up costs ~6 s per cell, so
tiny cells gain less). On a loaded machine the ratio drops: say so when reporting it.

Usage::

    python bench/bench_jobs.py                 # 1 round, the whole smoke matrix
    python bench/bench_jobs.py --rounds 3      # median of 3 alternating rounds
    python bench/bench_jobs.py --model cnn-baseline --model basset
    python bench/bench_jobs.py --profile default --model cnn-baseline   # two default-profile cells
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: ``--jobs 2`` must be at least this much faster than ``--jobs 1`` (wall time ratio)
TARGET = 1.2

#: record fields that may differ between two runs of the same cell
VOLATILE = {"timings", "created_at", "checksum", "wandb", "environment"}


def benchsuite(args: list[str], env: dict[str, str]) -> float:
    """Run ``benchsuite ARGS``; its wall time (raises on a non-zero exit)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "benchsuite", *args], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"benchsuite {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return wall


def stable(path: Path, out_dir: Path) -> dict:
    """A record without the fields that may differ between runs of the same cell (figure paths
    are made relative to the run's output folder ``out_dir``, which differs by construction)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    out = {k: v for k, v in record.items() if k not in VOLATILE}
    prefix = str(out_dir) + os.sep
    out["figures"] = {k: str(v).removeprefix(prefix) for k, v in (record.get("figures") or {}).items()}
    out["tables"] = {
        name: {k: v for k, v in table.items() if k != "seconds"} if isinstance(table, dict) else table
        for name, table in record["tables"].items()
    }
    return out


def identical(one: Path, two: Path) -> tuple[int, list[str]]:
    """How many records the two output folders share, and the cells whose records differ."""
    first = {p.relative_to(one): p for p in one.glob("*/*/*/seed*/record.json")}
    second = {p.relative_to(two): p for p in two.glob("*/*/*/seed*/record.json")}
    differ = sorted(str(k.parent) for k in first.keys() | second.keys() if k not in first or k not in second)
    differ += sorted(
        str(k.parent) for k in first.keys() & second.keys() if stable(first[k], one) != stable(second[k], two)
    )
    return len(first.keys() & second.keys()), differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds (median reported)")
    parser.add_argument("--model", action="append", help="only these models (default: --all)")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--profile", default="smoke", help="bundle and training profile (default smoke)")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    env = dict(os.environ, WANDB_MODE="disabled", BENCHSUITE_CACHE=str(work / "cache"), COLUMNS="200")
    env.pop("BENCHSUITE_JOBS", None)
    selection = ["--all"] if not args.model else [f"--model={m}" for m in args.model]
    common = ["run", *selection, "--profile", args.profile, "--wandb", "disabled", "--threads-per-cell", "1"]
    bundle = work / "bundle"
    setup = 0.0
    if not (bundle / "manifest.yaml").exists():  # a work folder of an earlier run is reused
        setup = benchsuite(["simulate", "--profile", args.profile, "--out", str(bundle), "--seed", "0"], env)
    warm = benchsuite(["data", "prepare", str(bundle)], env)
    print(f"excluded: simulate {setup:.1f} s, prepare {warm:.1f} s (done once, shared by both sides)")
    from benchsuite.evaluate.motifs.tomtom import use_numba_cache, warm_up

    use_numba_cache(env)
    os.environ.update({k: v for k, v in env.items() if k == "NUMBA_CACHE_DIR"})
    print(f"excluded: numba warm-up {warm_up():.1f} s (cache {env['NUMBA_CACHE_DIR']})")

    walls: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.rounds):
        order = (1, 2) if r % 2 == 0 else (2, 1)
        for jobs in order:
            out = work / f"round{r}-jobs{jobs}"
            walls[jobs].append(
                benchsuite([*common, "--bundle", str(bundle), "--out", str(out), "--jobs", str(jobs)], env)
            )
        print(
            f"round {r + 1} (order {order[0]} then {order[1]}): "
            f"jobs 1 {walls[1][-1]:.1f} s, jobs 2 {walls[2][-1]:.1f} s"
        )
        shared, differ = identical(work / f"round{r}-jobs1", work / f"round{r}-jobs2")
        verdict = "PASS" if not differ and shared else "FAIL"
        print(
            f"  records bit-identical: {shared - len(differ)}/{shared} {verdict}"
            + (f" (differ: {differ})" if differ else "")
        )
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    ratio = one / two
    print(
        f"run {' '.join(selection)} --profile {args.profile}: jobs 1 {one:.1f} s, jobs 2 {two:.1f} s, "
        f"ratio {ratio:.2f}x (target >= {TARGET}x) {'PASS' if ratio >= TARGET else 'FAIL'}"
    )
    print(
        f"cores usable: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.2f} "
        "(a shared machine lowers the ratio)"
    )


if __name__ == "__main__":
    main()
