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


def test_evaluate_model_scores_an_evaluate_only_model(smoke_bundle, smoke_cache_dir, tmp_path, monkeypatch):
    import json

    from .conftest import fake_cli

    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "targets:\n  celltype_A: A\n  celltype_B: C\n  celltype_C: {G: 0.5, T: 0.5}\n", "utf-8"
    )
    monkeypatch.setenv("BENCHSUITE_TEST_EXTRA_PLUGINS", "tests.adapt.cli_plugin")
    args = ["evaluate", "--model", "echo-cli", "--bundle", str(smoke_bundle), "--out", str(tmp_path / "out")]
    args += ["--profile", "smoke", "--no-cagi5", "--no-motifs", "--map", str(mapping), "--json"]
    done = fake_cli(args, smoke_cache_dir)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["model"]["name"] == "echo-cli" and record["provenance"]["trained_by_suite"] is False
    assert record["provenance"]["adaptation"] == {
        "row_kind": "pretrained",
        "input": "context",
        "targets": "explicit",
    }
    targets = record["hyperparameters"]["adaptation"]["targets"]
    assert targets["from"] == "file map.yaml" and targets["weights"][2] == [0, 0, 0.5, 0.5]
    assert (tmp_path / "out" / "record.json").is_file()
