"""W&B logging: disabled mode is a no-op; offline mode writes a complete run folder."""

from __future__ import annotations

import sys

import pytest

from benchsuite.errors import ConfigError
from benchsuite.results.wandb_logging import WANDB_MODES, WandbRun, flatten_metrics, wandb_settings


def test_modes():
    assert WANDB_MODES == ("online", "offline", "disabled")
    with pytest.raises(ConfigError) as info:
        WandbRun.start(mode="sometimes", directory=".", project="p", name="n", group="g", config={})
    assert "--wandb" in str(info.value) and "offline" in str(info.value)


def test_disabled_is_a_no_op(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "wandb", raising=False)
    run = WandbRun.start(
        mode="disabled", directory=tmp_path / "out", project="p", name="n", group="g", config={}
    )
    assert not run.enabled and run.reference is None and run.files_dir is None
    assert run.lightning_logger() is None
    run.log_final(
        {"wholechrom.pearson": {"mean": 0.5, "per_target": {"A": 0.5}}}, {"x": str(tmp_path / "x.png")}
    )
    record = tmp_path / "record.json"
    record.write_text("{}")
    run.save_record(record)
    run.finish()
    run.finish()
    with run as same:
        assert same is run
    assert not (tmp_path / "out").exists()
    assert "wandb" not in sys.modules  # disabled never imports (or starts) wandb


def test_flatten_metrics():
    flat = flatten_metrics(
        {
            "wholechrom.pearson": {"mean": 0.5, "per_target": {"A": 0.4, "B": 0.6}},
            "cagi5.robust": {"mean": None, "per_target": {}},
            "peak.auroc": {"mean": float("nan"), "per_target": {"A": 0.9}},
        }
    )
    assert flat == {
        "wholechrom.pearson": 0.5,
        "wholechrom.pearson/A": 0.4,
        "wholechrom.pearson/B": 0.6,
        "peak.auroc/A": 0.9,
    }


def test_offline_settings_never_reach_the_network():
    settings = wandb_settings("offline")
    assert settings.mode == "offline"
    assert settings.x_disable_stats and settings.x_disable_meta and settings.x_disable_machine_info
    assert settings.console == "off" and settings.silent
    assert settings.init_timeout <= 60
    assert wandb_settings("online").mode == "online"
