from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchsuite.io.atomic import TEMP_DIR_PATTERN, atomic_directory, host_name, owned_temp_name
from benchsuite.io.stale import folder_bytes, pid_alive, remove_stale_temporaries


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def _leftover(parent: Path, name: str, host: str, pid: int, payload: int = 1000) -> Path:
    folder = parent / f".{name}.tmp-{host}-{pid}-0123abcd"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "cov.f16").write_bytes(b"\0" * payload)
    (folder / "seq.u8").write_bytes(b"\1" * 24)
    return folder


def test_owned_temp_name_carries_host_and_pid():
    name = owned_temp_name("abc123")
    match = TEMP_DIR_PATTERN.match(name)
    assert match is not None
    assert (match["name"], match["kind"], match["host"], match["pid"]) == (
        "abc123",
        "tmp",
        host_name(),
        str(os.getpid()),
    )
    assert TEMP_DIR_PATTERN.match(owned_temp_name("my-bundle.v2", "old"))["name"] == "my-bundle.v2"


def test_atomic_directory_builds_in_an_owned_folder(tmp_path: Path):
    with atomic_directory(tmp_path / "out") as tmp:
        match = TEMP_DIR_PATTERN.match(tmp.name)
        assert match is not None and int(match["pid"]) == os.getpid() and match["host"] == host_name()
        # a concurrent cleanup (another shard) keeps the folder of this live process
        assert remove_stale_temporaries(tmp_path).kept == [tmp]
        (tmp / "x").write_text("1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_dead_owner_removed_live_and_other_host_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    dead = _leftover(tmp_path, "cache", host_name(), _dead_pid(), payload=5000)
    live = _leftover(tmp_path, "cache", host_name(), os.getpid())
    other = _leftover(tmp_path, "cache", "another.node", _dead_pid())
    final = tmp_path / "cache"
    final.mkdir()
    plain = tmp_path / ".hidden.tmp-notours"
    plain.mkdir()
    with caplog.at_level(logging.INFO, logger="benchsuite.io.stale"):
        result = remove_stale_temporaries(tmp_path)
    assert result.removed == [dead]
    assert result.bytes_removed == 5024
    assert sorted(result.kept) == sorted([live, other])
    assert not dead.exists() and live.is_dir() and other.is_dir() and final.is_dir() and plain.is_dir()
    assert f"removed stale temporary folder {dead} (5,024 bytes, left by process" in caplog.text
    summary = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in summary] == [
        f"removed 1 stale temporary folder(s) of killed builds in {tmp_path}: 5,024 bytes in all"
    ]


def test_symlinks_files_and_missing_folder_are_left_alone(tmp_path: Path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp_path / f".c.tmp-{host_name()}-{_dead_pid()}-0123abcd"
    link.symlink_to(target)
    as_file = tmp_path / f".d.tmp-{host_name()}-{_dead_pid()}-0123abcd"
    as_file.write_text("x")
    result = remove_stale_temporaries(tmp_path)
    assert result.removed == [] and link.is_symlink() and as_file.is_file() and (target / "keep").exists()
    assert remove_stale_temporaries(tmp_path / "missing").removed == []


def test_unowned_old_style_folder_is_kept_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    old = tmp_path / ".abc.k2j4h5g6.tmp"
    old.mkdir()
    with caplog.at_level(logging.WARNING, logger="benchsuite.io.stale"):
        result = remove_stale_temporaries(tmp_path)
    assert result.unowned == [old] and old.is_dir()
    assert "remove it by hand if no build is running" in caplog.text


def test_pid_alive_and_folder_bytes(tmp_path: Path):
    assert pid_alive(os.getpid())
    assert pid_alive(0)  # never treated as dead
    assert not pid_alive(_dead_pid())
    (tmp_path / "a").write_bytes(b"12345")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b").write_bytes(b"123")
    assert folder_bytes(tmp_path) == 8
