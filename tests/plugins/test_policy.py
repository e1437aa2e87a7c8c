"""Name policy: built-in baseline names are reserved; other duplicates are rejected altogether."""

from __future__ import annotations

import pytest

from benchsuite.errors import PluginError
from benchsuite.plugins import load_plugins
from tests.plugins.fakes import ep, named_plugin
from tests.plugins.faulty import baselines_ep, shadow_ep


def test_third_party_duplicate_of_a_baseline_is_refused_and_the_baseline_stays(install_entry_points):
    install_entry_points(shadow_ep(), baselines_ep())
    registry = load_plugins()
    assert registry.models["cnn-baseline"].distribution == "benchsuite-baselines"
    assert "shadow-own" in registry.models  # the shadowing plugin's other models load
    (error,) = registry.errors
    assert error.stage == "reserved" and error.plugin == "shadow"
    assert error.distribution == "shadow-plugin" and error.version == "0.3.1"
    assert error.message == (
        "model name 'cnn-baseline' is reserved for the built-in baseline of benchsuite-baselines 0.1.0; "
        "the registration by plugin 'shadow' (distribution shadow-plugin 0.3.1) is refused "
        "(the baseline stays)"
    )
    assert "cnn-baseline" not in registry.rejected


def test_direct_plugin_cannot_shadow_a_baseline_either(install_entry_points):
    install_entry_points(baselines_ep())
    registry = load_plugins(extra=[named_plugin("cnn-baseline", cls_name="Impostor")])
    assert registry.models["cnn-baseline"].plugin == "baselines"
    (error,) = registry.errors
    assert error.stage == "reserved" and error.plugin == "Impostor"


def test_duplicate_of_non_builtin_names_is_still_rejected_for_both(install_entry_points):
    install_entry_points(ep("a", named_plugin("same"), "dist-a"), ep("b", named_plugin("same"), "dist-b"))
    registry = load_plugins()
    assert "same" not in registry.models
    assert [e.stage for e in registry.errors] == ["duplicate"]
    with pytest.raises(PluginError, match="registered 2 times"):
        registry.get("same")
