"""Board figures: the ranking metric on the x axis, ceilings at the right bins, labels that never overlap."""

from __future__ import annotations

import itertools
import json
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from benchsuite.leaderboard.figures import SCATTERS, _points, place_labels  # noqa: E402
from benchsuite.leaderboard.gather import gather_records  # noqa: E402
from benchsuite.leaderboard.tables import SORT_METRIC, build_boards  # noqa: E402

CLUSTER = [(f"model-number-{i}", 0.70 + 0.004 * (i % 4), 0.80 + 0.003 * (i // 4)) for i in range(12)]
SAME_HEIGHT = [  # a ceiling at three bins: nearly the same point, exactly the same height
    ("bpnet", 0.389, 0.09),
    ("basenji-32", 0.468, 0.08),
    ("cnn-baseline-exp", 0.40, 0.02),
    ("basenji-128", 0.476, 0.01),
    ("oracle @ 1 bp", 0.5300, 0.0168),
    ("oracle @ 32 bp", 0.5316, 0.0168),
    ("oracle @ 128 bp", 0.5364, 0.0168),
]


STAR = 160  # marker area of a ceiling (points^2), as the board draws it


def _boxes(fig, texts):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts], texts[0].axes.get_window_extent(renderer)


def _marker_box(ax, x, y, area):
    px, py = ax.transData.transform((x, y))
    radius = 0.8 * math.sqrt(area) / 2 * ax.figure.dpi / 72  # most of the marker, in pixels
    return Bbox.from_extents(px - radius, py - radius, px + radius, py + radius)


@pytest.mark.parametrize("points", [CLUSTER, SAME_HEIGHT], ids=["cluster", "same-height"])
def test_labels_overlap_neither_each_other_nor_markers_and_stay_inside_the_axes(points):
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
    try:
        for _, x, y in points:
            ax.scatter(x, y, marker="*", s=STAR, color="black")
        ax.margins(x=0.15, y=0.12)
        fig.tight_layout()
        texts = place_labels(ax, points)
        boxes, frame = _boxes(fig, texts)
        assert not [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
        markers = [_marker_box(ax, x, y, STAR) for _, x, y in points]
        assert not [(t, m) for t in boxes for m in markers if t.overlaps(m)]
        assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 for b in boxes)
        assert all(frame.y0 - 1 <= b.y0 and b.y1 <= frame.y1 + 1 for b in boxes)
        assert len(ax.collections) == len(points)  # the helper's invisible marker shield is gone
    finally:
        plt.close(fig)


def test_coincident_points_share_one_label():
    points = [("oracle @ 1 bp", 0.5, 0.5), ("oracle @ 32 bp", 0.5, 0.5), ("cnn", 0.1, 0.9)]
    fig, ax = plt.subplots()
    try:
        ax.scatter([0.1, 0.5], [0.9, 0.5])
        texts = place_labels(ax, points)
        assert sorted(t.get_text() for t in texts) == ["cnn", "oracle @ 1 bp, 32 bp"]
    finally:
        plt.close(fig)


def test_ceilings_are_drawn_at_the_bins_the_axes_compare(sample_runs):
    (board,) = build_boards(gather_records(records=[sample_runs]).records)
    assert SCATTERS["auroc_vs_pearson"][0] == SORT_METRIC
    common = _points(board, SORT_METRIC, "peak.auroc")
    refs = [(r.model, r.bin_size) for r, _, _ in common if r.kind == "ceiling"]
    assert refs == [("oracle", 128), ("replicate2", 128)]  # the common bin only
    own = _points(board, "perseq.pearson", "robustness.variation")
    model_bins = {r.bin_size for r, _, _ in own if r.kind != "ceiling"}
    refs = {(r.model, r.bin_size) for r, _, _ in own if r.kind == "ceiling"}
    assert refs == {(name, b) for name in ("oracle", "replicate2") for b in model_bins}
    assert np.isfinite([x for _, x, _ in own]).all()


def test_robustness_figure_is_split_by_bin(sample_runs, tmp_path):
    """Robustness scores are comparable only at equal bin: one figure per model bin, each with
    only that bin's models and ceilings."""
    from benchsuite.leaderboard.figures import make_figures

    (board,) = build_boards(gather_records(records=[sample_runs]).records)
    own = _points(board, "perseq.pearson", "robustness.variation")
    bins = sorted({r.bin_size for r, _, _ in own if r.kind != "ceiling"})
    written = make_figures(board, tmp_path)
    names = sorted(p.name for p in written.values() if p.name.startswith("robustness"))
    assert names == sorted(f"robustness_vs_perseq_bin{b}.png" for b in bins)
    assert not (tmp_path / "robustness_vs_perseq.png").exists()
    assert all(
        f"{b}-bp bin" in title for title, p in written.items() for b in bins if p.name.endswith(f"bin{b}.png")
    )


def test_interpretation_scatters_plot_each_model_with_both_values(tmp_path):
    """Does accuracy imply the right biology? Saliency AUROC and GIA Spearman against the ranking
    metric, one point per model that has both (a model without the family is left out)."""
    from benchsuite.leaderboard.figures import make_figures
    from tests.results.record_factory import make_record, write

    values = {"a": (0.50, 0.95, 0.76), "b": (0.40, 0.80, 0.25), "c": (0.45, None, None)}
    for model, (rank, saliency, gia) in values.items():
        overrides = {SORT_METRIC: rank}
        if saliency is not None:
            overrides |= {"interpret.saliency_auroc": saliency, "interpret.gia_spearman": gia}
        write(tmp_path / "runs" / model, make_record(model, overrides=overrides))
    (board,) = build_boards(gather_records(records=[tmp_path / "runs"]).records)
    points = _points(board, SORT_METRIC, "interpret.gia_spearman")
    assert sorted((r.model, x, y) for r, x, y in points if r.kind != "ceiling") == [
        ("a", 0.50, 0.76),
        ("b", 0.40, 0.25),
    ]
    written = make_figures(board, tmp_path / "figures")
    assert {"attribution_vs_pearson.png", "grammar_vs_pearson.png"} <= {p.name for p in written.values()}


def test_the_best_models_logos_are_drawn_from_its_figure_data(tmp_path, monkeypatch):
    """Only the rank-1 model's logos are drawn, from its motif_logos.json and filters.meme."""
    from benchsuite.evaluate import figures as plots
    from benchsuite.leaderboard.figures import make_figures
    from tests.evaluate.conftest_motifs import write_logo_data
    from tests.results.record_factory import make_record, write

    titles = {}
    for model, rank in (("best", 0.6), ("other", 0.4)):
        folder = tmp_path / "runs" / model
        data = write_logo_data(folder / "figures" / "motifs", 5, seed=int(rank * 10))
        titles[model] = json.loads(data.path.read_text(encoding="utf-8"))["titles"]
        record = make_record(model, overrides={SORT_METRIC: rank}, figures={"motifs.logos": str(data.path)})
        write(folder, record)
    drawn: list[list[str]] = []
    draw = plots.plot_motif_logos
    monkeypatch.setattr(plots, "plot_motif_logos", lambda p, t, out, **kw: drawn.append(t) or draw(p, t, out))
    (board,) = build_boards(gather_records(records=[tmp_path / "runs"]).records)
    written = make_figures(board, tmp_path / "board")
    logos = written["First-layer motif logos of the best model (best, quantitative)"]
    assert logos == tmp_path / "board" / "best_model_motifs.png"
    assert logos.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn == [titles["best"]]  # once, the best model's, with its titles
    assert not list((tmp_path / "runs").rglob("*.png"))  # nothing drawn into the record folders
