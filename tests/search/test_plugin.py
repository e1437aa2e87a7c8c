"""The benchsuite-search plugin registers documents as models, and `run` trains them."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from rich.console import Console

from benchsuite.errors import InputFileError
from benchsuite.plugins import load_plugins

ROOT = Path(__file__).resolve().parents[2]
try:
    import benchsuite_search  # noqa: F401
except ImportError:  # pragma: no cover - the plugin is not installed: use its source
    sys.path.insert(0, str(ROOT / "plugins" / "benchsuite-search"))

from benchsuite_search import plugin  # noqa: E402


@pytest.fixture
def search_folder(tmp_path, monkeypatch, real_search) -> Path:
    """``$BENCHSUITE_SEARCH_DIR`` holding the document of the real smoke search."""
    out, result, _ = real_search
    folder = tmp_path / "searched"
    folder.mkdir()
    shutil.copy(out / "best.arch.json", folder / f"{result.document.name}.arch.json")
    monkeypatch.setenv(plugin.SEARCH_DIR_ENV, str(folder))
    return folder


def test_search_dir_defaults_to_searched(monkeypatch):
    monkeypatch.delenv(plugin.SEARCH_DIR_ENV, raising=False)
    assert plugin.search_dir() == Path("searched")
    monkeypatch.setenv(plugin.SEARCH_DIR_ENV, "/x/y")
    assert plugin.search_dir() == Path("/x/y")


def test_a_missing_or_empty_folder_registers_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(plugin.SEARCH_DIR_ENV, str(tmp_path / "absent"))
    registry = load_plugins(allow=(), extra=[plugin])
    assert registry.errors == [] and list(registry.models) == []
    assert plugin.document_specs(tmp_path) == []


def test_the_plugin_registers_the_searched_document(search_folder, real_search):
    _, result, _ = real_search
    name = result.document.name
    registry = load_plugins(allow=(), extra=[plugin])
    assert registry.errors == []
    assert list(registry.models) == [name]
    spec = registry.models[name].spec
    assert spec.tasks == {"binary"} and spec.first_layer_activation == "stem.act"
    assert spec.hparams("default")["search"]["architect"] == "random"
    assert spec.hparams("smoke")["architecture"] == result.document.architecture.to_dict()


def test_two_copies_of_a_document_register_it_once(search_folder):
    (doc,) = search_folder.glob("*.arch.json")
    shutil.copy(doc, search_folder / "copy.arch.json")
    assert len(plugin.document_specs(search_folder)) == 1


def test_a_bad_document_fails_the_plugin_naming_the_file(search_folder):
    bad = search_folder / "broken.arch.json"
    bad.write_text(json.dumps({"format": "benchsuite-architecture", "version": 9}), encoding="utf-8")
    with pytest.raises(InputFileError, match="version 9 is not supported") as info:
        plugin.document_specs(search_folder)
    assert info.value.source == str(bad)
    registry = load_plugins(allow=(), extra=[plugin])
    assert list(registry.models) == []
    assert len(registry.errors) == 1 and str(bad) in str(registry.errors[0])


def test_run_trains_the_searched_model_and_its_record_names_the_search(
    search_folder, real_search, search_bundle, search_cache, tmp_path
):
    from benchsuite.run.runner import RunOptions, run_benchmark

    _, result, _ = real_search
    name = result.document.name
    registry = load_plugins(allow=(), extra=[plugin])
    options = RunOptions(
        models=(name,),
        profile="smoke",
        bundle=search_bundle,
        out=tmp_path / "runs",
        wandb="disabled",
        accelerator="cpu",
        cagi5=False,
        motifs=False,
        ceilings=False,
        cache_dir=search_cache,
        progress=False,
        max_epochs=1,
    )
    console = Console(file=io.StringIO(), width=200)
    summary = run_benchmark(options, registry=registry, console=console)
    (outcome,) = [o for o in summary.outcomes if o.kind == "model"]
    assert outcome.status == "trained", outcome.error
    record = json.loads(Path(outcome.record).read_text())
    assert record["model"]["name"] == name and record["task"] == "binary"
    search = record["hyperparameters"]["build"]["search"]
    assert search["architect"] == "random" and search["candidates"] == 2 and search["steps"] == 2
    assert search["space"] == "amber-like" and search["seed"] == 0
    assert search["bundle_fingerprint"] == result.document.bundle["fingerprint"]
