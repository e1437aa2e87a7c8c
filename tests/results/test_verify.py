"""``benchsuite verify`` in code: re-evaluate and re-train a tiny trained cell and compare."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.results.record import record_checksum
from benchsuite.results.verifications import (
    MISMATCH,
    UNVERIFIABLE,
    VERIFIED,
    Verification,
    append_log,
    compare_metrics,
    read_log,
    verified_checksums,
)
from benchsuite.results.verify import verify_record, verify_records
from tests.results.record_factory import make_record, write

torch.set_num_threads(1)


def _reseal(path: Path, change) -> dict:
    """Change a record like a forger would: edit, then recompute its checksum."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    data["checksum"] = record_checksum(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return data


def _verify(cell: Path, registry, cache, **kwargs) -> Verification:
    return verify_record(cell / "record.json", registry=registry, cache_dir=cache, **kwargs)


def test_reevaluate_verifies_an_untouched_cell(trained_cell, registry, results_cache):
    result = _verify(trained_cell, registry, results_cache, mode="reevaluate")
    assert result.verdict == VERIFIED, result.reason
    assert result.weights_match is True and result.max_abs_diff == 0.0
    assert result.model == "fake-conv" and result.task == "quantitative" and result.seed == 0


def test_reevaluate_names_a_tampered_metric(trained_cell, registry, results_cache):
    def change(data):
        data["metrics"]["wholechrom.pearson"]["mean"] = 0.999

    original = json.loads((trained_cell / "record.json").read_text())["metrics"]["wholechrom.pearson"]["mean"]
    _reseal(trained_cell / "record.json", change)
    result = _verify(trained_cell, registry, results_cache, mode="reevaluate")
    assert result.verdict == MISMATCH
    assert result.worst_metric == "wholechrom.pearson mean"
    assert result.max_abs_diff == pytest.approx(abs(0.999 - original))
    assert result.reason.startswith("wholechrom.pearson mean: record 0.999, re-run ")


def test_reevaluate_detects_tampered_weights(trained_cell, registry, results_cache):
    ckpt_path = trained_cell / "checkpoint.ckpt"
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    name = next(k for k, v in ckpt["state_dict"].items() if torch.is_floating_point(v))
    ckpt["state_dict"][name] = ckpt["state_dict"][name] + 0.5
    torch.save(ckpt, ckpt_path)
    result = _verify(trained_cell, registry, results_cache, mode="reevaluate")
    assert result.verdict == MISMATCH and result.weights_match is False
    assert result.reason.startswith("weights hash sha256:") and "differs from the record's" in result.reason


def test_reevaluate_without_checkpoint_cannot_verify(trained_cell, registry, results_cache):
    (trained_cell / "checkpoint.ckpt").unlink()
    result = _verify(trained_cell, registry, results_cache, mode="reevaluate")
    assert result.verdict == UNVERIFIABLE and "no checkpoint.ckpt beside the record" in result.reason


def test_retrain_verifies_bit_identically(trained_cell, registry, results_cache, tmp_path):
    result = _verify(trained_cell, registry, results_cache, mode="retrain", out=tmp_path / "scratch")
    assert result.verdict == VERIFIED, result.reason
    assert result.weights_match is True and result.max_abs_diff == 0.0
    assert list((tmp_path / "scratch").glob("*/fake-conv/quantitative/seed0/record.json"))


def test_retrain_refuses_another_plugin_version(trained_cell, registry, results_cache):
    def change(data):
        data["provenance"]["plugin"]["files_sha256"] = "sha256:" + "0" * 64

    _reseal(trained_cell / "record.json", change)
    result = _verify(trained_cell, registry, results_cache, mode="retrain")
    assert result.verdict == UNVERIFIABLE
    assert result.reason.startswith(
        "the installed plugin differs from the record's: files_sha256 'sha256:000"
    )


def test_retrain_refuses_a_bundle_of_another_dataset(trained_cell, registry, results_cache):
    def change(data):
        data["dataset"]["fingerprint"] = "f" * 64

    _reseal(trained_cell / "record.json", change)
    result = _verify(trained_cell, registry, results_cache, mode="retrain")
    assert result.verdict == UNVERIFIABLE
    assert "the record's is ffffffffffff" in result.reason


def test_record_without_provenance_cannot_be_verified(tmp_path, registry):
    path = write(tmp_path, make_record("fake-conv"))
    result = verify_record(path, registry=registry)
    assert result.verdict == UNVERIFIABLE
    assert result.reason == "the record has no provenance (written before benchsuite recorded it)"


def test_unknown_mode_and_negative_tolerance_are_refused(registry):
    with pytest.raises(ConfigError, match="unknown mode 'fast'"):
        verify_records([], mode="fast", registry=registry)
    with pytest.raises(ConfigError, match="tolerances must be >= 0"):
        verify_records([], atol=-1.0, registry=registry)


def _entry(mean, per_target=None, ci95=None):
    out = {"mean": mean, "per_target": per_target or {}}
    if ci95 is not None:
        out["ci95"] = ci95
    return out


def test_compare_metrics_tolerance_nan_none_and_missing():
    want = {"a": _entry(1.0, {"t": 2.0}, [0.5, 1.5]), "b": _entry(None, {"t": float("nan")})}
    same = {"a": _entry(1.0 + 1e-7, {"t": 2.0}, [0.5, 1.5]), "b": _entry(float("nan"), {"t": None})}
    agree, worst, diff, problem = compare_metrics(want, same, atol=1e-6, rtol=0.0)
    assert agree and problem is None and worst == "a mean" and diff == pytest.approx(1e-7)
    off = {"a": _entry(1.0, {"t": 2.1}, [0.5, 1.5]), "b": _entry(None, {"t": None})}
    agree, worst, diff, problem = compare_metrics(want, off, atol=1e-6, rtol=1e-6)
    assert not agree and worst == "a per_target.t" and diff == pytest.approx(0.1)
    agree, worst, diff, problem = compare_metrics(want, {"a": want["a"]}, atol=1.0, rtol=1.0)
    assert (
        not agree and worst == "b" and math.isinf(diff) and problem == "metric b is missing from the re-run"
    )
    agree, *_ = compare_metrics({"a": _entry(None)}, {"a": _entry(0.0)}, atol=1.0, rtol=1.0)
    assert not agree  # a number never agrees with n/a


def test_log_appends_lines_and_the_latest_verdict_decides(tmp_path):
    log = tmp_path / "board" / "verifications.jsonl"
    base = dict(
        mode="retrain", atol=1e-6, rtol=1e-6, checksum="sha256:" + "a" * 64, model="m", task="t", seed=0
    )
    append_log(log, [Verification(source="r1", verdict=VERIFIED, **base)])
    append_log(
        log, [Verification(source="r2", verdict=MISMATCH, **{**base, "checksum": "sha256:" + "b" * 64})]
    )
    entries = read_log(log)
    assert [e["verdict"] for e in entries] == [VERIFIED, MISMATCH]
    assert entries[0]["tolerance"] == {"atol": 1e-6, "rtol": 1e-6} and entries[0]["verifier"]["host"]
    assert set(verified_checksums(entries)) == {"sha256:" + "a" * 64}
    append_log(log, [Verification(source="r1", verdict=MISMATCH, **base)])
    assert verified_checksums(read_log(log)) == {}


def test_broken_log_line_is_a_config_error(tmp_path):
    log = tmp_path / "verifications.jsonl"
    log.write_text('{"verdict": "verified"}\nnot json\n')
    with pytest.raises(ConfigError) as info:
        read_log(log)
    assert "line 2 is not a JSON object" in str(info.value) and info.value.source == str(log)
