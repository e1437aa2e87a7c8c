"""``benchsuite evaluate`` through the command line.

Re-evaluating a cell that ``benchsuite run`` trained (into ``--out`` and in place) is the
second half of ``test_cli_run_then_evaluate`` in ``tests/cli/test_run.py``.
"""

from __future__ import annotations

from .conftest import exit_code


def test_evaluate_missing_checkpoint(capsys, tmp_path):
    assert exit_code(["evaluate", "--checkpoint", str(tmp_path / "nope.ckpt")]) == 2
    err = capsys.readouterr().err
    assert "nope.ckpt" in err and "not found" in err


def test_evaluate_needs_checkpoint_or_model(capsys):
    assert exit_code(["evaluate"]) == 2
    assert "give either --checkpoint or --model" in capsys.readouterr().err


def test_evaluate_model_needs_bundle_and_out(capsys, tmp_path):
    assert exit_code(["evaluate", "--model", "x", "--bundle", str(tmp_path)]) == 2
    assert "--model needs --bundle and --out" in capsys.readouterr().err
