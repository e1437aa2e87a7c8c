"""Global-state snapshots: what changed is named, everything is restored; stdout redirected at both levels."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import pytest
import torch

from benchsuite.plugins.state import HARNESS_FIELDS, capture, describe_changes, redirect_stdout, restore


@pytest.fixture
def snapshot():
    state = capture()
    yield state
    restore(state)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda: torch.set_default_dtype(torch.float64), "torch default dtype float32 -> float64"),
        (lambda: torch.set_grad_enabled(False), "torch grad mode enabled -> disabled"),
        (lambda: torch.set_num_threads(torch.get_num_threads() + 1), "torch thread count {n} -> {m}"),
        (lambda: torch.use_deterministic_algorithms(True), "torch deterministic algorithms off -> on"),
        (lambda: torch.set_anomaly_enabled(True), "torch anomaly detection off -> on"),
        (
            lambda: torch.set_float32_matmul_precision("medium"),
            "torch float32 matmul precision highest -> medium",
        ),
        (lambda: torch.manual_seed(123), "the torch RNG state"),
        (lambda: np.random.seed(7), "the numpy RNG state"),
        (lambda: random.seed(7), "the Python random state"),
    ],
)
def test_each_change_is_named_and_restored(snapshot, change, expected):
    n = torch.get_num_threads()
    change()
    assert describe_changes(snapshot, capture()) == [expected.format(n=n, m=n + 1)]
    restore(snapshot)
    assert describe_changes(snapshot, capture()) == []
    assert torch.get_default_dtype() is torch.float32 and torch.is_grad_enabled()
    assert torch.get_num_threads() == n and not torch.are_deterministic_algorithms_enabled()


def test_restored_rng_streams_continue_identically(snapshot):
    a = (torch.rand(3), np.random.rand(), random.random())
    restore(snapshot)
    b = (torch.rand(3), np.random.rand(), random.random())
    assert torch.equal(a[0], b[0]) and a[1:] == b[1:]


def test_harness_fields_can_be_ignored(snapshot):
    torch.manual_seed(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_grad_enabled(False)
    assert describe_changes(snapshot, capture(), ignore=HARNESS_FIELDS) == [
        "torch grad mode enabled -> disabled"
    ]


def test_redirect_stdout_covers_print_and_fd1(tmp_path, capfd):
    log = tmp_path / "cell.log"
    with open(log, "a", encoding="utf-8") as fh, redirect_stdout(fh):
        print("python-level")
        os.write(1, b"fd-level\n")
        sys.stdout = sys.__stderr__  # replaced by the code inside: put back anyway
    print("after")
    out = capfd.readouterr().out
    assert out == "after\n"
    assert sorted(log.read_text().splitlines()) == ["fd-level", "python-level"]  # buffers flush in any order


def test_redirect_stdout_default_is_stderr(capfd):
    with redirect_stdout():
        print("to stderr")
        os.write(1, b"fd to stderr\n")
    captured = capfd.readouterr()
    assert captured.out == "" and "to stderr" in captured.err and "fd to stderr" in captured.err
