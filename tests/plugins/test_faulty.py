"""The faulty-plugin corpus at load time: each fault is reported by name and the other plugins load."""

from __future__ import annotations

import pytest
import torch

from benchsuite.plugins import load_plugins
from benchsuite.plugins.state import capture, restore
from tests.plugins.faulty import NOISE, baselines_ep, import_error_ep, noisy_ep, state_ep


@pytest.fixture(autouse=True)
def _restore_state():
    state = capture()
    yield
    restore(state)


def test_import_error_is_reported_and_the_baseline_loads(install_entry_points):
    install_entry_points(import_error_ep(), baselines_ep())
    registry = load_plugins()
    assert list(registry.models) == ["cnn-baseline"]
    (error,) = registry.errors
    assert (error.plugin, error.distribution, error.stage) == ("broken", "broken-plugin", "import")
    assert error.message == (
        "importing entry point broken = broken_pkg.plugin failed: "
        "ModuleNotFoundError: No module named 'torchvision_nightly'"
    )


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda: torch.set_default_dtype(torch.float64), "torch default dtype float32 -> float64"),
        (lambda: torch.set_grad_enabled(False), "torch grad mode enabled -> disabled"),
        (lambda: torch.set_num_threads(torch.get_num_threads() + 1), "torch thread count {n} -> {m}"),
        (lambda: torch.manual_seed(0), "the torch RNG state"),
    ],
    ids=["dtype", "grad", "threads", "rng"],
)
def test_global_state_change_at_import_is_restored_and_named(install_entry_points, change, what):
    n = torch.get_num_threads()
    install_entry_points(state_ep("evil", "evil-plugin", change, "evil-model"), baselines_ep())
    registry = load_plugins()
    assert not registry.errors  # a warning, not a load failure: the plugin's models load
    assert sorted(registry.models) == ["cnn-baseline", "evil-model"]
    (warning,) = registry.warnings
    assert warning.stage == "global-state" and warning.distribution == "evil-plugin"
    assert str(warning) == (
        f"plugin 'evil' (distribution evil-plugin 0.1): changed {what.format(n=n, m=n + 1)} at import; "
        "restored (fix: a plugin must not change process-wide torch state (set it in the model, if at all))"
    )
    assert torch.get_default_dtype() is torch.float32 and torch.is_grad_enabled()
    assert torch.get_num_threads() == n
    # the baseline builds and runs as if the evil plugin were not installed
    task = registry.models["cnn-baseline"].spec.task_spec("binary", input_length=64, num_targets=2)
    model = registry.models["cnn-baseline"].build(task)
    assert next(model.parameters()).dtype is torch.float32


def test_state_change_in_the_hook_is_restored_and_named():
    from benchsuite.plugins import hookimpl

    class GradOff:
        @hookimpl
        def benchsuite_register_models(self, register):
            torch.set_grad_enabled(False)

    registry = load_plugins(allow=[], extra=[GradOff()])
    (warning,) = registry.warnings
    assert (
        warning.message
        == "changed torch grad mode enabled -> disabled in benchsuite_register_models; restored"
    )
    assert torch.is_grad_enabled()


def test_stdout_noise_at_import_goes_to_stderr(install_entry_points, capfd):
    install_entry_points(noisy_ep(), baselines_ep())
    registry = load_plugins()
    assert sorted(registry.models) == ["cnn-baseline", "fake-noisy"] and not registry.errors
    captured = capfd.readouterr()
    assert NOISE not in captured.out
    assert f"{NOISE} print at import" in captured.err and f"{NOISE} fd 1 at import" in captured.err
