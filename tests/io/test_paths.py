from __future__ import annotations

from pathlib import Path

import pytest

from benchsuite.errors import ConfigError
from benchsuite.io.paths import require_directory


def test_new_and_existing_folders_pass_and_nothing_is_created(tmp_path: Path):
    new = tmp_path / "a" / "b"
    assert require_directory(new, option="--out") == new
    assert not (tmp_path / "a").exists()
    assert require_directory(tmp_path, option="--out") == tmp_path


def test_path_that_is_a_file_names_option_and_path(tmp_path: Path):
    target = tmp_path / "cache"
    target.write_text("x")
    with pytest.raises(ConfigError) as info:
        require_directory(target, option="--cache")
    assert str(info.value) == (
        f"--cache: {target} is a file, not a directory "
        f"(fix: give --cache a folder path (new or existing), or move the file {target} away)"
    )
    assert target.read_text() == "x"


def test_parent_component_that_is_a_file(tmp_path: Path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as info:
        require_directory(blocker / "sub" / "out", option="--out")
    assert info.value.source == "--out"
    assert f"its parent {blocker} is a file, not a directory" in info.value.message
    assert not (blocker.parent / "sub").exists()


def test_symlink_to_folder_passes_symlink_to_file_fails(tmp_path: Path):
    folder = tmp_path / "real"
    folder.mkdir()
    (tmp_path / "link").symlink_to(folder)
    assert require_directory(tmp_path / "link", option="--out") == tmp_path / "link"
    (tmp_path / "f").write_text("x")
    (tmp_path / "flink").symlink_to(tmp_path / "f")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        require_directory(tmp_path / "flink", option="--out")
