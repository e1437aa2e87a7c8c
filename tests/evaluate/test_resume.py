"""Family-granular resumable evaluation (benchsuite.evaluate.resume): a killed evaluation resumes
at the first unfinished unit, finished units are not recomputed, and the metrics are those of an
uninterrupted evaluation."""

from __future__ import annotations

import json

import pytest
import torch

from benchsuite.evaluate import harness
from benchsuite.evaluate.harness import EvalOptions, evaluate_model
from benchsuite.evaluate.resume import PARTIAL_NAME, EvalProgressStore, evaluation_key
from benchsuite.plugins.spec import TaskSpec
from tests.evaluate.conftest import TARGETS
from tests.evaluate.toys import ConvCoverage

OPTIONS = EvalOptions(batch_size=16, robustness_max_sequences=6, thresholded_min_sequences=5, bootstrap=50)
TASK = TaskSpec("quantitative", 256, 3, 8, TARGETS)


class Killed(BaseException):
    """Stands for the process being killed (not an Exception: nothing may catch it)."""


def _model():
    torch.manual_seed(0)
    return ConvCoverage(3, 8, gain=1.2, bias=-3.0).eval()


def _evaluate(cache, manifest, store=None):
    return evaluate_model(_model(), TASK, cache, manifest, options=OPTIONS, name="conv8", store=store)


def _without_timings(result):
    data = result.to_dict()
    data.pop("timings")
    return data


def _count_units(monkeypatch):
    """Record which split passes and standalone families actually run."""
    ran: list[str] = []
    stream, standalone = harness.stream_split, harness._run_standalone

    def counted_stream(ctx, kind, families, result):
        ran.append(f"split:{kind}")
        return stream(ctx, kind, families, result)

    def counted_standalone(ctx, family, result):
        ran.append(f"family:{family.key}")
        return standalone(ctx, family, result)

    monkeypatch.setattr(harness, "stream_split", counted_stream)
    monkeypatch.setattr(harness, "_run_standalone", counted_standalone)
    return ran


def _kill_at(monkeypatch, family_key):
    standalone = harness._run_standalone

    def dying(ctx, family, result):
        if family.key == family_key:
            raise Killed
        return standalone(ctx, family, result)

    monkeypatch.setattr(harness, "_run_standalone", dying)


def test_killed_evaluation_resumes_without_recomputing(toy_cache, toy_manifest, tmp_path, monkeypatch):
    reference = _evaluate(toy_cache, toy_manifest)  # uninterrupted, no store

    with monkeypatch.context() as m:
        _kill_at(m, "robustness")
        with pytest.raises(Killed):
            _evaluate(toy_cache, toy_manifest, EvalProgressStore(tmp_path, "k1"))
    partial = json.loads((tmp_path / PARTIAL_NAME).read_text())
    assert partial["key"] == "k1"
    passes = ["split:wholechrom", "split:quantitative", "split:binary"]  # the test splits' kinds
    assert partial["done"] == passes
    assert "wholechrom.pearson" in partial["result"]["metrics"]
    assert "robustness.variation" not in partial["result"]["metrics"]

    ran = _count_units(monkeypatch)
    store = EvalProgressStore(tmp_path, "k1")
    resumed = _evaluate(toy_cache, toy_manifest, store)
    assert ran == ["family:robustness", "family:cagi5", "family:motifs", "family:interpret"]  # no pass redone
    assert store.resumed == passes
    assert _without_timings(resumed) == _without_timings(reference)  # metrics, intervals, replicates
    assert resumed.timings["total"] >= resumed.timings["wholechrom"]  # earlier seconds are counted
    assert "resumed_total" not in resumed.timings
    assert not (tmp_path / PARTIAL_NAME).exists()  # complete: the partial file is gone


def test_a_partial_file_of_another_key_is_ignored(toy_cache, toy_manifest, tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        _kill_at(m, "cagi5")
        with pytest.raises(Killed):
            _evaluate(toy_cache, toy_manifest, EvalProgressStore(tmp_path, "old-weights"))
    ran = _count_units(monkeypatch)
    _evaluate(toy_cache, toy_manifest, EvalProgressStore(tmp_path, "new-weights"))
    assert ran[0] == "split:wholechrom" and len(ran) == 7  # everything recomputed


@pytest.mark.parametrize("content", ["{not json", '{"format": 99, "key": "k"}', "[]"])
def test_an_unreadable_partial_file_is_ignored(tmp_path, content):
    (tmp_path / PARTIAL_NAME).write_text(content)
    assert EvalProgressStore(tmp_path, "k").load() is None


def test_evaluation_key_pins_every_part():
    base = {"checkpoint": "a", "options": {"x": 1}, "harness": "2.0"}
    assert evaluation_key(base) == evaluation_key(dict(reversed(list(base.items()))))
    for change in ({"checkpoint": "b"}, {"options": {"x": 2}}, {"harness": "2.1"}):
        assert evaluation_key({**base, **change}) != evaluation_key(base)


def test_an_unwritable_folder_evaluates_without_resume(toy_cache, toy_manifest, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = EvalProgressStore(blocker / "sub", "k")  # mkdir fails: a file is in the way
    result = _evaluate(toy_cache, toy_manifest, store)
    assert store.disabled and "wholechrom.pearson" in result.metrics
