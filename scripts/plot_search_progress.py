"""Plot the validation score of every candidate and the best so far, per architect and task.

Reads the journals of search folders laid out as ``<root>/<architect>-<task>/trials*.jsonl``
(``scripts/search_experiment.sh`` writes ``searches/default-seed0/``) and writes one PNG with a
panel per task::

    python scripts/plot_search_progress.py searches/default-seed0 searches/default-seed0/progress.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchsuite.search.journal import read_all_journals

COLORS = {"random": "#7f7f7f", "tpe": "#1f77b4", "controller": "#d62728"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder holding <architect>-<task>/ search folders")
    parser.add_argument("out", type=Path, help="PNG to write")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folders = sorted(p for p in args.root.iterdir() if p.is_dir() and "-" in p.name)
    tasks = sorted({p.name.split("-", 1)[1] for p in folders}, reverse=True)
    if not tasks:
        print(f"no <architect>-<task>/ search folders in {args.root}", file=sys.stderr)
        return 1
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        for folder in (p for p in folders if p.name.endswith(f"-{task}")):
            architect = folder.name.split("-", 1)[0]
            trials = [t for t in read_all_journals(folder) if isinstance(t.get("score"), float)]
            xs = [int(t["index"]) + 1 for t in trials]
            scores = [float(t["score"]) for t in trials]
            best = [max(scores[: i + 1]) for i in range(len(scores))]
            color = COLORS.get(architect)
            ax.scatter(xs, scores, s=14, alpha=0.45, color=color)
            ax.step(xs, best, where="post", color=color, label=f"{architect} (best {best[-1]:.3f})")
        metric = "val/pearson" if task == "quantitative" else "val/auroc"
        ax.set(title=f"{task}: candidates and best so far", xlabel="candidate", ylabel=metric)
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
