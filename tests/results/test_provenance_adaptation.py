"""The record schema's optional provenance.adaptation (evaluate-only models)."""

from __future__ import annotations

import pytest

from benchsuite.errors import RecordError
from benchsuite.results.record import validate_record
from tests.results.record_factory import make_record, reseal


def _with(adaptation: dict | None, trained: bool = False) -> dict:
    record = make_record("pre")
    record["provenance"] = {
        "plugin": {"name": "p", "distribution": "d", "version": "1", "files_sha256": None},
        "weights_sha256": "sha256:" + "a" * 64,
        "bundle": None,
        "trained_by_suite": trained,
    }
    if adaptation is not None:
        record["provenance"]["adaptation"] = adaptation
    return reseal(record)


def test_record_without_adaptation_still_validates():
    validate_record(_with(None, trained=True))


def test_evaluate_only_record_validates():
    validate_record(_with({"row_kind": "probed", "input": "tile", "targets": "probe"}))


@pytest.mark.parametrize(
    "adaptation",
    [
        {"row_kind": "mapped", "input": "same", "targets": "identity"},
        {"row_kind": "pretrained", "input": "crop", "targets": "identity"},
        {"row_kind": "pretrained", "input": "same"},
    ],
)
def test_invalid_adaptation_is_refused(adaptation):
    with pytest.raises(RecordError, match="adaptation"):
        validate_record(_with(adaptation))
