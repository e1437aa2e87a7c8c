"""CLI: ``benchsuite verify``, ``benchsuite keys generate`` and ``benchsuite sign``."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from benchsuite.cli import sign as sign_cli
from benchsuite.cli import verify as verify_cli
from benchsuite.errors import ConfigError
from benchsuite.results.record import read_record, record_checksum
from benchsuite.results.signing import signature_problem
from benchsuite.results.verifications import read_log
from tests.results import conftest as _results
from tests.results.record_factory import make_record, write
from tests.run.conftest import fake_registry

# the tiny trained cell of the results tests (fixtures re-exported for this module)
results_bundle = _results.results_bundle
results_cache = _results.results_cache
_trained_once = _results._trained_once
trained_cell = _results.trained_cell


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    verify_cli.register(app)
    sign_cli.register(app)
    return app


@pytest.fixture
def fake_plugins(monkeypatch):
    """`benchsuite verify` loads the installed plugins: give it the fake ones."""
    import benchsuite.plugins

    monkeypatch.setattr(benchsuite.plugins, "load_plugins", lambda **_: fake_registry())


def _verify_args(cell, log, cache, *extra):
    return [
        "verify",
        str(cell / "record.json"),
        "--mode",
        "reevaluate",
        "--log",
        str(log),
        "--cache",
        str(cache),
    ]


def test_verify_reevaluate_json_and_log(trained_cell, results_cache, fake_plugins, tmp_path):
    log = tmp_path / "board" / "verifications.jsonl"
    result = CliRunner().invoke(_app(), [*_verify_args(trained_cell, log, results_cache), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["all_verified"] is True and data["log"] == str(log)
    (entry,) = data["results"]
    checksum = read_record(trained_cell / "record.json")["checksum"]
    assert entry["verdict"] == "verified" and entry["record_checksum"] == checksum
    assert entry["weights_match"] is True and entry["max_abs_diff"] == 0.0
    (logged,) = read_log(log)
    assert logged["record_checksum"] == checksum and logged["mode"] == "reevaluate"
    assert logged["tolerance"] == {"atol": 1e-6, "rtol": 1e-6} and logged["verdict"] == "verified"


def test_verify_mismatch_exits_1_with_the_metric_in_the_table(
    trained_cell,
    results_cache,
    fake_plugins,
    tmp_path,
):
    path = trained_cell / "record.json"
    data = json.loads(path.read_text())
    data["metrics"]["peak.auroc"]["mean"] = 0.999
    data["checksum"] = record_checksum(data)
    path.write_text(json.dumps(data))
    log = tmp_path / "v.jsonl"
    result = CliRunner().invoke(_app(), _verify_args(trained_cell, log, results_cache))
    assert result.exit_code == 1, result.output
    assert "mismatch" in result.output and "peak.auroc mean" in result.output
    assert "0 of 1 record(s) verified" in result.output
    assert read_log(log)[0]["worst_metric"] == "peak.auroc mean"


def test_verify_record_without_provenance_cannot_verify(fake_plugins, tmp_path):
    path = write(tmp_path / "old", make_record("fake-conv"))
    result = CliRunner().invoke(_app(), ["verify", str(path), "--log", str(tmp_path / "v.jsonl"), "--json"])
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["results"]
    assert entry["verdict"] == "could not verify" and "has no provenance" in entry["reason"]


def test_verify_a_missing_record_is_one_error_and_logs_nothing(capsys, tmp_path, fake_plugins):
    from tests.cli.conftest import exit_code

    log = tmp_path / "v.jsonl"
    assert exit_code(["verify", str(tmp_path / "none.json"), "--log", str(log)]) == 2
    err = capsys.readouterr().err
    assert "none.json" in err and "record file not found" in err and "Traceback" not in err
    assert not log.exists()


def test_verify_an_unreadable_record_is_not_logged(fake_plugins, tmp_path):
    bad = tmp_path / "record.json"
    bad.write_text('{"kind": "model"')
    log = tmp_path / "v.jsonl"
    result = CliRunner().invoke(_app(), ["verify", str(bad), "--log", str(log), "--json"])
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["results"]
    assert entry["verdict"] == "could not verify" and entry["record_checksum"] is None
    assert not log.exists()  # no checksum: nothing a board could match


def test_keys_generate_and_sign(tmp_path):
    runner = CliRunner()
    key = tmp_path / "maintainer.pem"
    made = runner.invoke(_app(), ["keys", "generate", "--out", str(key)])
    assert made.exit_code == 0, made.output
    assert key.is_file() and (tmp_path / "maintainer.pem.pub").is_file() and "key id" in made.output
    path = write(tmp_path / "r", make_record("cnn"))
    signed = runner.invoke(_app(), ["sign", str(path), "--key", str(key)])
    assert signed.exit_code == 0, signed.output
    assert f"signed {path}" in signed.output
    record = read_record(path)
    public = (tmp_path / "maintainer.pem.pub").read_text().strip()
    assert record["signature"]["public_key"] == public and signature_problem(record) is None


def test_sign_with_a_missing_key_is_a_config_error(tmp_path):
    path = write(tmp_path / "r", make_record("cnn"))
    result = CliRunner().invoke(_app(), ["sign", str(path), "--key", str(tmp_path / "nope.pem")])
    assert isinstance(result.exception, ConfigError) and "cannot read key" in str(result.exception)
