"""Result records: build, schema, checksum, atomic write, read with clear refusals."""

from __future__ import annotations

import json
import math

import jsonschema
import numpy as np
import pytest

from benchsuite import __version__
from benchsuite.errors import BenchsuiteError, RecordError
from benchsuite.results.record import (
    SCHEMA_VERSION,
    build_record,
    current_harness_version,
    load_schema,
    read_record,
    record_checksum,
    validate_record,
    write_record,
)
from tests.results.record_factory import FINGERPRINT, evaluation, independent_checksum, make_record, reseal


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_build_record_fields_and_checksum():
    rec = make_record("cnn", "quantitative", seed=3)
    assert rec["schema_version"] == SCHEMA_VERSION == 1
    assert rec["benchsuite_version"] == __version__
    assert rec["harness_version"] == current_harness_version()
    assert rec["kind"] == "model"
    assert rec["dataset"] == {"name": "sim-smoke-seed0", "fingerprint": FINGERPRINT, "profile": "smoke"}
    assert rec["model"] == {
        "name": "cnn",
        "plugin": "benchsuite.baselines",
        "distribution": "benchsuite",
        "version": "0.1.0",
    }
    assert rec["task"] == "quantitative" and rec["seed"] == 3
    assert rec["metrics"]["wholechrom.pearson"]["mean"] == 0.6
    assert set(rec["metrics"]["wholechrom.pearson"]["per_target"]) == {"celltype_A", "celltype_B"}
    assert rec["timings"]["train_s"] == 10.0 and rec["timings"]["harness"]["total_s"] == 3.0
    env = rec["environment"]
    assert env["python"].count(".") == 2 and env["platform"] and env["cpu"]["count"] >= 1
    assert isinstance(env["gpu"], list)
    assert env["torch"] and env["lightning"]
    assert rec["wandb"] is None
    assert rec["created_at"].endswith("+00:00")
    # the checksum follows its documented definition, computed independently here
    assert rec["checksum"] == independent_checksum(rec) == record_checksum(rec)
    assert rec["checksum"].startswith("sha256:") and len(rec["checksum"]) == 7 + 64


def test_round_trip(tmp_path):
    rec = make_record(
        wandb={"mode": "offline", "project": "benchsuite", "id": "abc123", "dir": "/x", "url": None}
    )
    path = write_record(tmp_path / "cell" / "record.json", rec)
    assert path == tmp_path / "cell" / "record.json"
    back = read_record(path)
    assert back == rec
    # human-readable, valid JSON, and nothing left over from the atomic write
    text = path.read_text(encoding="utf-8")
    assert text.startswith("{\n") and json.loads(text) == rec
    assert sorted(p.name for p in path.parent.iterdir()) == ["record.json"]


def test_non_finite_and_numpy_values_are_converted():
    ev = evaluation({"wholechrom.pearson": 0.5})
    ev["metrics"]["wholechrom.pearson"]["per_target"]["celltype_A"] = float("nan")
    ev["metrics"]["peak.auroc"] = {"mean": np.float32(0.75), "per_target": {"celltype_A": np.float64(0.7)}}
    rec = build_record(
        model="m",
        plugin="p",
        distribution="d",
        distribution_version="1",
        task="binary",
        dataset_name="ds",
        dataset_fingerprint=FINGERPRINT,
        profile=None,
        hyperparameters={"bins": np.array([1, 32]), "lr": np.float64(1e-3), "inf": math.inf},
        seed=np.int64(2),
        evaluation=ev,
        timings={},
        wandb=None,
    )
    assert rec["metrics"]["wholechrom.pearson"]["per_target"]["celltype_A"] is None
    assert rec["metrics"]["peak.auroc"]["mean"] == pytest.approx(0.75)
    assert type(rec["metrics"]["peak.auroc"]["mean"]) is float
    assert rec["hyperparameters"] == {"bins": [1, 32], "lr": 1e-3, "inf": None}
    assert rec["seed"] == 2 and type(rec["seed"]) is int


