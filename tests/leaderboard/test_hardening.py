"""A hostile record cannot reach outside its folder or inject into the board's outputs.

Figures are confined to the record's own folder; every string a record carries (model name,
plugin, distribution, task, n/a reason) is escaped in Markdown and HTML and neutralised in CSV
(formula prefixes get a single quote; numbers, negative ones included, stay numbers).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from benchsuite.leaderboard.board import build_boards
from benchsuite.leaderboard.build import write_leaderboards
from benchsuite.leaderboard.figures import find_motif_figure
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.tables import Provenance
from tests.leaderboard.conftest import INJECTED, NEGATIVE, XSS_NAME, _png
from tests.results.record_factory import FINGERPRINT, make_record, write

PROV = Provenance(command="benchsuite leaderboard --records runs", harness_version="1.0", machine="test box")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CELL = "runs/" + FINGERPRINT[:12] + "/cnn/quantitative/seed0"  # where `benchsuite run` puts a cell
LOGO = "figures/motifs/motif_logos.png"  # below the cell folder, as the motif family writes it


# --- figures ---------------------------------------------------------------------------------


def _motif_figure(tmp_path: Path, figure: str) -> Path | None:
    """Write the cell's record referencing ``figure``; the motif figure the board would copy."""
    write(tmp_path / CELL, make_record("cnn", figures={"motifs.logos": figure}))
    boards = build_boards(gather_records(records=[tmp_path / "runs"]).records)
    return find_motif_figure(boards[0].rows[0])


@pytest.mark.parametrize("cwd", ["run", "elsewhere"])
def test_figures_of_a_real_run_layout_are_found(tmp_path, monkeypatch, cwd):
    """``benchsuite run`` stores paths relative to its working directory (runs/<fp>/...): found
    from there, and from any other working directory (by name, below the record's folder)."""
    logo = _png(tmp_path / CELL / LOGO)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path if cwd == "run" else tmp_path / "elsewhere")
    found = _motif_figure(tmp_path, f"{CELL}/{LOGO}")
    assert found is not None and found.resolve() == logo.resolve()


def test_absolute_figure_inside_the_record_folder_is_found(tmp_path):
    logo = _png(tmp_path / CELL / LOGO)
    found = _motif_figure(tmp_path, str(logo))
    assert found is not None and found.resolve() == logo.resolve()


@pytest.mark.parametrize("how", ["absolute", "traversal", "cwd-relative", "symlink"])
def test_figures_outside_the_record_folder_are_refused_and_logged(tmp_path, monkeypatch, caplog, how):
    secret = _png(tmp_path / "outside" / "secret.png")
    monkeypatch.chdir(tmp_path)
    figure = {
        "absolute": str(secret),
        "traversal": "../" * 5 + "outside/secret.png",
        "cwd-relative": "outside/secret.png",
        "symlink": LOGO,
    }[how]
    if how == "symlink":
        link = tmp_path / CELL / LOGO
        link.parent.mkdir(parents=True)
        os.symlink(secret, link)
    assert (tmp_path / CELL / figure).resolve() == secret.resolve() or how in ("absolute", "cwd-relative")
    with caplog.at_level(logging.WARNING, logger="benchsuite.leaderboard.figures"):
        assert _motif_figure(tmp_path, figure) is None
    messages = [r.getMessage() for r in caplog.records if r.name == "benchsuite.leaderboard.figures"]
    assert any("record.json" in m and "outside" in m for m in messages), messages


DATA = "figures/motifs/motif_logos.json"  # the logos' data, as the motif family writes it now


@pytest.mark.parametrize("how", ["meme-symlink", "meme-path", "json-symlink"])
def test_figure_data_reading_outside_the_record_folder_is_refused_and_logged(tmp_path, caplog, how):
    """The logos' data and the PPMs it reads must all lie in the record's folder."""
    from tests.evaluate.conftest_motifs import write_logo_data

    outside = tmp_path / "outside"
    data = write_logo_data(outside, 6)
    folder = tmp_path / CELL / "figures" / "motifs"
    folder.mkdir(parents=True)
    if how == "json-symlink":
        os.symlink(data.path, folder / "motif_logos.json")
    else:
        doc = json.loads(data.path.read_text(encoding="utf-8"))
        if how == "meme-symlink":
            os.symlink(outside / "filters.meme", folder / "filters.meme")
        else:
            doc["ppms"] = "../../../../outside/filters.meme"
        (folder / "motif_logos.json").write_text(json.dumps(doc), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="benchsuite.leaderboard.figures"):
        assert _motif_figure(tmp_path, DATA) is None
    messages = [r.getMessage() for r in caplog.records if r.name == "benchsuite.leaderboard.figures"]
    assert any("record.json" in m and ("outside" in m or "file name" in m) for m in messages), messages


