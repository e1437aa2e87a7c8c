"""Figure data -> PNG: every kind draws a valid PNG from the files the evaluation wrote, with the
titles and filters of the JSON; a missing or garbled data file is one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchsuite.errors import BenchsuiteError
from benchsuite.evaluate import figures as plots
from benchsuite.evaluate.figures_render import (
    FigureDataError,
    data_files,
    render_cell_figures,
    render_figure,
    write_figure_data,
)
from tests.evaluate.conftest_motifs import write_logo_data

PNG = b"\x89PNG\r\n\x1a\n"


def _valid_png(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == PNG
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


def _attribution(folder: Path, stem: str = "attribution") -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(1)
    maps = np.zeros((2, 30, 4))
    maps[:, np.arange(30), rng.integers(0, 4, 30)] = rng.normal(size=(2, 30))
    path = write_figure_data(
        folder,
        stem,
        name=f"interpret.{stem}",
        kind="attribution_logos",
        spec={"titles": ["model: ISM (c1)", "oracle: ISM (c1)"], "sites": [[105, 112, "M$1"]], "start": 100},
        arrays={"maps": maps},
    )
    return path, maps


def _pairs(folder: Path) -> Path:
    curve = {"a": "M1", "b": "M2", "target": "c1", "cooperative": True, "distances": [10, 20, 30]}
    curve |= {"model": [0.1, 0.5, 0.2], "oracle": [0.2, 0.9, 0.1]}
    return write_figure_data(
        folder, "pairs", name="interpret.pairs", kind="interaction_curves", spec={"curves": [curve]}
    )


def _cell(tmp_path: Path) -> Path:
    """A cell folder with the figure data of both families, as the harness writes it."""
    cell = tmp_path / "cell"
    write_logo_data(cell / "figures" / "motifs", 12, unmatched=(0,))
    _attribution(cell / "figures" / "interpret")
    _pairs(cell / "figures" / "interpret")
    return cell


def test_motif_logos_are_drawn_with_the_filters_and_titles_of_the_json(tmp_path, monkeypatch):
    data = write_logo_data(tmp_path, 12, unmatched=(0, 4))
    doc = json.loads(data.path.read_text(encoding="utf-8"))
    seen: dict = {}
    draw = plots.plot_motif_logos

    def spy(ppms, titles, path, **kw):  # noqa: ANN001, ANN202
        seen.update(ppms=ppms, titles=titles)
        return draw(ppms, titles, path, **kw)

    monkeypatch.setattr(plots, "plot_motif_logos", spy)
    name, png = render_figure(data.path)
    assert name == "motifs.logos" and png == tmp_path / "motif_logos.png"
    assert seen["titles"] == doc["titles"]
    np.testing.assert_allclose(np.stack(seen["ppms"]), data.ppms[doc["filters"]], atol=1e-4)  # MEME text
    width, height = _valid_png(png)
    assert width > 1000 and height > 100  # 4 logos per row, 3 rows


def test_attribution_logos_and_pairs_are_drawn_from_their_data(tmp_path, monkeypatch):
    path, maps = _attribution(tmp_path)
    seen: dict = {}
    draw = plots.plot_attribution_logos

    def spy(values, titles, sites, out, **kw):  # noqa: ANN001, ANN202
        seen.update(values=values, titles=titles, sites=sites, start=kw["start"])
        return draw(values, titles, sites, out, **kw)

    monkeypatch.setattr(plots, "plot_attribution_logos", spy)
    assert render_figure(path, tmp_path / "x" / "a.png") == (
        "interpret.attribution",
        tmp_path / "x" / "a.png",
    )
    _valid_png(tmp_path / "x" / "a.png")
    np.testing.assert_allclose(np.stack(seen["values"]), maps, rtol=1e-6)  # stored as float32
    assert seen["titles"] == ["model: ISM (c1)", "oracle: ISM (c1)"]
    assert seen["sites"] == [(105, 112, r"M\$1")] and seen["start"] == 100  # no mathtext from data
    assert data_files(path) == [path, tmp_path / "attribution.npz"]
    name, png = render_figure(_pairs(tmp_path))
    assert name == "interpret.pairs" and png == tmp_path / "pairs.png"
    _valid_png(png)


def test_render_cell_figures_draws_every_figure_beside_the_data_or_into_out(tmp_path):
    cell = _cell(tmp_path)
    assert not list(cell.rglob("*.png"))
    written = render_cell_figures(cell)
    figures = cell / "figures"
    assert written == {
        "interpret.attribution": figures / "interpret" / "attribution.png",
        "interpret.pairs": figures / "interpret" / "pairs.png",
        "motifs.logos": figures / "motifs" / "motif_logos.png",
    }
    for png in written.values():
        _valid_png(png)
    out = render_cell_figures(figures, tmp_path / "out")
    assert out["motifs.logos"] == tmp_path / "out" / "motifs" / "motif_logos.png"
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in out.values()) == [
        "interpret/attribution.png",
        "interpret/pairs.png",
        "motifs/motif_logos.png",
    ]


@pytest.mark.parametrize("damage", ["not-json", "other-kind", "no-npz", "path-in-name", "titles", "no-meme"])
def test_a_missing_or_garbled_data_file_is_one_clear_error(tmp_path, damage):
    cell = _cell(tmp_path)
    interpret, motifs = cell / "figures" / "interpret", cell / "figures" / "motifs"
    broken = {
        "not-json": interpret / "pairs.json",
        "other-kind": interpret / "pairs.json",
        "no-npz": interpret / "attribution.json",
        "path-in-name": interpret / "attribution.json",
        "titles": interpret / "attribution.json",
        "no-meme": motifs / "motif_logos.json",
    }[damage]
    doc = json.loads(broken.read_text(encoding="utf-8"))
    if damage == "not-json":
        broken.write_text('{"format": 1, "kind"', encoding="utf-8")
    elif damage == "other-kind":
        broken.write_text(json.dumps({**doc, "kind": "pie"}), encoding="utf-8")
    elif damage == "no-npz":
        (interpret / "attribution.npz").unlink()
    elif damage == "path-in-name":
        broken.write_text(json.dumps({**doc, "arrays": "../../secret.npz"}), encoding="utf-8")
    elif damage == "titles":
        broken.write_text(json.dumps({**doc, "titles": ["one"]}), encoding="utf-8")
    else:
        (motifs / "filters.meme").unlink()
    with pytest.raises(FigureDataError) as info:
        render_cell_figures(cell)
    assert isinstance(info.value, BenchsuiteError)
    message = str(info.value)
    assert message.startswith(str(broken)) and "fix: re-evaluate the cell" in message, message


def test_a_folder_without_figure_data_is_a_clear_error(tmp_path):
    with pytest.raises(FigureDataError, match="no figure data .* found .*fix: give a cell folder"):
        render_cell_figures(tmp_path)
