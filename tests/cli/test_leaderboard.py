"""`benchsuite leaderboard` on the command line: builds the board, reports refused records, exit codes."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from benchsuite.cli import leaderboard as leaderboard_cli
from benchsuite.errors import ConfigError, RecordError
from benchsuite.leaderboard.html import esc
from tests.results.record_factory import make_record, write


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    leaderboard_cli.register(app)
    return app


def test_cli_builds_the_board(sample_runs, tmp_path):
    out = tmp_path / "lb"
    result = CliRunner().invoke(
        _app(), ["leaderboard", "--records", str(sample_runs), "--out", str(out), "--title", "T"]
    )
    assert result.exit_code == 0, result.output
    assert "deepstar" in result.output and "13 record(s) used, 0 refused" in result.output
    md = (out / "sim-smoke-seed0" / "leaderboard.md").read_text()
    assert md.startswith("# T: sim-smoke-seed0")
    assert f"benchsuite leaderboard --records {sample_runs} --out {out} --title T" in md


def test_cli_exit_codes(sample_runs, tmp_path):
    runner = CliRunner()
    result = runner.invoke(_app(), ["leaderboard", "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, ConfigError)

    # one tampered record: the board is still built (exit 0) and the refusal is reported ...
    victim = next(sample_runs.rglob("cnn/quantitative/seed0/record.json"))
    data = json.loads(victim.read_text())
    data["metrics"]["wholechrom.pearson"]["mean"] = 0.99
    victim.write_text(json.dumps(data))
    ok = runner.invoke(_app(), ["leaderboard", "--records", str(sample_runs), "--out", str(tmp_path / "a")])
    assert ok.exit_code == 0 and "1 refused" in ok.output
    page = (tmp_path / "a" / "sim-smoke-seed0" / "index.html").read_text()
    assert "Refused records" in page and esc(str(victim)) in page
    # ... but --strict fails and writes nothing
    strict = runner.invoke(
        _app(), ["leaderboard", "--records", str(sample_runs), "--out", str(tmp_path / "b"), "--strict"]
    )
    assert isinstance(strict.exception, RecordError) and "--strict" in str(strict.exception)
    assert not (tmp_path / "b").exists()

    # nothing valid at all: non-zero
    empty = tmp_path / "only-bad"
    bad = write(empty, make_record("m"))
    bad.write_text(bad.read_text().replace('"seed": 0', '"seed": 1'))
    none = runner.invoke(_app(), ["leaderboard", "--records", str(empty), "--out", str(tmp_path / "c")])
    assert isinstance(none.exception, RecordError)
    assert "no valid result record" in str(none.exception)


def test_cli_through_main_exits_2_without_traceback(tmp_path, capsys):
    from benchsuite.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["leaderboard", "--records", str(tmp_path / "missing")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "records folder does not exist" in err and "Traceback" not in err
    assert re.search(r"missing", err)


def test_cli_trusted_keys_mark_signed_rows(tmp_path):
    from benchsuite.results.signing import generate_keypair, key_id, load_private_key, sign_record

    private, public_path, public = generate_keypair(tmp_path / "k.pem")
    write(tmp_path / "records" / "cnn", sign_record(make_record("cnn"), load_private_key(private)))
    write(tmp_path / "records" / "other", make_record("other"))
    out = tmp_path / "lb"
    args = ["leaderboard", "--records", str(tmp_path / "records"), "--out", str(out)]
    result = CliRunner().invoke(_app(), [*args, "--trusted-keys", str(public_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["model"]: r for r in json.loads(result.stdout)["boards"][0]["rows"]}
    assert rows["cnn"]["signed_by"] == [key_id(public)] and rows["other"]["signed_by"] == []
    md = (out / "sim-smoke-seed0" / "leaderboard.md").read_text(encoding="utf-8")
    assert f"signed by {key_id(public)}" in md
    assert f"--trusted-keys {public_path}" in md


def test_cli_bad_trusted_keys_file_is_a_config_error(tmp_path):
    write(tmp_path / "records" / "cnn", make_record("cnn"))
    keys = tmp_path / "keys.txt"
    keys.write_text("hello\n")
    args = ["leaderboard", "--records", str(tmp_path / "records"), "--out", str(tmp_path / "lb")]
    result = CliRunner().invoke(_app(), [*args, "--trusted-keys", str(keys)])
    assert isinstance(result.exception, ConfigError)
    assert "line 1 is not a base64 ed25519 public key" in str(result.exception)
