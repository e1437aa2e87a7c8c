"""Provenance hashes: plugin files and weights change exactly when their content changes."""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

import pytest
import torch

from benchsuite.errors import InputFileError, PluginError
from benchsuite.plugins import ModelSpec, TaskSpec
from benchsuite.plugins.manager import RegisteredModel
from benchsuite.results.provenance import (
    build_provenance,
    module_files_sha256,
    plugin_files_sha256,
    plugin_provenance,
    weights_sha256,
)
from benchsuite.results.record import read_record
from tests.results.record_factory import make_record, write


def _direct_weights_hash(state: dict) -> str:
    digest = hashlib.sha256()
    for name in sorted(state):
        t = state[name].contiguous()
        digest.update(f"{name}\0{t.dtype}\0{','.join(map(str, t.shape))}\0".encode())
        digest.update(t.numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def _state() -> dict:
    return {"b.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3), "a.bias": torch.ones(2)}


def test_weights_hash_matches_a_direct_computation():
    assert weights_sha256(_state()) == _direct_weights_hash(_state())


def test_weights_hash_ignores_key_order_pickling_and_non_tensors(tmp_path):
    state = _state()
    reordered = {"a.bias": state["a.bias"], "b.weight": state["b.weight"], "step": 3}
    torch.save({"state_dict": state, "epoch": 1}, tmp_path / "one.ckpt")
    torch.save({"state_dict": reordered, "epoch": 7, "other": "x"}, tmp_path / "two.ckpt")
    expected = weights_sha256(state)
    assert weights_sha256(reordered) == expected
    assert weights_sha256(tmp_path / "one.ckpt") == expected == weights_sha256(tmp_path / "two.ckpt")


def test_weights_hash_changes_with_one_value_dtype_shape_or_name():
    base = weights_sha256(_state())
    changed = _state()
    changed["a.bias"][0] = 1.0000001
    assert weights_sha256(changed) != base
    assert weights_sha256({**_state(), "a.bias": torch.ones(2, dtype=torch.float64)}) != base
    assert weights_sha256({**_state(), "b.weight": torch.arange(6, dtype=torch.float32)}) != base
    renamed = _state()
    renamed["c.bias"] = renamed.pop("a.bias")
    assert weights_sha256(renamed) != base


def test_weights_hash_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(InputFileError) as info:
        weights_sha256(tmp_path / "nope.ckpt")
    assert info.value.source == str(tmp_path / "nope.ckpt") and "checkpoint not found" in str(info.value)


def test_plugin_files_hash_matches_a_direct_computation():
    dist = importlib.metadata.distribution("typer")
    entries = []
    for item in dist.files or []:
        rel = str(item)
        name = rel.split("/")[-1]
        if "__pycache__" in rel.split("/") or rel.endswith(".pyc") or name == "RECORD":
            continue
        if name == "direct_url.json" or name.startswith("__editable__"):  # where, not what
            continue
        path = Path(str(item.locate()))
        entries.append((rel, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"))
    digest = hashlib.sha256()
    for rel, h in sorted(entries):
        digest.update(f"{rel}\0{h}\n".encode())
    assert plugin_files_sha256("typer") == "sha256:" + digest.hexdigest()
    assert plugin_files_sha256("typer") == plugin_files_sha256("typer")  # stable


def test_plugin_files_hash_of_a_missing_distribution_is_a_plugin_error():
    with pytest.raises(PluginError) as info:
        plugin_files_sha256("no-such-distribution-xyz")
    assert "not installed" in str(info.value) and info.value.hint


def test_module_files_hash_changes_when_a_file_changes(tmp_path):
    source = tmp_path / "plugin.py"
    source.write_text("X = 1\n")
    first = module_files_sha256([source])
    file_hash = hashlib.sha256(b"X = 1\n").hexdigest()
    expected = hashlib.sha256(f"plugin.py\0{file_hash}\n".encode())
    assert first == "sha256:" + expected.hexdigest()
    assert module_files_sha256([source]) == first
    source.write_text("X = 2\n")
    assert module_files_sha256([source]) != first


def _build(task: TaskSpec, **hparams):  # pragma: no cover - never built here
    raise AssertionError


def test_direct_plugin_is_hashed_by_the_source_of_its_build_function():
    spec = ModelSpec(name="toy", build=_build, tasks={"quantitative"}, description="toy")
    registered = RegisteredModel(spec=spec, plugin="ToyPlugin", distribution="<direct>", version="")
    info = plugin_provenance(registered)
    assert info == {
        "name": "ToyPlugin",
        "distribution": "<direct>",
        "version": "",
        "files_sha256": module_files_sha256([Path(__file__)]),
    }
    full = build_provenance(registered, checkpoint=None, bundle="/b")
    assert full == {"plugin": info, "weights_sha256": None, "bundle": "/b", "trained_by_suite": True}


def test_records_without_provenance_stay_valid_and_with_it_are_checksummed(tmp_path):
    old = write(tmp_path / "old", make_record("cnn"))
    assert "provenance" not in read_record(old)
    record = make_record("cnn")
    record_with = {
        **record,
        "provenance": build_provenance(
            RegisteredModel(
                spec=ModelSpec(name="toy", build=_build, tasks={"quantitative"}, description="toy"),
                plugin="ToyPlugin",
                distribution="<direct>",
                version="",
            ),
            checkpoint=None,
        ),
    }
    from tests.results.record_factory import reseal

    path = write(tmp_path / "new", reseal(record_with))
    assert read_record(path)["provenance"]["plugin"]["name"] == "ToyPlugin"
    assert reseal(record_with)["checksum"] != record["checksum"]  # provenance is part of the checksum


def _fake_editable(root: Path) -> Path:
    """An editable-style distribution 'toy-plugin-xyz' on ``root`` whose file list has no sources."""
    info = root / "toy_plugin_xyz-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin-xyz\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("toy_plugin_xyz\n")
    (info / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {"editable": true}}')
    (info / "RECORD").write_text("toy_plugin_xyz-1.0.dist-info/METADATA,,\n")
    package = root / "toy_plugin_xyz"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("WIDTH = 8\n")
    return package


def test_editable_install_hashes_its_package_sources(tmp_path, monkeypatch):
    package = _fake_editable(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    first = plugin_files_sha256("toy-plugin-xyz")
    assert plugin_files_sha256("toy-plugin-xyz") == first
    (package / "models.py").write_text("WIDTH = 16\n")
    assert plugin_files_sha256("toy-plugin-xyz") != first


def test_editable_hash_does_not_depend_on_the_checkout_path(tmp_path, monkeypatch):
    """Two checkouts of the same plugin code: their editable hooks and direct_url.json name
    different paths, the hash is the same (a record made in one checkout verifies in another)."""
    package = _fake_editable(tmp_path)
    info = tmp_path / "toy_plugin_xyz-1.0.dist-info"
    hook = tmp_path / "__editable___toy_plugin_xyz_1_0_finder.py"
    (info / "RECORD").write_text(
        "toy_plugin_xyz-1.0.dist-info/METADATA,,\n__editable___toy_plugin_xyz_1_0_finder.py,,\n"
        "toy_plugin_xyz-1.0.dist-info/direct_url.json,,\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    hashes = []
    for checkout in ("/home/a/benchsuite", "/scratch/b/clone"):
        hook.write_text(f"MAPPING = {{'toy_plugin_xyz': '{checkout}/toy_plugin_xyz'}}\n")
        (info / "direct_url.json").write_text(
            f'{{"url": "file://{checkout}", "dir_info": {{"editable": true}}}}'
        )
        hashes.append(plugin_files_sha256("toy-plugin-xyz"))
    assert hashes[0] == hashes[1]
    (package / "models.py").write_text("WIDTH = 32\n")  # the code itself still counts
    assert plugin_files_sha256("toy-plugin-xyz") != hashes[0]
