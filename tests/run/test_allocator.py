"""tune_allocator: glibc's mmap/trim thresholds raised for this process and its children, unless
the user opted out or set them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchsuite.run.allocator import MALLOC_ENV, THRESHOLD_BYTES, tune_allocator

VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


@pytest.fixture
def clean_env(monkeypatch):
    for var in (*VARS, MALLOC_ENV):  # set, then delete: the undo restores the original state
        monkeypatch.setenv(var, "0")
        monkeypatch.delenv(var)
    return monkeypatch


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_thresholds_are_set_for_this_process_and_its_children(clean_env):
    assert tune_allocator() is True
    assert [os.environ[v] for v in VARS] == [str(THRESHOLD_BYTES)] * 2
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['MALLOC_MMAP_THRESHOLD_'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == str(THRESHOLD_BYTES)


def test_a_value_the_user_set_is_kept(clean_env):
    clean_env.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    tune_allocator()
    assert os.environ["MALLOC_MMAP_THRESHOLD_"] == "1048576"
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == str(THRESHOLD_BYTES)


def test_opting_out_changes_nothing(clean_env):
    clean_env.setenv(MALLOC_ENV, "default")
    assert tune_allocator() is False
    assert not any(v in os.environ for v in VARS)


def test_a_value_that_is_not_a_number_is_not_applied(clean_env):
    clean_env.setenv("MALLOC_TRIM_THRESHOLD_", "lots")
    assert tune_allocator() is False
