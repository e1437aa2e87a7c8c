"""Install the real example plugin distribution and discover it through its entry point.

The distribution is built and installed with pip into a temporary ``--target`` folder (no
network: ``--no-deps --no-build-isolation``); benchsuite then finds it from the installed
``*.dist-info/entry_points.txt`` only, both in a ``benchsuite list`` subprocess and in-process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchsuite.plugins import check_model_contract, load_plugins

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "plugins" / "example-plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example plugin installed into a fresh folder (built from a copy, so the repo stays clean)."""
    work = tmp_path_factory.mktemp("example-plugin")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    cmd = [
        sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
        "--disable-pip-version-check", "--no-input", "--quiet", "--target", str(target), str(source),
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def tinyconv_params(filters: int, targets: int, kind: str) -> int:
    """Parameters of benchsuite_example.model.TinyConv, counted by hand."""
    conv1 = 4 * filters * 15 + filters
    conv2 = filters * filters * 5 + filters
    head = filters * targets + targets  # Linear (binary) and width-1 Conv1d (quantitative) alike
    return conv1 + conv2 + head


def test_dist_info_declares_the_entry_point(site):
    (dist_info,) = site.glob("benchsuite_example_plugin-0.1.0.dist-info")
    text = (dist_info / "entry_points.txt").read_text()
    assert "[benchsuite]" in text
    assert "example = benchsuite_example.plugin" in text
    assert (site / "benchsuite_example" / "plugin.py").is_file()


def test_benchsuite_list_discovers_the_installed_plugin(site):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
    env["BENCHSUITE_PLUGINS"] = "example"
    env["COLUMNS"] = "250"
    result = subprocess.run(
        [sys.executable, "-m", "benchsuite", "list", "--profile", "smoke", "--check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=site.parent,  # not the repository: nothing but the installed metadata can provide the plugin
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "example-tinyconv" in out
    assert "benchsuite-example-plugin 0.1.0" in out
    assert f"{tinyconv_params(8, 3, 'binary'):,} (contract ok)" in out
    assert "All 1 plugin(s) loaded without errors" in out


def test_in_process_discovery_builds_both_tasks(site, monkeypatch):
    monkeypatch.delenv("BENCHSUITE_PLUGINS", raising=False)
    monkeypatch.syspath_prepend(str(site))
    registry = load_plugins(allow=["benchsuite-example-plugin"])
    assert registry.errors == []
    model = registry.get("example-tinyconv")
    assert (model.plugin, model.distribution, model.version) == (
        "example",
        "benchsuite-example-plugin",
        "0.1.0",
    )
    assert Path(sys.modules["benchsuite_example"].__file__).is_relative_to(site)
    for kind in ("binary", "quantitative"):
        for length in (512, 1024, 2048):
            task = model.spec.task_spec(kind, input_length=length, num_targets=3)
            net = model.build(task, profile="default")
            check_model_contract(net, model.spec, task, plugin=model.plugin)
            assert sum(p.numel() for p in net.parameters()) == tinyconv_params(16, 3, kind)
            assert type(net.get_submodule(model.spec.first_layer_activation)).__name__ == "ReLU"