def test_evaluation_from_another_harness_is_refused():
    with pytest.raises(RecordError, match="harness 0.0-other"):
        build_record(
            model="m",
            plugin="p",
            distribution="d",
            distribution_version="1",
            task="binary",
            dataset_name="ds",
            dataset_fingerprint=FINGERPRINT,
            profile=None,
            hyperparameters={},
            seed=0,
            evaluation=evaluation({"peak.auroc": 0.5}, harness_version="0.0-other"),
            timings={},
            wandb=None,
        )


def test_schema_violation_on_write_names_the_field(tmp_path):
    rec = make_record()
    rec["seed"] = "zero"
    rec = reseal(rec)
    target = tmp_path / "record.json"
    with pytest.raises(RecordError) as info:
        write_record(target, rec)
    msg = str(info.value)
    assert str(target) in msg and "$.seed" in msg and "integer" in msg
    assert info.value.hint
    assert not target.exists()


def test_schema_violation_on_read_names_file_and_field(tmp_path):
    rec = make_record()
    rec["metrics"]["peak.auroc"]["mean"] = "high"
    rec = reseal(rec)  # checksum consistent: only the schema is wrong
    path = tmp_path / "bad.record.json"
    path.write_text(json.dumps(rec), encoding="utf-8")
    with pytest.raises(RecordError) as info:
        read_record(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "$.metrics['peak.auroc'].mean" in msg


def test_missing_field_and_unknown_field_are_schema_errors(tmp_path):
    rec = make_record()
    del rec["dataset"]["fingerprint"]
    with pytest.raises(RecordError, match="fingerprint"):
        validate_record(reseal(rec), source="x")
    rec = make_record()
    rec["sneaky"] = 1
    with pytest.raises(RecordError, match="sneaky"):
        validate_record(reseal(rec), source="x")


def test_checksum_mismatch_after_hand_edit_of_one_metric(tmp_path):
    path = write_record(tmp_path / "runs" / "cnn" / "record.json", make_record())
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    data["metrics"]["wholechrom.pearson"]["mean"] = 0.99  # a hand "improvement"
    path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    with pytest.raises(RecordError) as info:
        read_record(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "checksum mismatch" in msg and "edited after it was written?" in msg


def test_write_refuses_a_record_changed_after_build(tmp_path):
    rec = make_record()
    rec["metrics"]["peak.auroc"]["mean"] = 0.99
    with pytest.raises(RecordError, match="checksum"):
        write_record(tmp_path / "record.json", rec)
    assert not (tmp_path / "record.json").exists()


def test_failed_write_leaves_existing_record_untouched(tmp_path):
    good = make_record()
    path = write_record(tmp_path / "record.json", good)
    before = path.read_bytes()
    bad = reseal({**good, "kind": "bogus"})
    with pytest.raises(RecordError):
        write_record(path, bad)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"schema_version": 1, "metrics": {', "not valid JSON"),
        ("", "not valid JSON"),
        ('{"x": NaN}', "not valid JSON"),
        ("[1, 2]", "not a valid result record"),
    ],
)
def test_bad_json_names_the_file(tmp_path, content, expected):
    path = tmp_path / "record.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecordError) as info:
        read_record(path)
    assert str(path) in str(info.value) and expected in str(info.value)
    assert isinstance(info.value, BenchsuiteError)


def test_missing_file(tmp_path):
    with pytest.raises(RecordError, match="cannot read record"):
        read_record(tmp_path / "nope.json")


def test_newer_schema_version_asks_for_an_upgrade(tmp_path):
    rec = reseal({**make_record(), "schema_version": 2})
    path = tmp_path / "record.json"
    path.write_text(json.dumps(rec), encoding="utf-8")
    with pytest.raises(RecordError, match="upgrade benchsuite"):
        read_record(path)


def test_unsupported_values_raise_record_error():
    with pytest.raises(RecordError, match="object"):
        make_record_with_hparams({"callback": object()})


def make_record_with_hparams(hparams: dict) -> dict:
    return build_record(
        model="m",
        plugin="p",
        distribution="d",
        distribution_version="1",
        task="binary",
        dataset_name="ds",
        dataset_fingerprint=FINGERPRINT,
        profile=None,
        hyperparameters=hparams,
        seed=0,
        evaluation=evaluation({"peak.auroc": 0.5}),
        timings={},
        wandb=None,
    )
