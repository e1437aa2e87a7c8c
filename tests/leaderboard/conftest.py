"""Fixtures for the leaderboard tests: a folder of hand-built records (models, ceilings, a hostile name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.results.record_factory import FINGERPRINT, make_record, write

XSS_NAME = "<script>alert(1)</script>"


def _png(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.bar(range(4), [1, 2, 3, 4])
    fig.savefig(path)
    plt.close(fig)
    return path


@pytest.fixture()
def sample_runs(tmp_path) -> Path:
    """runs/<fp12>/<model>/<task>/seed<k>/record.json for 4 models (2 seeds for one), 2 ceilings.

    wholechrom.pearson: deepstar 0.71 (2 seeds: 0.70, 0.72), cnn-quant 0.62, basset (binary) 0.41,
    <script> model 0.30; ceilings oracle 0.95 and replicate2 0.80. basset has no CAGI5 (not applicable),
    the hostile model reports no motif metrics.
    """
    root = tmp_path / "runs" / FINGERPRINT[:12]
    logo = _png(root / "deepstar" / "quantitative" / "seed0" / "figures" / "motif_logos.png")
    specs = [
        ("deepstar", "quantitative", 0, "model", {"wholechrom.pearson": 0.70, "peak.auroc": 0.85}, {}),
        ("deepstar", "quantitative", 1, "model", {"wholechrom.pearson": 0.72, "peak.auroc": 0.87}, {}),
        ("cnn", "quantitative", 0, "model", {"wholechrom.pearson": 0.62, "robustness.variation": 0.09}, {}),
        (
            "basset",
            "binary",
            0,
            "model",
            {"wholechrom.pearson": 0.41, "peak.auroc": 0.9, "cagi5.standard": None, "cagi5.robust": None},
            {"cagi5": "binary model without variant scores in this run"},
        ),
        (
            XSS_NAME,
            "quantitative",
            0,
            "model",
            {"wholechrom.pearson": 0.30, "motifs.hit_ratio": None, "motifs.recovery_rate": None},
            {"motifs": "no first-layer activation"},
        ),
        ("oracle", "quantitative", 0, "ceiling", {"wholechrom.pearson": 0.95}, {"motifs": "not a network"}),
        ("replicate2", "quantitative", 0, "ceiling", {"wholechrom.pearson": 0.80}, {}),
    ]
    for model, task, seed, kind, overrides, na in specs:
        folder_name = "xss" if model == XSS_NAME else model
        folder = root / ("ceilings" if kind == "ceiling" else "") / folder_name / task / f"seed{seed}"
        figures = {"motif_logos": str(logo)} if model == "deepstar" else {}
        rec = make_record(
            model, task, seed=seed, kind=kind, overrides=overrides, not_applicable=na, figures=figures
        )
        write(folder, rec)
    return tmp_path / "runs"