# --- strings in the outputs --------------------------------------------------------------------


@pytest.fixture()
def hostile_board(hostile_runs, tmp_path) -> Path:
    boards = write_leaderboards(gather_records(records=[hostile_runs]), tmp_path / "boards", PROV)
    assert len(boards) == 1
    return boards[0].folder


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as handle:  # keep CRs inside cells
        return list(csv.DictReader(handle))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_the_board_does_not_copy_a_figure_from_outside_the_record_folder(hostile_board):
    assert not (hostile_board / "figures" / "best_model_motifs.png").exists()
    assert "secret" not in (hostile_board / "leaderboard.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["leaderboard.csv", "records.csv", "per_target.csv"])
def test_csv_text_cells_are_neutralised_and_numbers_stay_numbers(hostile_board, name):
    rows = _rows(hostile_board, name)
    cells = [v for row in rows for v in row.values()]
    assert not [v for v in cells if v.startswith(FORMULA_START) and not _is_number(v)]
    models = {row["model"] for row in rows if row["kind"] == "model"}
    tasks = {row["task"] for row in rows if row["kind"] == "model"}
    for text in INJECTED:
        shown = "'" + text if text.startswith(FORMULA_START) else text
        assert shown in models and shown in tasks, text
    assert '\'=HYPERLINK("http://x","y")' in models
    if name == "per_target.csv":
        values = [float(r["value"]) for r in rows if r["metric"] == "cagi5.standard"]
        assert values and all(v < 0 for v in values)
        assert all(_is_number(r["value"]) for r in rows)
    else:
        assert {row["cagi5.standard"] for row in rows if row["kind"] == "model"} == {str(NEGATIVE)}


def test_csv_plugin_and_distribution_are_neutralised(hostile_board):
    rows = [r for r in _rows(hostile_board, "leaderboard.csv") if r["kind"] == "model"]
    hyperlink = next(r for r in rows if "HYPERLINK" in r["model"])
    assert hyperlink["plugin"] == hyperlink["distribution"] == '\'=HYPERLINK("http://x","y")'
    assert {r["plugin"] for r in rows} >= {XSS_NAME, "| pipe | cell", "'@SUM(1+1)", "'\tleading tab"}


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_escapes_every_record_string(hostile_board):
    text = (hostile_board / "leaderboard.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(INJECTED)  # header, alignment, one row per model
    assert len({_unescaped_pipes(line) for line in table}) == 1  # no cell broke out of its column
    assert "<script" not in text and not re.search(r"(?<!\\)\]\(javascript:", text)  # no raw link
    assert "&lt;script&gt;" in text and "\\[link\\]" in text
    assert not re.search(r"(?<!\\)`code", text)  # backticks cannot open code spans
    notes = text.split("## Not applicable", 1)[1].split("\n## ", 1)[0]
    bullets = [line for line in notes.splitlines() if line.startswith("- ")]
    # the records carry no interpretation family (a board family they predate)
    bullets = [line for line in bullets if not line.endswith(": interpret: not reported by the record")]
    assert len(bullets) == len(INJECTED)  # one per model (reason: its own string)
    assert "line one line two three" in text  # newlines cannot start a new table row or list item


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.titles: list[str] = []
        self.scripts = 0
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag == "script"
        if "title" in attrs:
            self.titles.append(attrs["title"] or "")
        if tag == "a":
            self.links.append(attrs.get("href") or "")

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_record_string(hostile_board):
    page = (hostile_board / "index.html").read_text(encoding="utf-8")
    assert XSS_NAME not in page and "<script" in page
    parser = _Page()
    parser.feed(page)
    assert parser.scripts == 1  # only the sorter
    assert not [href for href in parser.links if "javascript" in href.lower()]
    shown = _spaces("".join(parser.text))  # (reading the page turns CRs into newlines)
    tips = _spaces(" ".join(parser.titles))
    for text in map(_spaces, INJECTED):
        assert text in shown, text  # model, task and n/a reason: shown as text
        assert f"{text} ({text} 0.1.0)" in tips, text  # plugin and distribution in the tooltip


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)
