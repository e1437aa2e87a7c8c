"""Intervals and ties: record ci95, seed-mean replicates, paired bootstrap against the leader."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from benchsuite.leaderboard.build import write_leaderboards
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.intervals import paired_tie, percentile_interval, row_replicates
from benchsuite.leaderboard.tables import Provenance, board_csv, board_markdown, build_boards
from tests.results.record_factory import make_record, percentile_ci, replicate_means, write

RANK = "wholechrom_common.pearson"
PROV = Provenance(command="benchsuite leaderboard", harness_version="2.0")


def _rec(name: str, value: float, *, noise_seed: int | None, seed: int = 0, spread: float = 0.01):
    boot = None if noise_seed is None else {RANK: replicate_means(value, seed=noise_seed, spread=spread)}
    return make_record(name, seed=seed, overrides={RANK: value}, bootstrap=boot)


@pytest.fixture()
def tie_board(tmp_path):
    # b sits 0.005 below the leader on the same resamples: its interval overlaps the leader's, but
    # the paired difference is -0.005 on every replicate, so it is behind; c has its own noise and
    # sits 0.002 below: the difference's interval contains 0, c is tied; d has no replicates
    write(tmp_path / "a", _rec("a", 0.700, noise_seed=0))
    write(tmp_path / "b", _rec("b", 0.695, noise_seed=0))
    write(tmp_path / "c", _rec("c", 0.698, noise_seed=7))
    write(tmp_path / "d", _rec("d", 0.650, noise_seed=None))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    return board


def test_paired_bootstrap_marks_rows_tied_with_the_leader(tie_board):
    assert [r.model for r in tie_board.rows] == ["a", "c", "b", "d"]
    a, c, b, d = tie_board.rows
    assert a.tie is None  # the leader
    # b's own interval overlaps the leader's, yet the paired difference excludes 0
    assert b.cells[RANK].lo < a.cells[RANK].hi
    assert b.tie is not None and not b.tie.tied
    assert b.tie.lo == pytest.approx(-0.005) and b.tie.hi == pytest.approx(-0.005)
    assert c.tie is not None and c.tie.tied and c.tie.lo < 0 < c.tie.hi
    assert d.tie is None and d.cells[RANK].lo is None  # no replicates: neither interval nor tie
    diff = np.array(replicate_means(0.698, seed=7)) - np.array(replicate_means(0.700, seed=0))
    assert (c.tie.lo, c.tie.hi) == pytest.approx(tuple(np.percentile(diff, [2.5, 97.5])))


def test_ties_and_intervals_in_markdown_and_csv(tie_board):
    text = board_markdown(tie_board, PROV)
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    assert [line.split(" | ")[1] for line in rows] == ["", "≈", "", ""]  # a, c, b, d
    assert "≈ tied with the leader" in text and "paired-bootstrap" in text
    lo, hi = percentile_ci(replicate_means(0.700, seed=0))
    assert f"0.700 \\[{lo:.3f}, {hi:.3f}\\]" in rows[0]
    table = list(csv.DictReader(io.StringIO(board_csv(tie_board))))
    assert [r["tie"] for r in table] == ["leader", "tied", "behind", ""]
    assert float(table[0][f"{RANK}_lo"]) == pytest.approx(lo)
    assert float(table[0][f"{RANK}_hi"]) == pytest.approx(hi)
    assert float(table[1]["tie_diff_lo"]) < 0 < float(table[1]["tie_diff_hi"])


def test_several_seeds_interval_from_the_seed_mean_of_the_replicates(tmp_path):
    write(tmp_path / "s0", _rec("m", 0.70, noise_seed=1, seed=0))
    write(tmp_path / "s1", _rec("m", 0.72, noise_seed=2, seed=1))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    cell = board.rows[0].cells[RANK]
    mean_reps = (np.array(replicate_means(0.70, seed=1)) + np.array(replicate_means(0.72, seed=2))) / 2
    assert (cell.lo, cell.hi) == pytest.approx(tuple(np.percentile(mean_reps, [2.5, 97.5])))
    assert cell.sd == pytest.approx(np.std([0.70, 0.72], ddof=1))


def test_one_seed_interval_is_the_records_own_ci95(tmp_path):
    write(tmp_path / "m", make_record("m", ci95={RANK: (0.61, 0.77), "peak.auroc": (0.7, 0.9)}))
    (board,) = build_boards(gather_records(records=[tmp_path]).records)
    row = board.rows[0]
    assert (row.cells[RANK].lo, row.cells[RANK].hi) == (0.61, 0.77)
    assert (row.cells["peak.auroc"].lo, row.cells["peak.auroc"].hi) == (0.7, 0.9)
    assert row.cells["perseq.pearson"].lo is None
    assert row.tie is None  # the leader


def test_rows_without_bootstrap_data_never_crash(tmp_path):
    write(tmp_path / "a", _rec("a", 0.7, noise_seed=None))
    write(tmp_path / "b", _rec("b", 0.6, noise_seed=3))
    other = make_record("c", overrides={RANK: 0.5}, bootstrap={RANK: [0.5] * 50})  # another bootstrap size
    write(tmp_path / "c", other)
    gathered = gather_records(records=[tmp_path])
    (item,) = write_leaderboards(gathered, tmp_path / "out", PROV)
    assert all(r.tie is None for r in item.board.rows)  # the leader has no replicates
    page = (item.folder / "index.html").read_text(encoding="utf-8")
    assert "not compared with the leader" in page


def test_interval_helpers():
    assert percentile_interval(np.array([np.nan] * 30)) is None
    assert percentile_interval(np.arange(9.0)) is None  # too few replicates
    lo, hi = percentile_interval(np.arange(101.0))
    assert (lo, hi) == pytest.approx((2.5, 97.5))
    assert paired_tie(None, np.zeros(50)) is None
    assert paired_tie(np.zeros(40), np.zeros(50)) is None  # not the same resamples
    records = [{"tables": {"bootstrap": {"n_boot": 3, "replicates": {RANK: [1.0, None, 3.0]}}}}]
    reps = row_replicates(records, RANK)
    assert reps[0] == 1.0 and np.isnan(reps[1])
    mixed = [*records, {"tables": {"bootstrap": {"n_boot": 4, "replicates": {RANK: [1.0] * 4}}}}]
    assert row_replicates(mixed, RANK) is None  # different bootstraps are not averaged
