"""A ranking that mixes training precisions says so (which rows, which precision)."""

from __future__ import annotations

from benchsuite.leaderboard.board import build_boards
from benchsuite.leaderboard.formatting import Provenance, precision_note, record_precision
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.html import render_board_html
from benchsuite.leaderboard.markdown import board_markdown
from tests.results.record_factory import FINGERPRINT, make_record, write


def _board(tmp_path, precisions: dict[str, str]):
    root = tmp_path / "runs" / FINGERPRINT[:12]
    for i, (model, precision) in enumerate(precisions.items()):
        record = make_record(
            model,
            means={"wholechrom_common.pearson": 0.5 + 0.01 * i},
            hyperparameters={"trainer": {"accelerator": "cpu", "precision": precision}},
        )
        assert record_precision(record) == precision
        write(root / model / "quantitative" / "seed0", record)
    (board,) = build_boards(gather_records(records=[tmp_path / "runs"]).records)
    return board


def test_one_precision_needs_no_note(tmp_path):
    assert precision_note(_board(tmp_path, {"a": "32-true", "b": "32-true"})) is None


def test_mixed_precisions_are_named_on_the_board(tmp_path):
    board = _board(tmp_path, {"a": "32-true", "b": "32-true", "fast": "bf16-mixed"})
    note = precision_note(board)
    assert note is not None
    assert "32-true: 2 rows (b / quantitative, a / quantitative)" in note
    assert "bf16-mixed: 1 row (fast / quantitative)" in note
    assert "Mixed training precisions" in board_markdown(board, Provenance(command="benchsuite leaderboard"))
    html = render_board_html(board, Provenance(command="benchsuite leaderboard"), {})
    assert "Mixed training precisions" in html and "bf16-mixed: 1 row" in html


def test_a_record_without_a_recorded_precision_reads_as_unknown():
    assert record_precision(make_record("old")) == "?"
