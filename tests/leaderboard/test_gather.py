"""Gathering records: nested folders, W&B run folders, the W&B API (stand-in), refusals, duplicates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchsuite.errors import ConfigError
from benchsuite.leaderboard.gather import find_record_files, find_wandb_run_dirs, gather_records
from tests.results.record_factory import FINGERPRINT, OTHER_FINGERPRINT, make_record, reseal, write


def _tamper(path: Path, metric: str = "wholechrom.pearson", value: float = 0.99) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["metrics"][metric]["mean"] = value
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def test_nested_folders(tmp_path):
    write(tmp_path / "a" / "b" / "c", make_record("m1"))
    write(tmp_path / "x", make_record("m2"), name="m2.record.json")
    write(tmp_path / "a" / ".record.json.tmp-dir", make_record("hidden"))  # hidden temp folder: skipped
    (tmp_path / "a" / "notes.json").write_text("{}")
    (tmp_path / "a" / "b" / "train.done.json").write_text("{}")
    files = find_record_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a/b/c/record.json", "x/m2.record.json"]
    result = gather_records(records=[tmp_path])
    assert sorted(r.record["model"]["name"] for r in result.records) == ["m1", "m2"]
    assert not result.refused
    assert all(r.origin == "local" for r in result.records)


def test_tampered_record_is_refused_naming_the_file(tmp_path):
    good = write(tmp_path / "good", make_record("good"))
    bad = write(tmp_path / "bad", make_record("bad"))
    _tamper(bad)
    result = gather_records(records=[tmp_path])
    assert [r.source for r in result.records] == [str(good)]
    assert len(result.refused) == 1
    refusal = result.refused[0]
    assert refusal.source == str(bad)
    assert "checksum mismatch" in refusal.reason and "edited after it was written?" in refusal.reason


def test_schema_invalid_and_broken_json_are_refused(tmp_path):
    write(tmp_path / "ok", make_record("ok"))
    broken = tmp_path / "broken" / "record.json"
    broken.parent.mkdir()
    broken.write_text('{"schema_version": 1,', encoding="utf-8")
    invalid = tmp_path / "invalid" / "record.json"
    invalid.parent.mkdir()
    invalid.write_text(json.dumps(reseal({**make_record("x"), "task": ""})), encoding="utf-8")
    result = gather_records(records=[tmp_path])
    reasons = {Path(r.source).parent.name: r.reason for r in result.refused}
    assert "not valid JSON" in reasons["broken"]
    assert "$.task" in reasons["invalid"]
    assert len(result.records) == 1


def test_harness_version_mismatch_is_refused(tmp_path):
    old = reseal({**make_record("old"), "harness_version": "0.9"})
    path = tmp_path / "old" / "record.json"
    path.parent.mkdir()
    path.write_text(json.dumps(old), encoding="utf-8")
    write(tmp_path / "new", make_record("new"))
    result = gather_records(records=[tmp_path])
    assert [r.record["model"]["name"] for r in result.records] == ["new"]
    assert result.refused[0].source == str(path)
    assert "harness version 0.9" in result.refused[0].reason


def test_fingerprint_mismatch_is_refused_when_a_board_fingerprint_is_given(tmp_path):
    write(tmp_path / "a", make_record("a", fingerprint=FINGERPRINT))
    other = write(tmp_path / "b", make_record("b", fingerprint=OTHER_FINGERPRINT, dataset_name="other"))
    both = gather_records(records=[tmp_path])
    assert len(both.records) == 2 and not both.refused  # without --fingerprint: one board per dataset
    result = gather_records(records=[tmp_path], fingerprint=FINGERPRINT[:16])
    assert [r.record["model"]["name"] for r in result.records] == ["a"]
    assert result.refused[0].source == str(other)
    assert "fingerprint" in result.refused[0].reason and OTHER_FINGERPRINT[:12] in result.refused[0].reason
    with pytest.raises(ConfigError, match="too short"):
        gather_records(records=[tmp_path], fingerprint="ab")


def test_duplicates_are_deduplicated_and_conflicts_reported(tmp_path):
    rec = make_record("cnn", seed=0)
    first = write(tmp_path / "copy1", rec)
    second = write(tmp_path / "copy2", rec)
    older = reseal({**make_record("cnn", seed=0), "created_at": "2000-01-01T00:00:00+00:00"})
    conflict = tmp_path / "copy3" / "record.json"
    conflict.parent.mkdir()
    conflict.write_text(json.dumps(older), encoding="utf-8")
    result = gather_records(records=[tmp_path])
    assert [r.source for r in result.records] == [str(first)]
    assert result.duplicates == [(str(first), str(second))]
    assert not result.refused
    assert len(result.conflicts) == 1 and result.conflicts[0].source == str(conflict)
    assert "conflicts with" in result.conflicts[0].reason and "kept the newer" in result.conflicts[0].reason


def test_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        gather_records(records=[tmp_path / "nope"])
    assert str(tmp_path / "nope") in str(info.value)
    with pytest.raises(ConfigError):
        gather_records(wandb_dirs=[tmp_path / "nope"])


def _offline_run(root: Path, run_id: str) -> Path:
    run = root / "wandb" / f"offline-run-20260101_120000-{run_id}"
    (run / "files" / "media" / "images").mkdir(parents=True)
    (run / "logs").mkdir()
    (run / f"run-{run_id}.wandb").write_bytes(b"")
    return run


def test_wandb_offline_run_folders(tmp_path):
    run1 = _offline_run(tmp_path, "aaa111")
    run2 = _offline_run(tmp_path, "bbb222")
    write(run1 / "files", make_record("cnn"))
    write(run2 / "files", make_record("basset", "binary"))
    _tamper(write(run2 / "files" / "media", make_record("media-copy")))  # never read: media/ is skipped
    (tmp_path / "wandb" / "latest-run").symlink_to(run2.name)
    assert find_wandb_run_dirs(tmp_path) == [run1, run2]
    assert find_wandb_run_dirs(run1) == [run1]
    result = gather_records(wandb_dirs=[tmp_path])
    assert sorted(r.record["model"]["name"] for r in result.records) == ["basset", "cnn"]
    assert {r.origin for r in result.records} == {"wandb-offline"}
    assert not result.refused and not result.duplicates


class FakeFile:
    """Stand-in for wandb.apis.public.File: name, size, download(root, replace)."""

    def __init__(self, name: str, content: bytes):
        self.name = name
        self.size = len(content)
        self._content = content
        self.downloads = 0

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False):
        path = Path(root) / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not replace:
            raise ValueError("exists")
        path.write_bytes(self._content)
        self.downloads += 1
        return open(path)  # noqa: SIM115 - the real API returns an open file too


class FakeRun:
    def __init__(self, run_id: str, files: list[FakeFile] | None = None, fail: bool = False):
        self.id = run_id
        self._files = files or []
        self._fail = fail

    def files(self):
        if self._fail:
            raise RuntimeError("HTTP 500 from server")
        return iter(self._files)


class FakeApi:
    def __init__(self, runs: dict[str, list[FakeRun]]):
        self._runs = runs
        self.asked: list[str] = []

    def runs(self, path: str):
        self.asked.append(path)
        if path not in self._runs:
            raise ValueError(f"project {path} not found")
        return iter(self._runs[path])


def _record_bytes(rec: dict) -> bytes:
    return json.dumps(rec, indent=2, sort_keys=True).encode()


def test_wandb_api_with_a_stand_in(tmp_path):
    good = make_record("cnn")
    good_ceiling = make_record("oracle", kind="ceiling")
    tampered = json.loads(_record_bytes(make_record("basset", "binary")))
    tampered["metrics"]["peak.auroc"]["mean"] = 1.0
    output_log = FakeFile("output.log", b"training...")
    api = FakeApi(
        {
            "team/bench": [
                FakeRun("run1", [output_log, FakeFile("record.json", _record_bytes(good))]),
                FakeRun("run2", [FakeFile("record.json", json.dumps(tampered).encode())]),
                FakeRun("run3", [FakeFile("oracle.record.json", _record_bytes(good_ceiling))]),
                FakeRun("run4", [FakeFile("config.yaml", b"a: 1")]),  # no record: ignored
                FakeRun("run5", fail=True),
                FakeRun("run6", [FakeFile("../escape.record.json", _record_bytes(good))]),
            ]
        }
    )
    result = gather_records(wandb_projects=["team/bench"], api=api)
    assert api.asked == ["team/bench"]
    assert output_log.downloads == 0  # only record files are downloaded
    assert sorted(r.source for r in result.records) == [
        "wandb:team/bench/run1/record.json",
        "wandb:team/bench/run3/oracle.record.json",
    ]
    assert {r.origin for r in result.records} == {"wandb-api"}
    refused = {r.source: r.reason for r in result.refused}
    assert "checksum mismatch" in refused["wandb:team/bench/run2/record.json"]
    assert "HTTP 500" in refused["wandb:team/bench/run5"]
    assert "unsafe" in refused["wandb:team/bench/run6/../escape.record.json"]
    assert len(refused) == 3


def test_wandb_api_errors_are_config_errors():
    with pytest.raises(ConfigError, match="ENTITY/PROJECT"):
        gather_records(wandb_projects=["just-a-project"], api=FakeApi({}))
    with pytest.raises(ConfigError, match="cannot list the runs"):
        gather_records(wandb_projects=["team/missing"], api=FakeApi({}))


def test_local_and_wandb_copies_of_one_record_are_one_row(tmp_path):
    rec = make_record("cnn")
    local = write(tmp_path / "runs" / "cell", rec)
    run = _offline_run(tmp_path / "runs", "ccc333")
    shutil.copyfile(local, run / "files" / "record.json")
    result = gather_records(records=[tmp_path / "runs"], wandb_dirs=[tmp_path / "runs"])
    assert len(result.records) == 1 and not result.refused
    assert result.duplicates == [(str(local), str(run / "files" / "record.json"))]
    # --records never descends into W&B run folders: those are read with --wandb-dir
    assert find_record_files(tmp_path / "runs") == [local]
