"""The searched models of the default board: the committed documents (searched/) are valid, come
from the committed searches (searches/default-seed0/), were searched on the default bundle at the
stated equal-compute budget, and are on the committed board, marked searched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchsuite.search.document import read_document
from benchsuite.search.journal import read_all_journals

ROOT = Path(__file__).resolve().parents[2]
SEARCHED = ROOT / "searched"
SEARCHES = ROOT / "searches" / "default-seed0"
BOARD = ROOT / "leaderboards" / "sim-default-seed0"
#: the training compute of the hand-designed zoo per task on the default board: cells x 800 steps
ZOO_STEPS = {"quantitative": 9 * 800, "binary": 6 * 800}
ARCHITECTS = ("random", "tpe", "controller")


def _searches() -> list[Path]:
    return sorted(p for p in SEARCHES.iterdir() if p.is_dir())


def test_every_architect_searched_each_task():
    assert {p.name for p in _searches()} == {f"{a}-{t}" for a in ARCHITECTS for t in ZOO_STEPS}


@pytest.mark.parametrize("folder", _searches(), ids=lambda p: p.name)
def test_search_is_the_documented_equal_compute_experiment(folder):
    config = json.loads((folder / "search.json").read_text())
    architect, task = folder.name.split("-")
    assert (config["architect"], config["task"], config["profile"], config["seed"]) == (
        architect,
        task,
        "default",
        0,
    )
    trials = read_all_journals(folder)
    assert len(trials) * config["steps"] == ZOO_STEPS[task]  # every candidate finished: the whole budget
    assert all(isinstance(t.get("score"), float) for t in trials)
    document = read_document(folder / "best.arch.json")
    best = max(trials, key=lambda t: (t["score"], -t["index"]))
    assert document.name == best["name"] and document.search["score"] == pytest.approx(best["score"])
    board = json.loads((BOARD / "board.json").read_text())
    assert document.bundle["fingerprint"] == board["dataset"]["fingerprint"]
    committed = SEARCHED / f"{document.name}.arch.json"
    assert read_document(committed).to_dict() == document.to_dict()


def test_searched_models_are_on_the_board_marked_searched():
    text = (BOARD / "leaderboard.md").read_text()
    names = [read_document(p).name for p in sorted(SEARCHED.glob("*.arch.json"))]
    assert len(names) == len(ARCHITECTS) * len(ZOO_STEPS) - _shared_winners()
    for name in names:
        assert f"{name} *(searched)*" in text, name


def _shared_winners() -> int:
    """Searches whose winners are the same architecture share one document."""
    names = [read_document(p / "best.arch.json").name for p in _searches()]
    return len(names) - len(set(names))
