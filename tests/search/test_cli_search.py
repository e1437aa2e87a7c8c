"""`benchsuite search` on the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from benchsuite.cli.main import app
from benchsuite.errors import ConfigError
from benchsuite.search.document import read_document


def test_cli_search_writes_the_best_document(search_bundle, search_cache, tmp_path):
    out = tmp_path / "search"
    args = ["search", "--bundle", str(search_bundle), "--cache", str(search_cache), "--out", str(out)]
    args += ["--architect", "controller", "--candidates", "1", "--steps", "1", "--wandb", "disabled"]
    result = CliRunner().invoke(app, [*args, "--accelerator", "cpu", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert str(out / "best.arch.json") in result.stdout
    document = read_document(out / "best.arch.json")
    assert document.search["architect"] == "controller" and document.search["candidates"] == 1


def test_cli_search_refuses_an_unknown_architect(search_bundle, tmp_path):
    args = ["search", "--bundle", str(search_bundle), "--out", str(tmp_path), "--architect", "grid"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert "unknown architect 'grid'" in str(result.exception)


def test_cli_search_refuses_a_bad_shard(search_bundle, tmp_path):
    result = CliRunner().invoke(
        app, ["search", "--bundle", str(search_bundle), "--out", str(tmp_path), "--shard", "3/2"]
    )
    assert isinstance(result.exception, ConfigError)
    assert "shard 3/2 is out of range" in str(result.exception)


def test_cli_tune_needs_a_space_file(search_bundle, tmp_path):
    result = CliRunner().invoke(
        app, ["search", "--bundle", str(search_bundle), "--out", str(tmp_path), "--tune", "basset"]
    )
    assert isinstance(result.exception, ConfigError)
    assert "--tune and --tune-space go together" in str(result.exception)
