from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from benchsuite.io.atomic import atomic_directory, atomic_path, atomic_write


class Boom(RuntimeError):
    pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_atomic_write_text_and_binary(tmp_path: Path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_write(target) as handle:
        handle.write("héllo\n")
        assert not target.exists()  # invisible until the block ends
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    with atomic_write(tmp_path / "b.bin", "wb") as handle:
        handle.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "sub"]


def test_atomic_write_exception_leaves_nothing(tmp_path: Path):
    target = tmp_path / "out.txt"
    with pytest.raises(Boom), atomic_write(target) as handle:
        handle.write("partial")
        raise Boom
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_exception_keeps_old_file(tmp_path: Path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(Boom), atomic_write(target) as handle:
        handle.write("new")
        raise Boom
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_write(target) as handle:
        handle.write("new")
    assert target.read_text() == "new"


def test_atomic_write_modes(tmp_path: Path):
    with pytest.raises(ValueError), atomic_write(tmp_path / "x", "a"):
        pass
    target = tmp_path / "x"
    target.write_text("keep")
    with pytest.raises(FileExistsError), atomic_write(target, "x") as handle:
        handle.write("new")
    assert target.read_text() == "keep" and list(tmp_path.iterdir()) == [target]


def test_atomic_path(tmp_path: Path):
    target = tmp_path / "t.bw"
    with atomic_path(target, suffix=".bw") as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".bw") and not tmp.exists()
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data" and list(tmp_path.iterdir()) == [target]
    with pytest.raises(Boom), atomic_path(tmp_path / "u.bw") as tmp:
        tmp.write_bytes(b"partial")
        raise Boom
    assert list(tmp_path.iterdir()) == [target]
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "v.bw"):
        pass
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_directory_create_and_replace(tmp_path: Path):
    target = tmp_path / "dataset"
    with atomic_directory(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        (tmp / "a.txt").write_text("1")
        assert not target.exists()
    assert (target / "a.txt").read_text() == "1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~_umask()
    with atomic_directory(target) as tmp:
        (tmp / "b.txt").write_text("2")
        assert (target / "a.txt").exists()  # old contents visible until the swap
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]  # no temp or old folders left


def test_atomic_directory_failure_keeps_old(tmp_path: Path):
    target = tmp_path / "dataset"
    with pytest.raises(Boom), atomic_directory(target) as tmp:
        (tmp / "x").write_text("partial")
        raise Boom
    assert list(tmp_path.iterdir()) == []
    target.mkdir()
    (target / "keep").write_text("old")
    with pytest.raises(Boom), atomic_directory(target) as tmp:
        (tmp / "x").write_text("partial")
        raise Boom
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]
    assert (target / "keep").read_text() == "old" and not (target / "x").exists()


def test_atomic_directory_refuses_file_target(tmp_path: Path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(FileExistsError), atomic_directory(target) as tmp:
        (tmp / "a").write_text("1")
    assert target.read_text() == "x" and list(tmp_path.iterdir()) == [target]
