"""Board tables: ranking at the common bin, seeds, ceilings per bin, n/a, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import statistics

import pandas as pd
import pytest

from benchsuite.evaluate.registry import board_metrics, metric_spec
from benchsuite.leaderboard.columns import GROUPS, column_group, reference_ceiling
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.tables import (
    SORT_METRIC,
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
from tests.leaderboard.conftest import CEILINGS, RANK, XSS_NAME
from tests.results.record_factory import FULL_MEANS, OTHER_FINGERPRINT, make_record, write

PROV = Provenance(command="benchsuite leaderboard --records runs", harness_version="2.0", machine="test box")


@pytest.fixture()
def board(sample_runs):
    boards = build_boards(gather_records(records=[sample_runs]).records)
    assert len(boards) == 1
    return boards[0]


def test_the_board_ranks_by_wholechrom_pearson_at_the_common_bin(board):
    assert SORT_METRIC == RANK == "wholechrom_common.pearson"
    assert [(r.model, r.task) for r in board.rows] == [
        ("deepstar", "quantitative"),
        ("cnn", "quantitative"),
        ("basset", "binary"),
        (XSS_NAME, "quantitative"),
    ]
    assert [r.rank for r in board.rows] == [1, 2, 3, 4]
    # basset's own-bin (tile) Pearson 0.90 beats every quantitative model's, but not at 128 bp
    basset = board.rows[2]
    assert basset.value("wholechrom.pearson") > max(r.value("wholechrom.pearson") for r in board.rows[:2])
    assert [r.bin_label for r in board.rows] == ["128 bp", "1 bp", "per sequence (512 bp)", "32 bp"]
    assert (board.common_bin, board.input_length) == (128, 512)


def test_binary_tile_pearson_cannot_outrank_a_better_common_bin_model(tmp_path):
    write(
        tmp_path / "bin", make_record("tiles", "binary", overrides={RANK: 0.40, "wholechrom.pearson": 0.95})
    )
    write(
        tmp_path / "q", make_record("quant", bin_size=32, overrides={RANK: 0.55, "wholechrom.pearson": 0.50})
    )
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    assert [r.model for r in board.rows] == ["quant", "tiles"]
    assert board.columns[0] == SORT_METRIC  # the ranking metric is the first column


def test_ceilings_are_reference_rows_one_per_bin(board):
    refs = [(r.model, r.bin_size, r.rank) for r in board.reference_rows]
    assert refs == [(name, b, None) for name in ("oracle", "replicate2") for b in (1, 32, 128, 512)]
    assert board.all_rows[-8:] == board.reference_rows
    for name, by_bin in CEILINGS.items():
        for b, (own, common) in by_bin.items():
            assert board.ceiling_value(name, b, "wholechrom.pearson") == pytest.approx(own)
            assert board.ceiling_value(name, b, RANK) == (None if common is None else pytest.approx(common))
    assert board.ceiling_row("oracle", 512).bin_label == "per sequence (512 bp)"
    assert board.ceiling_row("oracle", 64) is None


def test_ceiling_at_the_rows_own_bin_and_percent_of_ceiling(board):
    deepstar, cnn, basset, xss = board.rows
    assert board.oracle_common() == pytest.approx(0.95)
    assert board.pct_of_oracle(deepstar) == pytest.approx(100 * 0.71 / 0.95)
    # own-bin wholechrom.pearson against the oracle at the same bin (basset: the input length)
    assert board.own_bin_ceiling(cnn, "wholechrom.pearson") == ("oracle", pytest.approx(0.85))
    assert board.pct_of_own_oracle(cnn) == pytest.approx(100 * 0.55 / 0.85)
    assert board.pct_of_own_oracle(basset) == pytest.approx(100 * 0.90 / 0.97)
    assert board.pct_of_own_oracle(xss) == pytest.approx(100 * 0.30 / 0.88)
    # the reference of each metric: the oracle for coverage metrics, replicate 2 for peak metrics
    assert reference_ceiling("wholechrom.pearson") == "oracle"
    assert reference_ceiling("perseq.pearson") == "oracle"
    assert reference_ceiling("peak.auroc") == "replicate2"


def test_seeds_are_aggregated(board):
    deepstar = board.rows[0]
    assert deepstar.seeds == [0, 1]
    cell = deepstar.cells[RANK]
    assert cell.n == 2
    assert cell.value == pytest.approx(statistics.mean([0.70, 0.72]))
    assert cell.sd == pytest.approx(statistics.stdev([0.70, 0.72]))
    # per target: mean over seeds of each target's value (factory offsets are -0.005 / +0.005)
    assert deepstar.per_target[RANK]["celltype_A"] == pytest.approx(0.71 - 0.005)
    assert deepstar.per_target[RANK]["celltype_B"] == pytest.approx(0.71 + 0.005)
    assert board.rows[1].cells[RANK].sd is None


def test_columns_follow_the_registry_in_groups(board):
    assert board.columns == metric_columns(board.all_columns, include_extra=False)
    assert board.columns[0] == SORT_METRIC
    main = [m for m in board_metrics() if m != "thresholded.pearson@*"]
    assert set(main) <= set(board.columns)  # every registry board metric is a column
    assert all(metric_spec(m).board for m in board.columns)  # and nothing else is
    labels = [label for label, _ in board.groups]
    known = [label for label, _ in GROUPS]
    assert labels == [g for g in known if g in labels]  # groups in the paper's order, each once
    assert labels[0] == "prediction" and column_group(SORT_METRIC) == "prediction"
    # thresholds are sorted numerically (2 before 10) and stay in the prediction group
    t = [m for m in board.columns if m.startswith("thresholded.")]
    assert t == ["thresholded.pearson@2", "thresholded.pearson@10"]
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
    assert [r["model"] for r in rows[:4]] == ["deepstar", "cnn", "basset", XSS_NAME]
    assert [r["model"] for r in rows[4:]] == ["oracle"] * 4 + ["replicate2"] * 4
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"] + ["ref"] * 8
    assert [r["bin_size"] for r in rows[4:8]] == ["1", "32", "128", "512"]
    assert rows[2]["bin"] == "per sequence (512 bp)" and rows[2]["bin_size"] == "512"
    assert rows[2]["cagi5.robust"] == "n/a"
    assert float(rows[0][RANK]) == pytest.approx(0.71)
    assert float(rows[0][f"{RANK}_sd"]) == pytest.approx(statistics.stdev([0.70, 0.72]))
    assert rows[0]["seeds"] == "0 1"
    assert float(rows[1][f"{RANK}_pct_oracle"]) == pytest.approx(100 * 0.62 / 0.95)
    assert float(rows[1]["wholechrom.pearson_oracle_own_bin"]) == pytest.approx(0.85)
    assert float(rows[1]["wholechrom.pearson_pct_oracle_own_bin"]) == pytest.approx(100 * 0.55 / 0.85)
    assert rows[0]["tie"] == "leader" and rows[1]["tie"] == "behind" and rows[3]["tie"] == ""
    assert rows[3][f"{RANK}_lo"] == "" and rows[1][f"{RANK}_lo"] != ""  # no replicates: no interval
    frame = pd.read_csv(io.StringIO(text))
    assert frame["cagi5.robust"].isna().tolist()[:4] == [False, False, True, False]
    assert frame[RANK].iloc[:4].is_monotonic_decreasing
    header = next(csv.reader(io.StringIO(text)))
    assert header[:9] == [
        "rank",
        "tie",
        "tie_diff_lo",
        "tie_diff_hi",
        "kind",
        "model",
        "task",
        "bin_size",
        "bin",
    ]


def test_records_and_per_target_csv(board):
    recs = list(csv.DictReader(io.StringIO(records_csv(board))))
    assert len(recs) == 13
    assert {r["seed"] for r in recs if r["model"] == "deepstar"} == {"0", "1"}
    assert sorted(int(r["bin_size"]) for r in recs if r["model"] == "oracle") == [1, 32, 128, 512]
    assert all(r["checksum"].startswith("sha256:") for r in recs)
    per = list(csv.DictReader(io.StringIO(per_target_csv(board))))
    row = next(r for r in per if r["model"] == "cnn" and r["metric"] == RANK and r["target"] == "celltype_B")
    assert float(row["value"]) == pytest.approx(0.625)


def test_markdown(board):
    text = board_markdown(board, PROV)
    assert "`benchsuite leaderboard --records runs`" in text
    assert board.fingerprint in text and "benchsuite 0.1.0" in text and "test box" in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header = table[0]
    assert header.startswith(
        "| rank | ≈ | model | task | bin | seeds | verified | "
        "wholechrom\\_common.pearson (128 bp) | % of oracle | "
        "wholechrom.pearson (own bin) | % of oracle (own bin) |"
    )
    body = table[1:]
    assert [line.split(" | ")[0] for line in body] == ["| 1", "| 2", "| 3", "| 4"] + ["| ref"] * 8
    assert "*oracle (ceiling)*" in body[4] and "| 1 bp |" in body[4]
    assert "0.710 ± 0.014 \\[" in body[0]  # ± SD over seeds, then the interval
    assert "| 0.550 (oracle 0.850) |" in body[1]  # own-bin value next to the oracle at the same bin
    assert "per sequence (512 bp)" in body[2] and "0.900 (oracle 0.970)" in body[2]
    assert "n/a" in body[2]
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "## Not applicable" in text and "binary model without variant scores" in text
    assert "Column groups: **prediction**" in text and "**task conversion**" in text
    # the references are named honestly, and which one bounds which metric
    assert "noise-free expected coverage" in text and "second noisy measurement" in text
    assert "reference for peak metrics" in text and "reference for coverage metrics" in text
    # a ceiling's n/a note names only the bin it holds for
    assert "oracle (ceiling) / quantitative at per sequence (512 bp): wholechrom\\_common" in text


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


def test_ceiling_records_without_a_bin_are_at_base_resolution(tmp_path):
    rec = make_record("oracle", kind="ceiling", bin_size=128)
    del rec["hyperparameters"]["bin_size"], rec["tables"]["ceiling"], rec["tables"]["evaluation"]
    from tests.results.record_factory import reseal

    write(tmp_path / "old", reseal(rec))
    write(tmp_path / "m", make_record("m"))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    assert [(r.model, r.bin_size) for r in board.reference_rows] == [("oracle", 1)]


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
        source=str(record_dir / "record.json"),
    )
    assert find_motif_figure(SimpleNamespace(records=[item])) == logo
    item.record["figures"] = {"motifs.logos": "missing.png"}
    assert find_motif_figure(SimpleNamespace(records=[item])) is None


def test_thresholded_headers_say_how_many_tiles_they_rest_on(board):
    from benchsuite.leaderboard.formatting import column_label
    from benchsuite.leaderboard.tables import board_markdown

    assert board.threshold_counts == {"2": 303, "10": 48}
    assert column_label("thresholded.pearson@2", 128, board.threshold_counts) == (
        "thresholded.pearson@2 (own bin, n=303)"
    )
    assert (
        column_label("thresholded.pearson@4", 128, board.threshold_counts)
        == "thresholded.pearson@4 (own bin)"
    )
    assert column_label("perseq.pearson", 128, board.threshold_counts) == "perseq.pearson (own bin)"
    assert "n=48" in board_markdown(board, PROV)
