"""The persistent numba cache of memelite's Tomtom: chosen by the CLI when the user set none."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from benchsuite.evaluate.motifs.tomtom import NUMBA_CACHE_ENV, default_numba_cache_dir, use_numba_cache

from .conftest import exit_code


def test_default_numba_cache_dir_follows_xdg(tmp_path):
    assert default_numba_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "benchsuite" / "numba"
    assert default_numba_cache_dir({}) == Path.home() / ".cache" / "benchsuite" / "numba"


def test_unset_numba_cache_dir_is_chosen_and_created(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    assert use_numba_cache(env) == tmp_path / "benchsuite" / "numba"
    assert env[NUMBA_CACHE_ENV] == str(tmp_path / "benchsuite" / "numba")
    assert (tmp_path / "benchsuite" / "numba").is_dir()


def test_numba_cache_dir_of_the_user_is_kept(tmp_path):
    env = {NUMBA_CACHE_ENV: str(tmp_path / "mine"), "XDG_CACHE_HOME": str(tmp_path)}
    assert use_numba_cache(env) == tmp_path / "mine"
    assert env[NUMBA_CACHE_ENV] == str(tmp_path / "mine")
    assert not (tmp_path / "benchsuite").exists()


def test_uncreatable_numba_cache_dir_leaves_numba_default(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    env = {"XDG_CACHE_HOME": str(tmp_path / "file")}
    assert use_numba_cache(env) is None
    assert NUMBA_CACHE_ENV not in env


def test_cli_sets_the_numba_cache_dir_when_unset(tmp_path, monkeypatch):
    if "numba" in sys.modules:  # the CLI updates numba's configuration too: restore it after
        from numba.core import config

        monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)
    monkeypatch.delenv(NUMBA_CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert exit_code(["run", "--out", str(tmp_path / "runs"), "--wandb", "disabled"]) == 2  # no models
    assert os.environ[NUMBA_CACHE_ENV] == str(tmp_path / "benchsuite" / "numba")
