"""A sequence-set board (labelled sequences, no genome coordinates) is ranked by peak.auroc;
a genome board keeps the whole-chromosome ranking."""

from __future__ import annotations

import json

from benchsuite.evaluate.registry import RANKING_METRIC, SEQUENCE_SET_RANKING_METRIC
from benchsuite.leaderboard.board import build_boards
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.markdown import board_legend
from tests.results.record_factory import make_record, reseal, write


def _seqset(model: str, auroc: float) -> dict:
    record = make_record(model, "binary", means={"peak.auroc": auroc, "peak.aupr": auroc - 0.1})
    record["tables"]["evaluation"]["bundle_kind"] = "sequences"
    return reseal(record)


def test_sequence_set_rows_are_ranked_by_auroc(tmp_path):
    for model, auroc in (("low", 0.6), ("high", 0.9), ("mid", 0.75)):
        write(tmp_path / model, _seqset(model, auroc))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    assert board.ranking_metric == SEQUENCE_SET_RANKING_METRIC == "peak.auroc"
    assert [(r.rank, r.model) for r in board.rows] == [(1, "high"), (2, "mid"), (3, "low")]
    assert board_legend(board)[0].startswith("Ranked by peak.auroc: a sequence-set dataset")


def test_genome_board_keeps_the_whole_chromosome_ranking(tmp_path):
    write(tmp_path / "a", make_record("a", overrides={RANKING_METRIC: 0.5, "peak.auroc": 0.9}))
    write(tmp_path / "b", make_record("b", overrides={RANKING_METRIC: 0.7, "peak.auroc": 0.6}))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    assert board.ranking_metric == RANKING_METRIC
    assert [r.model for r in board.rows] == ["b", "a"]
    record = json.loads((tmp_path / "a" / "record.json").read_text())
    assert "bundle_kind" not in record["tables"]["evaluation"]


def test_peak_files_only_board_is_ranked_by_auroc(tmp_path):
    """A genome bundle of peak files without coverage (bundle_kind "peaks") has no whole-chromosome
    metric either."""
    for model, auroc in (("low", 0.55), ("high", 0.8)):
        record = make_record(model, "binary", means={"peak.auroc": auroc, "peak.aupr": auroc - 0.1})
        record["tables"]["evaluation"]["bundle_kind"] = "peaks"
        write(tmp_path / model, reseal(record))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    assert board.ranking_metric == "peak.auroc"
    assert [(r.rank, r.model) for r in board.rows] == [(1, "high"), (2, "low")]
    assert "or a bundle of peak files without coverage" in board_legend(board)[0]
