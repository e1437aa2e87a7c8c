"""`benchsuite list`: models with parameter counts, tasks, and plugins that failed to load."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from benchsuite.cli import list as list_cli
from benchsuite.errors import ConfigError
from benchsuite.plugins import ModelSpec, hookimpl
from tests.plugins.fakes import GoodPlugin, ep, failing_ep, tiny_build


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    list_cli.register(app)
    return app


class HalfBrokenPlugin:
    """One model builds, one model's build raises."""

    @hookimpl
    def benchsuite_register_models(self, register):
        register(
            ModelSpec(
                "sized-model",
                tiny_build,
                {"binary", "quantitative"},
                bin_size=4,
                profiles={"smoke": {"channels": 5}, "default": {"channels": 7}},
            )
        )

        def explode(task, **hp):
            raise ValueError(f"cannot handle input_length {task.input_length}")

        register(ModelSpec("exploding-model", explode, {"quantitative"}))


def tiny_params(channels: int, targets: int) -> int:
    """Parameter count of tests.plugins.fakes.tiny_build, by hand: conv(4->c, k3) + head(c->T, k1)."""
    return (4 * channels * 3 + channels) + (channels * targets + targets)


@pytest.fixture
def cli_env(install_entry_points, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    install_entry_points(
        ep("half", HalfBrokenPlugin(), dist="half-dist", version="0.2"),
        ep("good", GoodPlugin(), dist="good-dist", version="1.0"),
        failing_ep("broken", ImportError("cannot import name 'Thing' from 'nowhere'"), dist="broken-dist"),
    )


@pytest.mark.parametrize(("profile", "channels", "targets"), [("smoke", 5, 3), ("default", 7, 5)])
def test_list_shows_models_parameter_counts_and_failures(cli_env, profile, channels, targets):
    result = CliRunner().invoke(_app(), ["list", "--profile", profile])
    assert result.exit_code == 0, result.output
    out = result.output
    for name in ("sized-model", "exploding-model", "good-a", "good-b"):
        assert name in out
    assert "half-dist 0.2" in out and "good-dist 1.0" in out
    assert f"{tiny_params(channels, targets):,}" in out
    assert "build failed" in out and "ValueError: cannot handle input_length" in out
    # the failure section names the plugin, its distribution and the reason
    assert "Plugins that failed to load" in out
    assert "broken" in out and "broken-dist 0.3" in out and "cannot import name 'Thing'" in out
    assert "Tasks" in out and "binary" in out and "quantitative" in out and "poisson" in out


def test_list_check_runs_the_contract(cli_env):
    result = CliRunner().invoke(_app(), ["list", "--profile", "smoke", "--check"])
    assert result.exit_code == 0, result.output
    assert "contract ok" in result.output


def test_list_respects_allow_list_and_reports_clean_load(cli_env, monkeypatch):
    monkeypatch.setenv("BENCHSUITE_PLUGINS", "good")
    result = CliRunner().invoke(_app(), ["list", "--profile", "smoke"])
    assert result.exit_code == 0, result.output
    assert "good-a" in result.output and "sized-model" not in result.output
    assert "excluded by BENCHSUITE_PLUGINS" in result.output and "half (half-dist)" in result.output
    assert "All 1 plugin(s) loaded without errors" in result.output


def test_list_rejects_unknown_profile(cli_env):
    result = CliRunner().invoke(_app(), ["list", "--profile", "huge"])
    assert isinstance(result.exception, ConfigError)
    assert "--profile" in str(result.exception) and "smoke, default, paper" in str(result.exception)


class WrongShapePlugin:
    @hookimpl
    def benchsuite_register_models(self, register):
        def build(task, **hp):
            import torch

            class Wrong(torch.nn.Module):
                def forward(self, x):
                    return torch.zeros(x.shape[0], task.num_targets, 7)

            return Wrong()

        register(ModelSpec("wrong-shape", build, {"quantitative"}, bin_size=32))


def test_list_check_shows_contract_violations(install_entry_points, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    install_entry_points(ep("wrong", WrongShapePlugin(), dist="wrong-dist"))
    result = CliRunner().invoke(_app(), ["list", "--profile", "smoke", "--check"])
    assert result.exit_code == 0, result.output
    assert "contract violated" in result.output
    assert "(2, 3, 7)" in result.output and "expected (2, 3, 16)" in result.output


def test_list_reports_a_plugin_that_changed_global_state(install_entry_points, monkeypatch):
    """Human listing and --json both carry the restored global-state change as a warning."""
    import json

    import torch

    from tests.plugins.faulty import state_ep

    monkeypatch.setenv("COLUMNS", "250")
    change = lambda: torch.set_default_dtype(torch.float64)  # noqa: E731
    install_entry_points(state_ep("evil", "evil-plugin", change, "evil-model"))
    result = CliRunner().invoke(_app(), ["list", "--profile", "smoke"])
    assert result.exit_code == 0, result.output
    assert "plugin warning:" in result.output and "default dtype" in result.output
    assert torch.get_default_dtype() == torch.float32
    result = CliRunner().invoke(_app(), ["list", "--profile", "smoke", "--json"])
    document = json.loads(result.stdout)
    assert [w["plugin"] for w in document["warnings"]] == ["evil"]
    assert "float32 -> float64" in document["warnings"][0]["reason"]
    assert document["failures"] == []
