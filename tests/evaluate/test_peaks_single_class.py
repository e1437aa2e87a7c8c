"""Undefined AUROC/AUPR of a single-class label target: the reason reaches the record."""

from __future__ import annotations

import json

import numpy as np

from benchsuite.evaluate.families.peaks import skip_single_class
from benchsuite.evaluate.result import FamilyResult
from tests.data.conftest import make_tiny_bundle
from tests.run.conftest import by_cell, fake_registry, run_and_print, run_options

FIX = "fix: add peak-free chunks as negatives with `binary_negatives: {source: coverage-threshold}`"


def test_skip_single_class_keys_per_target_and_metric():
    out = FamilyResult()
    labels = np.array([[1, 0, 1], [1, 0, 0], [1, 0, 1]])
    skip_single_class(out, "peak", labels, ["pos", "neg", "ok"], "the peak-centred test chunks")
    assert sorted(out.not_applicable) == [
        "peak.aupr:neg",
        "peak.aupr:pos",
        "peak.auroc:neg",
        "peak.auroc:pos",
    ]
    assert out.not_applicable["peak.auroc:pos"] == (
        "AUROC/AUPR undefined: only positive labels (3 positive, 0 negative) in the peak-centred test "
        f"chunks ({FIX} in the manifest)"
    )
    assert out.not_applicable["peak.auroc:neg"].startswith(
        "AUROC/AUPR undefined: only negative labels (0 positive, 3 negative) in the peak-centred"
    )


def test_record_of_a_single_label_target_explains_the_missing_auroc(tmp_path):
    bundle = make_tiny_bundle(tmp_path / "bundle")
    data = bundle.manifest_data()
    data["targets"][1].pop("peaks")  # A is the only label target: every peak chunk is positive
    bundle.write_manifest_data(data)
    options = run_options(
        bundle.root, tmp_path / "runs", tmp_path / "cache", models=("fake-conv",), task="binary"
    )
    summary, _ = run_and_print(options, fake_registry())
    assert summary.exit_code == 0
    record = json.loads(by_cell(summary)["fake-conv", "binary"].record.read_text())
    assert record["metrics"]["peak.auroc"]["per_target"] == {"A": None}
    reason = record["not_applicable"]["peak.auroc:A"]
    assert reason.startswith("AUROC/AUPR undefined: only positive labels (")
    assert FIX in reason
    assert record["not_applicable"]["peak.aupr:A"] == reason
