"""Leaderboard output folder: files, figures, HTML escaping and CSP, index.

The ``benchsuite leaderboard`` command is tested in ``tests/cli/test_leaderboard.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from benchsuite.leaderboard.build import BOARD_FILES, write_leaderboards
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.html import esc
from benchsuite.leaderboard.tables import Provenance
from tests.leaderboard.conftest import XSS_NAME
from tests.results.record_factory import FINGERPRINT, make_record, write

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PROV = Provenance(command="benchsuite leaderboard --records runs", harness_version="1.0", machine="test box")


class _Collector(HTMLParser):
    """Counts tags, collects scripts, tbody rows and text of the page."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.in_script = False
        self.tbody_id: str | None = None
        self.rows: dict[str, int] = {}
        self.text: list[str] = []
        self.imgs: list[str] = []
        self.meta_csp = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.in_script = True
            self.scripts.append("")
        elif tag == "tbody":
            self.tbody_id = attrs.get("id") or "anonymous"
        elif tag == "tr" and self.tbody_id:
            self.rows[self.tbody_id] = self.rows.get(self.tbody_id, 0) + 1
        elif tag == "img":
            self.imgs.append(attrs.get("src", ""))
        elif tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.meta_csp = attrs["content"]

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
        elif tag == "tbody":
            self.tbody_id = None

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture()
def written(sample_runs, tmp_path):
    gathered = gather_records(records=[sample_runs])
    out = tmp_path / "leaderboards"
    boards = write_leaderboards(gathered, out, PROV)
    assert len(boards) == 1
    return out, boards[0]


def test_board_folder_files_and_figures(written):
    out, item = written
    assert item.folder == out / "sim-smoke-seed0"
    for name in BOARD_FILES:
        assert (item.folder / name).is_file(), name
    figs = sorted(p.name for p in (item.folder / "figures").iterdir())
    robustness = [f for f in figs if f.startswith("robustness_vs_perseq_bin")]  # one per model bin
    assert robustness and figs == sorted(
        ["auroc_vs_pearson.png", "best_model_motifs.png", "cagi5_vs_pearson.png", *robustness]
    )
    for name in figs:
        assert (item.folder / "figures" / name).read_bytes().startswith(PNG_MAGIC)
    # the motif logos are the figure referenced by the best model's record, copied byte for byte
    best = item.board.rows[0]
    assert best.model == "deepstar"
    original = best.records[0].record["figures"]["motif_logos"]
    assert (item.folder / "figures" / "best_model_motifs.png").read_bytes() == Path(original).read_bytes()
    meta = json.loads((item.folder / "board.json").read_text())
    assert meta["dataset"]["fingerprint"] == FINGERPRINT
    assert meta["best"]["model"] == "deepstar" and len(meta["records"]) == 13
    assert meta["ranking"] == {
        "metric": "wholechrom_common.pearson",
        "common_bin": 128,
        "input_length": 512,
        "oracle_at_common_bin": pytest.approx(0.95),
    }
    assert meta["groups"][0]["group"] == "prediction"
    assert meta["groups"][0]["columns"][0] == "wholechrom_common.pearson"
    cnn = next(r for r in meta["rows"] if r["model"] == "cnn")
    assert cnn["bin"] == "1 bp" and cnn["tie"]["tied"] is False
    assert cnn["derived"]["wholechrom.pearson_pct_oracle_own_bin"] == pytest.approx(100 * 0.55 / 0.85)
    assert (out / "index.html").is_file() and (out / "README.md").is_file()
    assert "sim-smoke-seed0/leaderboard.md" in (out / "README.md").read_text()


def test_html_escapes_record_strings_and_embeds_figures(written):
    _, item = written
    page = (item.folder / "index.html").read_text(encoding="utf-8")
    assert XSS_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 1  # only the sorter
    parser = _Collector()
    parser.feed(page)
    assert XSS_NAME in "".join(parser.text)  # shown as text
    # 2 ceilings at 4 bins + the separator
    assert parser.rows["board-rows"] == 4 and parser.rows["reference-rows"] == 9
    n_figures = len(list((item.folder / "figures").glob("*.png")))
    assert len(parser.imgs) == n_figures >= 5  # 3 scatters (robustness: one per bin) + motif logos
    assert all(src.startswith("data:image/png;base64,") for src in parser.imgs)
    assert base64.b64decode(parser.imgs[0].split(",", 1)[1]).startswith(PNG_MAGIC)
    # the CSP allows exactly the inline script that is on the page
    digest = base64.b64encode(hashlib.sha256(parser.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in parser.meta_csp
    assert "default-src 'none'" in parser.meta_csp
    assert "http://" not in page and "https://" not in page  # self-contained
    # the n/a cell explains itself
    assert 'title="binary model without variant scores in this run">n/a</td>' in page


def test_html_table_reads_like_a_paper_table(written):
    _, item = written
    page = (item.folder / "index.html").read_text(encoding="utf-8")
    # column groups above the columns, the ranking metric first
    groups = re.findall(r'<th class="group g-start" colspan="(\d+)" scope="colgroup">([^<]+)</th>', page)
    assert [g for _, g in groups] == [
        "prediction",
        "task conversion",
        "robustness",
        "variant effects",
        "motifs",
        "interpretation",
    ]
    columns = re.search(r'<tr class="columns">(.*?)</tr>', page).group(1)
    headers = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", columns)]
    assert headers[:9] == ["rank", "≈", "model", "task", "bin", "seeds", "verified"] + [
        "wholechrom_common.pearson(128 bp)",
        "% of oracle",
    ]
    assert sum(int(n) for n, _ in groups) + 7 == len(headers)
    # registry definitions as tooltips, with the reference ceiling named
    assert 'title="Whole-chromosome Pearson r with predictions and truth averaged into the common bin' in page
    assert "Reference ceiling: replicate2, replicate 2, a second noisy measurement" in page
    assert "Reference ceiling: oracle, the simulator&#x27;s noise-free expected coverage" in page
    # intervals and the ceiling at the row's bin as small second lines
    assert '<span class="sub ci">[' in page
    assert '<span class="sub ceil">oracle 0.850</span>' in page  # cnn (1 bp) next to the oracle at 1 bp
    assert "per sequence (512 bp)" in page
    assert "tied with the leader" in page


def test_index_lists_every_board_folder(written, tmp_path):
    out, _ = written
    other = tmp_path / "other"
    write(other, make_record("solo", fingerprint="ef" * 32, dataset_name="real-hg38 <b>"))
    write_leaderboards(gather_records(records=[other]), out, PROV)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="sim-smoke-seed0/index.html"' in index
    assert 'href="real-hg38-b/index.html"' in index
    assert "real-hg38 &lt;b&gt;" in index and "<b>" not in index


def test_esc_covers_attributes():
    assert esc('"><img src=x onerror=alert(1)>') == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert esc("it's") == "it&#x27;s"
