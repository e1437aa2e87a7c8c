"""The search loop: a real smoke search, resumption after a kill, shards, the test split closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchsuite.errors import ConfigError
from benchsuite.search.document import read_document
from benchsuite.search.journal import read_journal
from benchsuite.search.loop import BEST_NAME, run_search

from .conftest import StubEvaluator, options, toy_score


def test_real_search_writes_a_valid_document(real_search):
    out, result, _ = real_search
    assert result.document_path == out / BEST_NAME
    document = read_document(out / BEST_NAME)
    assert document.name == result.document.name and document.name.startswith("amber-")
    assert document.search["architect"] == "random" and document.search["evaluated"] == 2
    assert document.search["budget_steps"] == 4 and document.search["metric"] == "val/auroc"
    assert 0.0 <= document.search["score"] <= 1.0
    assert document.bundle["name"] == "sim-smoke-seed0" and len(document.bundle["fingerprint"]) == 64


def test_real_search_trains_each_candidate_its_steps(real_search):
    out, result, _ = real_search
    entries = read_journal(out / "trials.jsonl")
    assert [e["index"] for e in entries] == [0, 1]
    assert all(e["steps"] == 2 and e.get("error") is None for e in entries)
    assert result.trained == [0, 1]
    assert not list((out / "candidates").glob("*/checkpoint.ckpt"))  # scores kept, weights not


def test_real_search_never_opens_the_test_split(real_search):
    _, _, opened = real_search
    assert ("binary", "train") in opened and ("binary", "valid") in opened
    assert [s for s in opened if s[1] == "test"] == []


def test_killed_tpe_search_resumes_without_repeating_finished_candidates(
    search_bundle, search_cache, tmp_path
):
    optuna = pytest.importorskip("optuna")
    opts = options(search_bundle, search_cache, tmp_path, architect="tpe", candidates=6)
    first = StubEvaluator(kill_at=2)
    with pytest.raises(KeyboardInterrupt):
        run_search(opts, evaluator=first)
    done = read_journal(tmp_path / "trials.jsonl")
    assert [e["index"] for e in done] == [0, 1]
    second = StubEvaluator()
    result = run_search(opts, evaluator=second)
    assert result.resumed == [0, 1] and result.trained == [2, 3, 4, 5]
    assert len(second.calls) == 4
    entries = read_journal(tmp_path / "trials.jsonl")
    assert [e["index"] for e in entries] == [0, 1, 2, 3, 4, 5]
    assert entries[:2] == done  # the finished candidates were not rewritten
    study = optuna.load_study(study_name="benchsuite-search", storage=f"sqlite:///{tmp_path / 'tpe.db'}")
    states = [t.state.name for t in study.get_trials()]
    assert states.count("COMPLETE") == 6 and states.count("FAIL") == 1  # the killed trial
    assert "RUNNING" not in states


def test_killed_random_search_resumes_with_the_same_candidates(search_bundle, search_cache, tmp_path):
    whole = StubEvaluator()
    run_search(options(search_bundle, search_cache, tmp_path / "whole"), evaluator=whole)
    with pytest.raises(KeyboardInterrupt):
        run_search(
            options(search_bundle, search_cache, tmp_path / "killed"), evaluator=StubEvaluator(kill_at=1)
        )
    rest = StubEvaluator()
    run_search(options(search_bundle, search_cache, tmp_path / "killed"), evaluator=rest)
    assert rest.calls == whole.calls[1:]


def test_best_document_is_the_highest_validation_score(search_bundle, search_cache, tmp_path):
    result = run_search(
        options(search_bundle, search_cache, tmp_path, candidates=6), evaluator=StubEvaluator()
    )
    scores = [e["score"] for e in result.trials]
    assert result.document is not None
    assert result.document.search["score"] == max(scores)
    assert toy_score(result.document.architecture.operations) == max(scores)


def test_shards_split_the_candidates_and_share_the_best(search_bundle, search_cache, tmp_path):
    one, two = StubEvaluator(), StubEvaluator()
    run_search(options(search_bundle, search_cache, tmp_path, candidates=5, shard="1/2"), evaluator=one)
    result = run_search(
        options(search_bundle, search_cache, tmp_path, candidates=5, shard="2/2"), evaluator=two
    )
    assert [e["index"] for e in read_journal(tmp_path / "trials-1-of-2.jsonl")] == [0, 2, 4]
    assert [e["index"] for e in read_journal(tmp_path / "trials-2-of-2.jsonl")] == [1, 3]
    assert [e["index"] for e in result.trials] == [0, 1, 2, 3, 4]
    whole = StubEvaluator()
    run_search(options(search_bundle, search_cache, tmp_path / "whole", candidates=5), evaluator=whole)
    assert sorted(one.calls + two.calls) == sorted(whole.calls)  # random shards = the unsharded search


def test_a_folder_of_another_search_is_refused(search_bundle, search_cache, tmp_path):
    run_search(options(search_bundle, search_cache, tmp_path, candidates=1), evaluator=StubEvaluator())
    with pytest.raises(ConfigError, match=r"holds a different search \(differs in: seed\)") as info:
        run_search(
            options(search_bundle, search_cache, tmp_path, candidates=1, seed=1), evaluator=StubEvaluator()
        )
    assert info.value.source == str(tmp_path / "search.json")
    assert json.loads((tmp_path / "search.json").read_text())["seed"] == 0


def test_more_candidates_extend_a_finished_search(search_bundle, search_cache, tmp_path):
    run_search(options(search_bundle, search_cache, tmp_path, candidates=2), evaluator=StubEvaluator())
    more = StubEvaluator()
    result = run_search(options(search_bundle, search_cache, tmp_path, candidates=3), evaluator=more)
    assert result.trained == [2] and len(more.calls) == 1


def test_bad_options_are_refused(search_bundle, search_cache, tmp_path):
    with pytest.raises(ConfigError, match="--steps must be >= 1, got 0"):
        run_search(options(search_bundle, search_cache, tmp_path, steps=0), evaluator=StubEvaluator())
    with pytest.raises(ConfigError, match="unknown task 'regression'"):
        run_search(
            options(search_bundle, search_cache, tmp_path, task="regression"), evaluator=StubEvaluator()
        )


def test_failed_candidate_is_journaled_without_score(search_bundle, search_cache, tmp_path):
    from benchsuite.errors import TrainingError

    def broken(document, folder: Path, logger):
        raise TrainingError("loss is nan", source="candidate")

    result = run_search(options(search_bundle, search_cache, tmp_path, candidates=1), evaluator=broken)
    assert result.trials[0]["score"] is None and "loss is nan" in result.trials[0]["error"]
    assert result.document is None and not (tmp_path / BEST_NAME).exists()


def test_tpe_shards_draw_different_startup_candidates(search_bundle, search_cache, tmp_path):
    pytest.importorskip("optuna")
    for shard in ("1/2", "2/2"):
        opts = options(search_bundle, search_cache, tmp_path, architect="tpe", candidates=4, shard=shard)
        run_search(opts, evaluator=StubEvaluator())
    one = [e["choices"] for e in read_journal(tmp_path / "trials-1-of-2.jsonl")]
    two = [e["choices"] for e in read_journal(tmp_path / "trials-2-of-2.jsonl")]
    assert len(one) == len(two) == 2 and one != two
    assert (tmp_path / "tpe-1-of-2.db").is_file() and (tmp_path / "tpe-2-of-2.db").is_file()


def test_real_quantitative_search_scores_validation_pearson(search_bundle, search_cache, tmp_path):
    opts = options(
        search_bundle, search_cache, tmp_path, task="quantitative", candidates=1, steps=2, bin_size=32
    )
    result = run_search(opts)
    (entry,) = result.trials
    assert entry.get("error") is None and entry["steps"] == 2
    document = read_document(tmp_path / BEST_NAME)
    assert document.task == "quantitative" and document.bin_size == 32
    assert document.search["metric"] == "val/pearson" and -1.0 <= document.search["score"] <= 1.0
