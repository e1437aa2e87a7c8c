"""``benchsuite export``: an exported smoke cell scores, evaluate-only, the numbers of its record."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
import torch

from benchsuite.adapt.export import export_cell
from benchsuite.adapt.pretrained import evaluate_pretrained, pretrained_record
from benchsuite.results.record import validate_record
from tests.adapt.conftest import SMALL, registry_of
from tests.run.conftest import run_options

from .conftest import exit_code

torch.set_num_threads(1)


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trained_cell(tmp_path_factory, smoke_bundle, smoke_cache_dir):
    """small-conv / quantitative trained for one epoch on the smoke bundle: (cell, options, registry)."""
    from benchsuite.run.runner import run_benchmark

    registry = registry_of(SMALL)
    out = tmp_path_factory.mktemp("export-run")
    options = run_options(
        smoke_bundle, out / "runs", smoke_cache_dir, models=("small-conv",), task="quantitative"
    )
    summary = run_benchmark(options, registry=registry)
    (outcome,) = [o for o in summary.outcomes if o.kind == "model"]
    assert outcome.status == "trained", outcome.error
    return outcome.record.parent, options, registry


def test_exported_cell_scores_the_numbers_of_its_record(trained_cell, tmp_path):
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.results.record import read_record
    from benchsuite.run.scoring import eval_options_for

    cell, options, registry = trained_cell
    module_path = export_cell(cell, tmp_path / "pkg", name="small-conv.smoke", registry=registry)
    spec_json = json.loads((module_path.parent / "spec.json").read_text(encoding="utf-8"))
    source = read_record(cell / "record.json")
    assert spec_json["build"] == "tests.adapt.conftest:build_small"
    assert spec_json["build_hparams"] == {"channels": 6}
    assert (spec_json["input_length"], spec_json["bin_size"]) == (512, 32)
    assert spec_json["output_tracks"] == ["celltype_A", "celltype_B", "celltype_C"]
    assert spec_json["source"]["dataset"]["fingerprint"] == source["dataset"]["fingerprint"]
    assert spec_json["source"]["checkpoint_weights_sha256"] == source["provenance"]["weights_sha256"]
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((tmp_path / "pkg" / "pyproject.toml").read_text(encoding="utf-8"))
    entry_points = pyproject["project"]["entry-points"]["benchsuite"]
    assert entry_points == {"small-conv.smoke": "bs_export_small_conv_smoke.plugin"}
    assert pyproject["tool"]["setuptools"]["package-data"] == {
        "bs_export_small_conv_smoke": ["spec.json", "weights.pt"]
    }

    plugin = _import(module_path, "bs_export_small_conv_smoke.plugin")
    exported = registry_of(*plugin.SPECS).get("small-conv.smoke")
    assert exported.spec.evaluate_only
    manifest = load_manifest(options.bundle)
    cache = prepare_dataset(manifest, cache_dir=options.cache_dir, progress=False)
    result, info = evaluate_pretrained(
        exported, "quantitative", cache, manifest, options=eval_options_for(options, device="cpu")
    )
    record = pretrained_record(
        registered=exported,
        task="quantitative",
        manifest=manifest,
        cache=cache,
        profile="smoke",
        result=result,
        info=info,
    )
    validate_record(record)
    assert record["metrics"] == source["metrics"]  # identical numbers, every metric and target
    assert record["provenance"]["weights_sha256"] == spec_json["weights_sha256"]
    assert record["provenance"]["trained_by_suite"] is False
    assert record["provenance"]["adaptation"] == {
        "row_kind": "pretrained",
        "input": "same",
        "targets": "identity",
    }


def test_export_of_a_folder_without_checkpoint_fails_clearly(tmp_path, capsys):
    assert exit_code(["export", str(tmp_path), "--out", str(tmp_path / "pkg")]) == 2
    assert "no checkpoint.ckpt in the cell" in capsys.readouterr().err


def test_export_refuses_a_non_empty_folder_and_a_bad_name(trained_cell, tmp_path):
    from benchsuite.errors import ConfigError

    cell, _, registry = trained_cell
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="the output folder is not empty"):
        export_cell(cell, tmp_path / "full", registry=registry)
    with pytest.raises(ConfigError, match="invalid model name 'Bad Name'"):
        export_cell(cell, tmp_path / "new", name="Bad Name", registry=registry)


def test_export_default_name_is_model_and_fingerprint(trained_cell, tmp_path):
    cell, _, registry = trained_cell
    module_path = export_cell(cell, tmp_path / "pkg", registry=registry)
    spec = json.loads((module_path.parent / "spec.json").read_text(encoding="utf-8"))
    assert spec["name"] == "small-conv." + spec["source"]["dataset"]["fingerprint"][:8]
    assert spec["api_version"] == "1.1" and spec["task"] == "quantitative"
