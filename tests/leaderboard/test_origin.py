"""An evaluate-only row sits next to trained rows with a mark (pretrained / probed)."""

from __future__ import annotations

from benchsuite.leaderboard.board import build_boards
from benchsuite.leaderboard.formatting import Provenance
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.html_table import leaderboard_table
from benchsuite.leaderboard.markdown import ORIGIN_LEGEND, board_markdown, row_origin
from benchsuite.results.record import build_record
from tests.results.record_factory import FINGERPRINT, make_record, write


def _pretrained(record: dict, row_kind: str) -> dict:
    body = {k: v for k, v in record.items() if k not in ("checksum",)}
    prov = {
        "plugin": {"name": "p", "distribution": "d", "version": "1", "files_sha256": None},
        "weights_sha256": "sha256:" + "0" * 64,
        "bundle": None,
        "trained_by_suite": False,
        "adaptation": {
            "row_kind": row_kind,
            "input": "context",
            "targets": "probe" if row_kind == "probed" else "names",
        },
    }
    evaluation = {
        k: body[k] for k in ("metrics", "tables", "figures", "not_applicable", "timings", "harness_version")
    }
    return build_record(
        kind="model",
        model=body["model"]["name"],
        plugin="p",
        distribution="d",
        distribution_version="1",
        task=body["task"],
        dataset_name=body["dataset"]["name"],
        dataset_fingerprint=body["dataset"]["fingerprint"],
        profile=body["dataset"].get("profile"),
        hyperparameters={"build": {}, "training": None},
        seed=0,
        evaluation=evaluation,
        timings={"train_s": 0.0},
        wandb=None,
        provenance=prov,
    )


def _board(tmp_path):
    root = tmp_path / "runs" / FINGERPRINT[:12]
    write(
        root / "trained" / "quantitative" / "seed0",
        make_record("trained", means={"wholechrom_common.pearson": 0.5}),
    )
    base = make_record("enformer-port", means={"wholechrom_common.pearson": 0.6})
    write(root / "enformer-port" / "quantitative" / "seed0", _pretrained(base, "pretrained"))
    probe = make_record("nt-probe", means={"wholechrom_common.pearson": 0.4})
    write(root / "nt-probe" / "quantitative" / "seed0", _pretrained(probe, "probed"))
    search = {"architect": "tpe", "space": "amber-like", "seed": 0, "candidates": 8, "steps": 12}
    searched = make_record(
        "amber-0123456789",
        means={"wholechrom_common.pearson": 0.45},
        hyperparameters={"build": {"search": search}},
    )
    write(root / "amber-0123456789" / "quantitative" / "seed0", searched)
    tuned = make_record(
        "trained",
        means={"wholechrom_common.pearson": 0.55},
        hyperparameters={"tuned": {"variant": "tuned-0badc0de", "build": {"channels": 12}}},
    )
    write(root / "trained+tuned-0badc0de" / "quantitative" / "seed0", tuned)
    gathered = gather_records(records=[tmp_path / "runs"])
    assert not gathered.conflicts  # the tuned record has its own key beside the untuned one
    (board,) = build_boards(gathered.records)
    return board


def test_rows_are_marked_by_origin(tmp_path):
    board = _board(tmp_path)
    origins = {row.model: row_origin(row) for row in board.rows}
    assert origins == {
        "trained": None,
        "trained+tuned-0badc0de": "tuned",
        "amber-0123456789": "searched",
        "enformer-port": "pretrained",
        "nt-probe": "probed",
    }


def test_markdown_and_html_show_the_marks(tmp_path):
    board = _board(tmp_path)
    text = board_markdown(board, Provenance(command="benchsuite leaderboard"))
    assert "enformer-port *(pretrained)*" in text and "nt-probe *(probed)*" in text
    assert "| trained |" in text and ORIGIN_LEGEND in text
    html = leaderboard_table(board)
    assert 'enformer-port <span class="origin">(pretrained)</span>' in html
    assert 'nt-probe <span class="origin">(probed)</span>' in html
    assert "amber-0123456789 *(searched)*" in text and "trained+tuned-0badc0de *(tuned)*" in text
