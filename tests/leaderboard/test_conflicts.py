"""The issue's attack: a forged record with a valid recomputed checksum next to a verified genuine one.

Also: the verified marker in Markdown, CSV, HTML and board.json; trusted signatures; tampered
signed records; unresolved conflicts and ``--strict``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from benchsuite.cli import leaderboard as leaderboard_cli
from benchsuite.errors import RecordError
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.trust import Trust, load_trust
from benchsuite.results.signing import generate_keypair, load_private_key, sign_record
from benchsuite.results.verifications import VERIFIED, Verification, append_log
from tests.results.record_factory import make_record, reseal, write

GENUINE_PEARSON = 0.6


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    leaderboard_cli.register(app)
    return app


def _forged(genuine: dict) -> dict:
    """What the issue describes: Pearson 0.999, a newer created_at, the checksum recomputed."""
    forged = json.loads(json.dumps(genuine))
    forged["metrics"]["wholechrom_common.pearson"]["mean"] = 0.999
    forged["created_at"] = "2099-01-01T00:00:00+00:00"
    return reseal(forged)


def _log_verified(path: Path, record: dict, mode: str = "retrain") -> Path:
    entry = Verification(
        source="genuine",
        verdict=VERIFIED,
        mode=mode,
        atol=1e-6,
        rtol=1e-6,
        checksum=record["checksum"],
        model=record["model"]["name"],
        task=record["task"],
        seed=record["seed"],
        fingerprint=record["dataset"]["fingerprint"],
        max_abs_diff=0.0,
    )
    return append_log(path, [entry])


@pytest.fixture
def attack(tmp_path):
    """records/genuine/record.json (verified in the log) and records/forged/record.json."""
    genuine = make_record("cnn-baseline", overrides={"wholechrom_common.pearson": GENUINE_PEARSON})
    genuine_path = write(tmp_path / "records" / "genuine", genuine)
    forged_path = write(tmp_path / "records" / "forged", _forged(genuine))
    log = _log_verified(tmp_path / "lb" / "verifications.jsonl", genuine)
    return tmp_path, genuine_path, forged_path, log


def test_forged_newer_record_does_not_replace_the_verified_one(attack):
    root, genuine, forged, log = attack
    result = gather_records(records=[root / "records"], trust=load_trust(log, None))
    (kept,) = result.records
    assert kept.source == str(genuine) and kept.verified and not kept.conflict
    assert kept.record["metrics"]["wholechrom_common.pearson"]["mean"] == GENUINE_PEARSON
    (conflict,) = result.conflicts
    assert conflict.source == str(forged) and conflict.kept == str(genuine) and conflict.resolved
    assert conflict.reason.endswith("; kept the verified record")
    assert result.unresolved == []


def test_without_a_verification_the_newer_record_is_kept_but_flagged(attack):
    root, genuine, forged, _ = attack
    result = gather_records(records=[root / "records"], trust=Trust())
    (kept,) = result.records
    assert kept.source == str(forged) and kept.conflict and not kept.verified
    (conflict,) = result.unresolved
    assert conflict.source == str(genuine) and "unresolved: verify one of them" in conflict.reason


def test_board_shows_the_genuine_row_verified_and_lists_the_forgery(attack):
    root, genuine, forged, _ = attack
    out = root / "lb"  # the log lies in the board's output folder: read by default
    result = CliRunner().invoke(
        _app(), ["leaderboard", "--records", str(root / "records"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    folder = out / "sim-smoke-seed0"
    md = (folder / "leaderboard.md").read_text(encoding="utf-8")
    (row,) = [line for line in md.splitlines() if line.startswith("| 1 |")]
    assert "| cnn-baseline |" in row and "| ✓ |" in row and "0.600" in row and "0.999" not in row
    assert "## Conflicts" in md and f"- {forged}: conflicts with {genuine}" in md.replace("\\", "")
    table = list(csv.DictReader(io.StringIO((folder / "leaderboard.csv").read_text(encoding="utf-8"))))
    assert [(r["model"], r["verified"], r["conflict"]) for r in table] == [
        ("cnn-baseline", "verified", "false")
    ]
    records = list(csv.DictReader(io.StringIO((folder / "records.csv").read_text(encoding="utf-8"))))
    assert [(r["checksum"], r["verified"]) for r in records] == [
        (json.loads(genuine.read_text())["checksum"], "true")
    ]
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert '<td class="text verified" data-sort="verified">✓</td>' in page
    assert "<h2>Conflicts</h2>" in page or ">Conflicts<" in page
    board = json.loads((folder / "board.json").read_text(encoding="utf-8"))
    assert board["rows"][0]["verified"] == "verified" and board["rows"][0]["conflict"] is False
    assert board["conflicts"] == [
        {
            "source": str(forged),
            "reason": board["conflicts"][0]["reason"],
            "kept": str(genuine),
            "resolved": True,
        }
    ]
    assert board["verifications"] == str(out / "verifications.jsonl")


def test_unresolved_conflict_is_marked_and_strict_fails(attack):
    root, _, _, _ = attack
    runner = CliRunner()
    out = root / "other"  # no verification log there
    result = runner.invoke(_app(), ["leaderboard", "--records", str(root / "records"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    md = (out / "sim-smoke-seed0" / "leaderboard.md").read_text(encoding="utf-8")
    (row,) = [line for line in md.splitlines() if line.startswith("| 1 |")]
    assert "⚠ conflict" in row and "⚠ unresolved: " in md
    strict = runner.invoke(
        _app(), ["leaderboard", "--records", str(root / "records"), "--out", str(root / "s"), "--strict"]
    )
    assert isinstance(strict.exception, RecordError)
    assert "1 unresolved conflict(s) and --strict is set" in str(strict.exception)
    assert not (root / "s").exists()
    # with the verification log the conflict is resolved and --strict passes
    ok = runner.invoke(
        _app(),
        ["leaderboard", "--records", str(root / "records"), "--out", str(root / "s"), "--strict"]
        + ["--verifications", str(root / "lb" / "verifications.jsonl")],
    )
    assert ok.exit_code == 0, ok.output


def test_record_signed_by_a_trusted_key_wins_and_is_marked(tmp_path):
    private, public_path, public = generate_keypair(tmp_path / "k.pem")
    genuine = sign_record(make_record("cnn-baseline"), load_private_key(private))
    genuine_path = write(tmp_path / "records" / "genuine", genuine)
    write(tmp_path / "records" / "forged", _forged({k: v for k, v in genuine.items() if k != "signature"}))
    trust = load_trust(None, public_path)
    result = gather_records(records=[tmp_path / "records"], trust=trust)
    (kept,) = result.records
    assert kept.source == str(genuine_path) and kept.signed_by is not None and len(kept.signed_by) == 16
    (conflict,) = result.conflicts
    assert conflict.resolved and f"kept the record signed by trusted key {kept.signed_by}" in conflict.reason
    assert public in trust.trusted_keys


def test_tampered_signed_record_is_refused(tmp_path):
    private, _, _ = generate_keypair(tmp_path / "k.pem")
    signed = sign_record(make_record("cnn-baseline"), load_private_key(private))
    tampered = json.loads(json.dumps(signed))
    tampered["metrics"]["wholechrom_common.pearson"]["mean"] = 0.999
    path = write(tmp_path / "records" / "x", reseal(tampered))
    result = gather_records(records=[tmp_path / "records"])
    assert result.records == []
    (refusal,) = result.refused
    assert refusal.source == str(path) and "does not match the record's content" in refusal.reason


def test_a_record_verified_only_by_reevaluation_is_marked_as_such(tmp_path):
    """Re-evaluating proves the numbers follow from the weights, not how they were trained."""
    record = make_record("cnn-baseline", overrides={"wholechrom_common.pearson": GENUINE_PEARSON})
    write(tmp_path / "records" / "a", record)
    out = tmp_path / "lb"
    _log_verified(out / "verifications.jsonl", record, mode="reevaluate")
    result = CliRunner().invoke(
        _app(), ["leaderboard", "--records", str(tmp_path / "records"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    md = (out / "sim-smoke-seed0" / "leaderboard.md").read_text(encoding="utf-8")
    (row,) = [line for line in md.splitlines() if line.startswith("| 1 |")]
    assert "| ✓ weights |" in row
    board = json.loads((out / "sim-smoke-seed0" / "board.json").read_text(encoding="utf-8"))
    assert board["rows"][0]["verified"] == "re-evaluated"
    _log_verified(out / "verifications.jsonl", record, mode="retrain")  # the latest entry counts
    CliRunner().invoke(_app(), ["leaderboard", "--records", str(tmp_path / "records"), "--out", str(out)])
    board = json.loads((out / "sim-smoke-seed0" / "board.json").read_text(encoding="utf-8"))
    assert board["rows"][0]["verified"] == "verified"
