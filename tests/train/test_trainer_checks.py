"""Trainer options are refused up front, saying what this machine has (benchsuite.train.trainer_checks)."""

from __future__ import annotations

import os

import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.train.fit import trainer_options
from benchsuite.train.trainer_checks import check_trainer_options, machine_summary
from tests.cli.conftest import exit_code

NO_GPU = not torch.cuda.is_available() and not torch.backends.mps.is_available()


def _check(**kw):
    check_trainer_options(trainer_options(**kw))


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"accelerator": "cpu"},
        {"accelerator": "auto", "devices": "auto"},
        {"accelerator": "cpu", "devices": "2", "strategy": "ddp_spawn"},
        {"devices": "1", "num_nodes": 1, "precision": "32-true"},
        {"precision": "bf16-mixed"},
        {"precision": "32"},
        {"strategy": "auto"},
    ],
)
def test_valid_options_pass(kw):
    _check(**kw)


@pytest.mark.parametrize(
    ("kw", "option", "words"),
    [
        ({"devices": "0"}, "--devices", "must be >= 1"),
        ({"devices": "-3"}, "--devices", "must hold indices >= 0"),
        ({"precision": "7"}, "--precision", "unknown precision '7'"),
        ({"strategy": "nosuch"}, "--strategy", "unknown strategy 'nosuch'"),
        ({"accelerator": "quantum"}, "--accelerator", "unknown accelerator 'quantum'"),
        ({"num_nodes": 0}, "--num-nodes", "must be an integer >= 1"),
        ({"accelerator": "cpu", "precision": "16-mixed"}, "--precision", "silently train in bf16-mixed"),
    ],
)
def test_bad_options_name_the_option_and_the_machine(kw, option, words):
    with pytest.raises(ConfigError) as info:
        _check(**kw)
    text = str(info.value)
    assert option in text and words in text
    assert f"cpu ({os.cpu_count() or 1} cores)" in text


@pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
@pytest.mark.parametrize("accelerator", ["gpu", "cuda"])
def test_gpu_without_gpu_is_refused(accelerator):
    with pytest.raises(ConfigError) as info:
        _check(accelerator=accelerator)
    text = str(info.value)
    assert "no GPU is available" in text or "no CUDA GPU is available" in text
    assert "use cpu or auto" in text and "no CUDA GPU" in machine_summary()


def test_devices_beyond_the_gpus_are_refused(monkeypatch):
    """A one-GPU machine (faked): 1 device or index 0 pass, 2 devices or index 1 are refused."""
    from benchsuite.train import trainer_checks

    monkeypatch.setattr(trainer_checks, "_cuda_count", lambda: 1)
    _check(accelerator="gpu", devices="1")
    _check(accelerator="cuda", devices="0,")  # the list [0]
    _check(accelerator="cpu", devices="0,1,2")  # cpu devices are processes
    for devices in ("2", "1,", "0,1"):  # two devices, index 1, two indices
        with pytest.raises(ConfigError) as info:
            _check(accelerator="gpu", devices=devices)
        assert "more cuda devices than exist (1)" in str(info.value) and "1 CUDA GPU(s)" in str(info.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["--devices", "0"],
        ["--precision", "7"],
        ["--strategy", "nosuch"],
        ["--accelerator", "quantum"],
    ],
)
def test_run_refuses_before_anything_runs(argv, tmp_path, capsys):
    """No ceiling, no bundle, no cell: the run stops at the option with exit 2 and one line."""
    out = tmp_path / "runs"
    assert (
        exit_code(["run", "--all", "--profile", "smoke", "--out", str(out), "--wandb", "disabled", *argv])
        == 2
    )
    err = capsys.readouterr().err
    assert argv[0] in err and "this machine has" in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
def test_evaluate_refuses_a_gpu_it_does_not_have(tmp_path, capsys):
    """`benchsuite evaluate --accelerator gpu` used to fall back to the CPU silently."""
    ckpt = tmp_path / "checkpoint.ckpt"
    ckpt.write_bytes(b"never read")
    assert exit_code(["evaluate", "--checkpoint", str(ckpt), "--accelerator", "gpu"]) == 2
    err = capsys.readouterr().err
    assert "--accelerator" in err and "no GPU is available" in err and "Traceback" not in err
