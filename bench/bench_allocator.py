#!/usr/bin/env python
"""Benchmark benchsuite's glibc malloc settings (benchsuite.run.allocator) against glibc's defaults.

Each side runs in its own fresh process (malloc settings are per process), alternating
default / tuned ``--rounds`` times, one torch thread each:

- ``forward``: a freshly built, seeded model of the default size profile on 128 random one-hot
  windows of 1,024 bp (the harness's batch for quantitative models), ``--reps`` passes in
  ``torch.inference_mode``;
- ``train``: ``--steps`` Adam steps of the same model on batches of 32 (the profile's batch
  size) with a Poisson loss against random counts.

Printed per workload: the median seconds of each side, the ratio default / tuned (the speed-up),
the target (>= 1.0x: the settings must never slow a run down) with PASS/FAIL, and whether the
outputs (forward) and the trained weights (train) are bit-identical between the sides, which
they must be. Excluded: importing torch, loading the plugins and building the model.

Usage::

    python bench/bench_allocator.py                     # basenji-32 (quantitative)
    python bench/bench_allocator.py --model bpnet --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

#: the tuned side must be at least this much faster than glibc's defaults
TARGET = 1.0

CHILD = r"""
import hashlib, json, sys, time
import numpy as np
import torch

if sys.argv[1] == "tuned":
    from benchsuite.run.allocator import tune_allocator

    assert tune_allocator(), "mallopt was not applied"
torch.set_num_threads(1)
from benchsuite.plugins import load_plugins

model_name, kind, reps, steps = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
registered = load_plugins().models[model_name]
task = registered.spec.task_spec(kind, input_length=1024, num_targets=3)


def build():
    torch.manual_seed(0)
    return registered.build(task, profile="default")


rng = np.random.default_rng(0)
onehot = np.eye(4, dtype=np.float32)
x = torch.from_numpy(np.ascontiguousarray(onehot[rng.integers(0, 4, size=(128, 1024))].transpose(0, 2, 1)))
model = build().eval()
with torch.inference_mode():
    model(x)
    t0 = time.perf_counter()
    for _ in range(reps):
        y = model(x)
    forward = time.perf_counter() - t0
out_hash = hashlib.sha256(y.numpy().tobytes()).hexdigest()

model = build().train()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xb, yb = x[:32], None
t0 = time.perf_counter()
for step in range(steps):
    pred = model(x[(step % 4) * 32 : (step % 4 + 1) * 32])
    if yb is None:
        yb = torch.from_numpy(rng.poisson(1.0, size=tuple(pred.shape)).astype(np.float32))
    loss = torch.nn.functional.poisson_nll_loss(pred, yb, log_input=False) if kind == "quantitative" else (
        torch.nn.functional.binary_cross_entropy_with_logits(pred, (yb > 0).float()))
    opt.zero_grad()
    loss.backward()
    opt.step()
train = time.perf_counter() - t0
weights = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
print(json.dumps({"forward": forward, "train": train, "out": out_hash, "weights": weights}))
"""


def _side(side: str, args: argparse.Namespace) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["BENCHSUITE_MALLOC"] = "default" if side == "default" else ""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, side, args.model, args.task, str(args.reps), str(args.steps)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{side} side failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="basenji-32")
    parser.add_argument("--task", default="quantitative", choices=("binary", "quantitative"))
    parser.add_argument("--rounds", type=int, default=3, help="default/tuned pairs, alternating")
    parser.add_argument("--reps", type=int, default=12, help="forward passes of 128 windows")
    parser.add_argument("--steps", type=int, default=40, help="training steps of 32 windows")
    args = parser.parse_args(argv)
    results: dict[str, list[dict]] = {"default": [], "tuned": []}
    for _ in range(args.rounds):
        for side in results:
            results[side].append(_side(side, args))
    print(f"{args.model} ({args.task}), 1 thread, median of {args.rounds} alternating fresh processes")
    failed = False
    for workload, key in (("forward", "out"), ("train", "weights")):
        default = statistics.median(r[workload] for r in results["default"])
        tuned = statistics.median(r[workload] for r in results["tuned"])
        identical = len({r[key] for side in results.values() for r in side}) == 1
        ratio = default / tuned
        ok = ratio >= TARGET and identical
        failed |= not ok
        print(
            f"  {workload:8s} glibc default {default:7.3f} s   tuned {tuned:7.3f} s   speed-up {ratio:5.2f}x "
            f"(target >= {TARGET:.1f}x)   {key} bit-identical: {identical}   {'PASS' if ok else 'FAIL'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
