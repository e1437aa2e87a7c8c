"""Board tables: ranking, seeds aggregation, ceilings as reference rows, n/a, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import statistics

import pandas as pd
import pytest

from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.tables import (
    MAIN_METRICS,
    Provenance,
    board_csv,
    board_markdown,
    build_boards,
    format_value,
    md_escape,
    metric_columns,
    per_target_csv,
    records_csv,
)
from tests.leaderboard.conftest import XSS_NAME
from tests.results.record_factory import FULL_MEANS, OTHER_FINGERPRINT, make_record, write

PROV = Provenance(command="benchsuite leaderboard --records runs", harness_version="1.0", machine="test box")


@pytest.fixture()
def board(sample_runs):
    boards = build_boards(gather_records(records=[sample_runs]).records)
    assert len(boards) == 1
    return boards[0]


def test_rows_ranked_by_wholechrom_pearson_with_ceilings_at_the_bottom(board):
    assert [(r.model, r.task) for r in board.rows] == [
        ("deepstar", "quantitative"),
        ("cnn", "quantitative"),
        ("basset", "binary"),
        (XSS_NAME, "quantitative"),
    ]
    assert [r.rank for r in board.rows] == [1, 2, 3, 4]
    assert [(r.model, r.kind, r.rank) for r in board.reference_rows] == [
        ("oracle", "ceiling", None),
        ("replicate2", "ceiling", None),
    ]
    assert board.all_rows[-2:] == board.reference_rows  # the oracle beats every model but stays at the bottom


def test_seeds_are_aggregated(board):
    deepstar = board.rows[0]
    assert deepstar.seeds == [0, 1]
    cell = deepstar.cells["wholechrom.pearson"]
    assert cell.n == 2
    assert cell.value == pytest.approx(statistics.mean([0.70, 0.72]))
    assert cell.sd == pytest.approx(statistics.stdev([0.70, 0.72]))
    # per target: mean over seeds of each target's value (factory offsets are -0.005 / +0.005)
    assert deepstar.per_target["wholechrom.pearson"]["celltype_A"] == pytest.approx(0.71 - 0.005)
    assert deepstar.per_target["wholechrom.pearson"]["celltype_B"] == pytest.approx(0.71 + 0.005)
    assert board.rows[1].cells["wholechrom.pearson"].sd is None


def test_columns_and_not_applicable(board):
    assert board.columns == metric_columns(board.all_columns, include_extra=False)
    assert board.columns[:4] == list(MAIN_METRICS[:4])
    # thresholds are sorted numerically (2 before 10) and sit after perseq.pearson
    assert board.columns[4:6] == ["thresholded.pearson@2", "thresholded.pearson@10"]
    assert board.columns[-2:] == ["motifs.hit_ratio", "motifs.recovery_rate"]
    assert "wholechrom.spearman" in board.all_columns and "wholechrom.spearman" not in board.columns
    basset = next(r for r in board.rows if r.model == "basset")
    assert basset.cells["cagi5.robust"].value is None
    assert basset.cells["cagi5.robust"].reason == "binary model without variant scores in this run"
    xss = next(r for r in board.rows if r.model == XSS_NAME)
    assert xss.cells["motifs.hit_ratio"].reason == "no first-layer activation"


def test_metric_missing_from_every_record_is_na_with_a_reason(tmp_path):
    means = {k: v for k, v in FULL_MEANS.items() if not k.startswith("cagi5")}
    write(tmp_path / "a", make_record("a", means=means))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    assert "cagi5.robust" in board.columns
    assert board.rows[0].cells["cagi5.robust"].value is None
    assert board.rows[0].cells["cagi5.robust"].reason == "not reported by the record"


def test_csv(board):
    text = board_csv(board)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["model"] for r in rows] == ["deepstar", "cnn", "basset", XSS_NAME, "oracle", "replicate2"]
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "ref", "ref"]
    assert [r["kind"] for r in rows][-2:] == ["ceiling", "ceiling"]
    assert rows[2]["cagi5.robust"] == "n/a"
    assert float(rows[0]["wholechrom.pearson"]) == pytest.approx(0.71)
    assert rows[0]["seeds"] == "0 1"
    frame = pd.read_csv(io.StringIO(text))
    assert frame["cagi5.robust"].isna().tolist() == [False, False, True, False, False, False]
    assert frame["wholechrom.pearson"].iloc[:4].is_monotonic_decreasing
    header = next(csv.reader(io.StringIO(text)))
    assert header[:8] == ["rank", "kind", "model", "task", "plugin", "distribution", "version", "seeds"]


def test_records_and_per_target_csv(board):
    recs = list(csv.DictReader(io.StringIO(records_csv(board))))
    assert len(recs) == 7
    assert {r["seed"] for r in recs if r["model"] == "deepstar"} == {"0", "1"}
    assert all(r["checksum"].startswith("sha256:") for r in recs)
    per = list(csv.DictReader(io.StringIO(per_target_csv(board))))
    row = next(
        r
        for r in per
        if r["model"] == "cnn" and r["metric"] == "wholechrom.pearson" and r["target"] == "celltype_B"
    )
    assert float(row["value"]) == pytest.approx(0.625)


def test_markdown(board):
    text = board_markdown(board, PROV)
    assert "`benchsuite leaderboard --records runs`" in text
    assert board.fingerprint in text and "benchsuite 0.1.0" in text and "test box" in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| rank | model | task | seeds | wholechrom.pearson |")
    body = table[1:]
    assert [line.split(" | ")[0] for line in body] == ["| 1", "| 2", "| 3", "| 4", "| ref", "| ref"]
    assert "*oracle (ceiling)*" in body[-2]
    assert "0.710 ± 0.014" in body[0]
    assert "n/a" in body[2]
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "## Not applicable" in text and "binary model without variant scores" in text


def test_one_board_per_fingerprint(tmp_path):
    write(tmp_path / "a", make_record("a"))
    write(tmp_path / "b", make_record("b", fingerprint=OTHER_FINGERPRINT, dataset_name="sim-default-seed0"))
    write(tmp_path / "c", make_record("c", fingerprint="ef" * 32))  # same name as the first dataset
    boards = build_boards(gather_records(records=[tmp_path]).records)
    assert len(boards) == 3
    slugs = sorted(b.slug for b in boards)
    assert "sim-default-seed0" in slugs
    assert sum(s.startswith("sim-smoke-seed0-") for s in slugs) == 2  # same name: fingerprint suffix
    assert all(
        len({r.record["dataset"]["fingerprint"] for row in b.all_rows for r in row.records}) == 1
        for b in boards
    )


def test_format_and_escape_helpers():
    assert format_value(None) == "n/a"
    assert format_value(0.71234) == "0.712"
    assert format_value(-0.0001234) == "-0.000"  # correlations: 3 decimals
    assert format_value(0.0001234, metric="robustness.variation") == "0.000123"  # 3 significant digits
    assert format_value(12345.6) == "1.23e+04"
    assert format_value(0.5, 0.01) == "0.500 ± 0.010"
    assert md_escape("a|b <i>") == "a\\|b &lt;i&gt;"


def test_motif_figure_found_below_the_record_folder(tmp_path) -> None:
    """Records store figure paths relative to where `run` was started; the board still finds them."""
    from types import SimpleNamespace

    from benchsuite.leaderboard.figures import find_motif_figure

    record_dir = tmp_path / "runs" / "fp" / "m" / "quantitative" / "seed0"
    logo = record_dir / "figures" / "motifs" / "motif_logos.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    item = SimpleNamespace(
        record={"seed": 0, "figures": {"motifs.logos": "elsewhere/runs/fp/m/figures/motifs/motif_logos.png"}},
        base_dir=record_dir,
    )
    assert find_motif_figure(SimpleNamespace(records=[item])) == logo
    item.record["figures"] = {"motifs.logos": "missing.png"}
    assert find_motif_figure(SimpleNamespace(records=[item])) is None
