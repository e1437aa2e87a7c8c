"""``benchsuite figures CELL``: draws a cell's figures from its data; a garbled file is one clear error."""

from __future__ import annotations

import json

from tests.evaluate.conftest_motifs import write_logo_data

from .conftest import exit_code


def test_figures_draws_the_cells_pngs_and_prints_their_paths(tmp_path, capsys):
    cell = tmp_path / "cell"
    write_logo_data(cell / "figures" / "motifs", 6)
    assert exit_code(["figures", str(cell)]) == 0
    png = cell / "figures" / "motifs" / "motif_logos.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.split() == ["motifs.logos", str(png)]
    assert exit_code(["figures", str(cell), "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out" / "motifs" / "motif_logos.png"
    assert out.read_bytes() == png.read_bytes()  # the same data draws the same image
    assert capsys.readouterr().out.split() == ["motifs.logos", str(out)]


def test_a_garbled_data_file_is_one_line_naming_it_and_the_fix(tmp_path, capsys):
    data = write_logo_data(tmp_path / "figures" / "motifs", 6)
    doc = json.loads(data.path.read_text(encoding="utf-8"))
    data.path.write_text(json.dumps({**doc, "filters": [0, 99]}), encoding="utf-8")
    assert exit_code(["figures", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    err = " ".join(captured.err.split())
    assert f"{data.path}: filters [99] are not in filters.meme" in err, err
    assert "(fix: re-evaluate the cell" in err
    assert not (tmp_path / "figures" / "motifs" / "motif_logos.png").exists()
