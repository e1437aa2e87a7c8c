"""Fixtures for the leaderboard tests: a folder of hand-built records (models, ceilings, a hostile name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.results.record_factory import FINGERPRINT, make_record, replicate_means, write

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


#: the ranking metric (whole-chromosome Pearson at the common bin, 128 bp in the factory's geometry)
RANK = "wholechrom_common.pearson"
CEILING_BINS = (1, 32, 128, 512)  # bin_sizes, common bin and input length of the factory's geometry
#: ceiling values: name -> bin -> (wholechrom.pearson at that bin, wholechrom_common.pearson)
CEILINGS = {
    "oracle": {1: (0.85, 0.95), 32: (0.88, 0.95), 128: (0.95, 0.95), 512: (0.97, None)},
    "replicate2": {1: (0.70, 0.80), 32: (0.74, 0.80), 128: (0.80, 0.80), 512: (0.86, None)},
}


def _boot(value: float, seed: int, spread: float = 0.01) -> dict[str, list[float]]:
    return {RANK: replicate_means(value, seed=seed, spread=spread)}


@pytest.fixture()
def sample_runs(tmp_path) -> Path:
    """runs/<fp12>/<model>/<task>/seed<k>/record.json for 4 models (2 seeds for one) and
    runs/<fp12>/ceilings/<name>/bin<b>/record.json for 2 ceilings at 4 bins.

    Ranking metric (wholechrom_common.pearson): deepstar 0.71 (128 bp; 2 seeds: 0.70, 0.72),
    cnn-quant 0.62 (1 bp), basset (binary) 0.41, <script> model 0.30 (32 bp, no bootstrap
    replicates). Own-bin wholechrom.pearson: deepstar 0.71, cnn 0.55, basset 0.90 (a tile
    Pearson higher than every quantitative model's), <script> 0.30. Ceilings: :data:`CEILINGS`.
    basset has no CAGI5 (not applicable), the hostile model reports no motif metrics.
    """
    root = tmp_path / "runs" / FINGERPRINT[:12]
    logo = _png(root / "deepstar" / "quantitative" / "seed0" / "figures" / "motif_logos.png")
    specs: list[tuple] = [
        (
            "deepstar",
            "quantitative",
            0,
            128,
            {RANK: 0.70, "wholechrom.pearson": 0.70, "peak.auroc": 0.85},
            {},
        ),
        (
            "deepstar",
            "quantitative",
            1,
            128,
            {RANK: 0.72, "wholechrom.pearson": 0.72, "peak.auroc": 0.87},
            {},
        ),
        (
            "cnn",
            "quantitative",
            0,
            1,
            {RANK: 0.62, "wholechrom.pearson": 0.55, "robustness.variation": 0.09},
            {},
        ),
        (
            "basset",
            "binary",
            0,
            None,
            {
                RANK: 0.41,
                "wholechrom.pearson": 0.90,
                "peak.auroc": 0.9,
                "cagi5.standard": None,
                "cagi5.robust": None,
            },
            {"cagi5": "binary model without variant scores in this run"},
        ),
        (
            XSS_NAME,
            "quantitative",
            0,
            32,
            {RANK: 0.30, "wholechrom.pearson": 0.30, "motifs.hit_ratio": None, "motifs.recovery_rate": None},
            {"motifs": "no first-layer activation"},
        ),
    ]
    for model, task, seed, bin_size, overrides, na in specs:
        folder = root / ("xss" if model == XSS_NAME else model) / task / f"seed{seed}"
        figures = {"motif_logos": str(logo)} if model == "deepstar" else {}
        boot = None if model == XSS_NAME else _boot(overrides[RANK], seed)
        rec = make_record(
            model,
            task,
            seed=seed,
            overrides=overrides,
            not_applicable=na,
            figures=figures,
            bin_size=bin_size,
            bootstrap=boot,
        )
        write(folder, rec)
    for name, by_bin in CEILINGS.items():
        for bin_size, (own, common) in by_bin.items():
            na = {"motifs": "not a network"} if name == "oracle" else {}
            if common is None:
                na["wholechrom_common"] = f"model bin {bin_size} bp is coarser than the common bin 128 bp"
            overrides = {"wholechrom.pearson": own, RANK: common}
            boot = _boot(common, 0) if common is not None else None
            rec = make_record(
                name,
                kind="ceiling",
                overrides=overrides,
                not_applicable=na,
                bin_size=bin_size,
                bootstrap=boot,
            )
            write(root / "ceilings" / name / f"bin{bin_size}", rec)
    return tmp_path / "runs"


#: strings a hostile record may carry (model name, plugin, distribution, task, n/a reason): HTML,
#: spreadsheet formulas, Markdown table breakers, backticks, newlines, links
INJECTED = (
    XSS_NAME,
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\tleading tab",
    "| pipe | cell",
    "`code` and ``more``",
    "line one\nline two\rthree",
    "[link](javascript:x)",
)
#: a negative metric value that CSVs must keep a number
NEGATIVE = -0.106


@pytest.fixture()
def hostile_runs(tmp_path) -> Path:
    """runs/<fp12>/m<i>/seed0/record.json: one model per :data:`INJECTED` string, used as its
    name, plugin, distribution, task and the reason its motif metrics are not applicable;
    ``cagi5.standard`` is :data:`NEGATIVE`. The best model (m0) references a motif figure outside
    its record's folder (``outside/secret.png``), which the board must not copy."""
    root = tmp_path / "runs" / FINGERPRINT[:12]
    secret = _png(tmp_path / "outside" / "secret.png")
    for i, text in enumerate(INJECTED):
        rec = make_record(
            text,
            text,
            plugin=text,
            distribution=text,
            overrides={RANK: 0.9 - 0.05 * i, "cagi5.standard": NEGATIVE, "motifs.hit_ratio": None},
            not_applicable={"motifs": text},
            figures={"motifs.logos": str(secret)} if i == 0 else {},
            bootstrap=_boot(0.9 - 0.05 * i, 0),
        )
        write(root / f"m{i}" / "seed0", rec)
    return tmp_path / "runs"
