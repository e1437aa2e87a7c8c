"""``benchsuite list --metrics``: the metric registry on the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from benchsuite.cli.main import app
from benchsuite.evaluate import HARNESS_VERSION
from benchsuite.evaluate.registry import METRICS, metrics_markdown

runner = CliRunner()


def test_list_metrics_table_names_every_metric() -> None:
    result = runner.invoke(app, ["list", "--metrics"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for m in METRICS:
        assert m.name in result.output
    assert "robustness.variation" in result.output and "lower" in result.output


def test_list_metrics_json_and_markdown() -> None:
    result = runner.invoke(app, ["list", "--metrics", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["harness_version"] == HARNESS_VERSION
    assert [m["name"] for m in data["metrics"]] == [m.name for m in METRICS]
    assert data["metrics"][0]["higher_is_better"] is True
    md = runner.invoke(app, ["list", "--metrics", "--markdown"])
    assert md.exit_code == 0 and md.output == metrics_markdown()


def test_markdown_without_metrics_is_a_clear_error(capsys) -> None:  # noqa: ANN001 - pytest fixture
    import pytest

    from benchsuite.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--markdown"])
    assert exit_info.value.code != 0
    assert "applies to --metrics" in capsys.readouterr().err
