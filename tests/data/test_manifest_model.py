"""The manifest model: target roles, task targets, input files and plain-dict forms."""

from __future__ import annotations

import pytest

from benchsuite.data.manifest import (
    DEFAULT_GEOMETRY,
    BinaryNegatives,
    Geometry,
    Manifest,
    SplitSpec,
    TargetSpec,
    load_manifest,
)

from .conftest import TARGETS, TinyBundle


def test_target_roles_and_task_targets(tiny_bundle: TinyBundle) -> None:
    m = load_manifest(tiny_bundle.root)
    label_only = TargetSpec("C", track=None, peaks=m.targets[0].peaks)
    m = Manifest(**{**m.__dict__, "targets": (*m.targets, label_only)})
    assert label_only.has_labels and not label_only.has_coverage
    assert m.target_names == (*TARGETS, "C")
    assert m.coverage_target_names == TARGETS and m.task_target_names("quantitative") == TARGETS
    assert m.label_target_names == (*TARGETS, "C") and m.task_target_names("binary") == (*TARGETS, "C")
    with pytest.raises(ValueError, match="unknown task kind"):
        m.task_target_names("wholechrom")


def test_input_files_in_a_stable_order(tiny_bundle: TinyBundle) -> None:
    m = load_manifest(tiny_bundle.root)
    assert [role for role, _ in m.input_files()] == [
        "genome",
        "track:A",
        "replicate2:A",
        "peaks:A",
        "track:B",
        "replicate2:B",
        "peaks:B",
        "excluded",
    ]
    assert all(path.is_absolute() for _, path in m.input_files())


def test_plain_dict_forms_and_defaults(tmp_path) -> None:
    g = Geometry(300, 200, (1, 10, 50), 50, 2.0)
    assert g.to_dict() == {
        "chunk_length": 300,
        "input_length": 200,
        "bin_sizes": [1, 10, 50],
        "common_bin": 50,
        "coverage_threshold": 2.0,
    }
    assert BinaryNegatives().to_dict() == {"source": "coverage-threshold", "fraction": 1.0}
    m = Manifest(tmp_path, tmp_path, "x", tmp_path / "g.fa", (), SplitSpec(("chr8",), ("chr9",)))
    assert m.geometry.to_dict() == DEFAULT_GEOMETRY
