"""Cells: a failing cell is reported and the others finish, each with a valid record of its own."""

from __future__ import annotations

import torch

from benchsuite.results.record import read_record
from benchsuite.run.cells import cell_dir

from .conftest import by_cell

torch.set_num_threads(1)


def test_failing_cells_are_reported_and_others_finish(finished_run):
    options, summary, text = finished_run
    cells = by_cell(summary)
    assert set(cells) == {
        ("fake-broken", "quantitative"),
        ("fake-conv", "binary"),
        ("fake-conv", "quantitative"),
        ("fake-wrongshape", "quantitative"),
    }
    assert cells[("fake-conv", "binary")].status == "trained"
    assert cells[("fake-conv", "quantitative")].status == "trained"
    broken = cells[("fake-broken", "quantitative")]
    assert broken.status == "failed" and "broken on purpose" in broken.error
    wrong = cells[("fake-wrongshape", "quantitative")]
    assert wrong.status == "failed" and "shape" in wrong.error and "FakeRunPlugin" in wrong.error
    assert summary.exit_code == 1
    assert "FAILED" in text and "fake-broken" in text
    # the finished cells have valid records with the headline metrics; failed ones have none
    for (model, task), outcome in cells.items():
        record_path = cell_dir(summary.root, model, task, 0) / "record.json"
        if outcome.status == "failed":
            assert not record_path.exists()
            continue
        record = read_record(record_path)
        assert record["model"]["name"] == model and record["task"] == task
        assert record["dataset"]["fingerprint"] == summary.dataset_fingerprint
        assert record["hyperparameters"]["training"]["max_epochs"] == 1
        assert "wholechrom.pearson" in record["metrics"] and "peak.auroc" in record["metrics"]
        assert outcome.metrics["wholechrom.pearson"] == record["metrics"]["wholechrom.pearson"]["mean"]
    # output layout: <out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/
    assert summary.root == options.out / summary.dataset_fingerprint[:12]
