"""Target mappings: explicit, by names, default; a mapping to a missing track is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.adapt.targets import default_mapping, explicit_mapping, names_mapping, read_mapping_file
from benchsuite.errors import ConfigError, PluginError

TARGETS = ("celltype_A", "celltype_B")
TRACKS = ("DNASE:celltype_A", "DNASE:celltype_B", "CAGE:x")


def test_explicit_mapping_by_name_index_and_weights():
    m = explicit_mapping(
        {"celltype_A": "CAGE:x", "celltype_B": {"DNASE:celltype_A": 0.25, 1: 0.75}},
        TARGETS,
        TRACKS,
        plugin="p",
        model="m",
    )
    np.testing.assert_array_equal(m.weights, [[0, 0, 1], [0.25, 0.75, 0]])
    out = np.array([[[1.0], [3.0], [5.0]]])
    np.testing.assert_allclose(m.apply(out, "quantitative"), [[[5.0], [2.5]]])
    assert m.to_dict()["mode"] == "explicit" and m.row_kind == "mapped"


def test_mapping_to_a_missing_track_names_the_plugin_and_the_track():
    with pytest.raises(PluginError) as err:
        mapping = {"celltype_A": "DNASE:K562", "celltype_B": 0}
        explicit_mapping(mapping, TARGETS, TRACKS, plugin="acme", model="m")
    assert str(err.value).startswith(
        "plugin 'acme': model 'm' maps target 'celltype_A' to track 'DNASE:K562', which it does not output"
    )
    assert "DNASE:celltype_A, DNASE:celltype_B, CAGE:x" in err.value.hint


def test_mapping_to_an_index_out_of_range_is_an_error():
    with pytest.raises(PluginError, match="to track 7, which it does not output"):
        explicit_mapping({"celltype_A": 7, "celltype_B": 0}, TARGETS, TRACKS, plugin="acme", model="m")


def test_unmapped_target_is_an_error():
    with pytest.raises(PluginError, match="does not map target 'celltype_B'"):
        explicit_mapping({"celltype_A": 0}, TARGETS, TRACKS, plugin="acme", model="m")


def test_names_mapping_matches_a_field_of_the_track_name():
    m = names_mapping(TARGETS, TRACKS, plugin="p", model="m")
    np.testing.assert_array_equal(m.weights, [[1, 0, 0], [0, 1, 0]])


def test_names_mapping_without_a_match_is_an_error():
    with pytest.raises(PluginError, match=r"target 'celltype_A' matches no track of model 'm' by name"):
        names_mapping(TARGETS, ("x", "y"), plugin="p", model="m")


def test_default_mapping_identity_names_then_order():
    assert default_mapping(TARGETS, TARGETS, plugin="p", model="m").mode == "identity"
    assert default_mapping(TARGETS, TRACKS, plugin="p", model="m").mode == "names"
    order = default_mapping(TARGETS, ("t0", "t1"), plugin="p", model="m")
    assert order.mode == "order" and "track i scored as target i" in order.to_dict()["note"]
    with pytest.raises(PluginError):
        default_mapping(TARGETS, ("t0", "t1", "t2"), plugin="p", model="m")


def test_mapping_file(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("targets:\n  celltype_A: 0\n  celltype_B: {1: 0.5, 2: 0.5}\n", encoding="utf-8")
    assert read_mapping_file(path) == {"celltype_A": 0, "celltype_B": {1: 0.5, 2: 0.5}}
    path.write_text("mode: probe\n", encoding="utf-8")
    assert read_mapping_file(path) == "probe"
    path.write_text("hello: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="a mapping file needs a 'targets:' mapping"):
        read_mapping_file(path)
