"""A cell killed during its evaluation resumes at the first unfinished family (run level).

The kill is a BaseException raised inside the robustness family, which nothing in the run
catches, like a signal; the rerun must not repeat the finished split passes and must write the
same metrics as the evaluation that was never interrupted.
"""

from __future__ import annotations

import pytest

from benchsuite.evaluate import harness
from benchsuite.evaluate.resume import PARTIAL_NAME
from benchsuite.results.record import read_record
from benchsuite.run.cells import cell_dir

from .conftest import by_cell, run_and_print, run_options


class Killed(BaseException):
    pass


def test_cell_evaluation_resumes_after_a_kill(finished_run, registry, monkeypatch):
    options, first, _ = finished_run
    folder = cell_dir(first.root, "fake-conv", "quantitative", 0)
    genuine = read_record(folder / "record.json")
    (folder / "record.json").unlink()
    again = run_options(
        options.bundle, options.out, options.cache_dir, models=("fake-conv",), task="quantitative"
    )

    standalone = harness._run_standalone
    with monkeypatch.context() as m:

        def dying(ctx, family, result):
            if family.key == "robustness":
                raise Killed
            return standalone(ctx, family, result)

        m.setattr(harness, "_run_standalone", dying)
        with pytest.raises(Killed):
            run_and_print(again, registry)
    assert (folder / PARTIAL_NAME).exists() and not (folder / "record.json").exists()

    passes: list[str] = []
    stream = harness.stream_split
    monkeypatch.setattr(
        harness, "stream_split", lambda ctx, kind, *a: passes.append(kind) or stream(ctx, kind, *a)
    )
    summary, _ = run_and_print(again, registry)
    assert by_cell(summary)[("fake-conv", "quantitative")].status == "evaluated"
    assert passes == []  # every split pass had finished before the kill
    resumed = read_record(folder / "record.json")
    assert (
        resumed["metrics"] == genuine["metrics"]
        and resumed["tables"]["bootstrap"] == genuine["tables"]["bootstrap"]
    )
    assert resumed["not_applicable"] == genuine["not_applicable"]
    assert not (folder / PARTIAL_NAME).exists()
