"""The (model, task) matrix: selection and sharding."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from benchsuite.data.manifest import load_manifest
from benchsuite.errors import ConfigError
from benchsuite.run.matrix import (
    Cell,
    applicable_cells,
    build_matrix,
    parse_shard,
    shard_cells,
    unsupported_tasks,
)
from tests.data.conftest import make_tiny_bundle

from .conftest import by_cell, run_and_print, run_options


def _models(**tasks: set[str]) -> dict[str, SimpleNamespace]:
    return {name: SimpleNamespace(spec=SimpleNamespace(tasks=frozenset(t))) for name, t in tasks.items()}


MODELS = _models(
    zeta={"binary", "quantitative"},
    alpha={"quantitative"},
    basset={"binary"},
    mid={"binary", "quantitative"},
    **{"cnn-32": {"quantitative", "binary"}},
)


def test_all_is_every_model_times_its_tasks_sorted():
    cells = build_matrix(MODELS, all_models=True)
    expected = sorted(Cell(name, t) for name, m in MODELS.items() for t in m.spec.tasks)
    assert cells == expected
    assert len(cells) == 8
    assert cells[0] == Cell("alpha", "quantitative")
    assert cells[1] == Cell("basset", "binary")
    # deterministic regardless of registry order
    assert build_matrix(dict(reversed(list(MODELS.items()))), all_models=True) == cells


def test_model_and_task_filters():
    assert build_matrix(MODELS, names=["zeta", "alpha"]) == [
        Cell("alpha", "quantitative"),
        Cell("zeta", "binary"),
        Cell("zeta", "quantitative"),
    ]
    assert build_matrix(MODELS, names=["zeta", "zeta"], task="binary") == [Cell("zeta", "binary")]
    binary = build_matrix(MODELS, all_models=True, task="binary")
    assert [c.model for c in binary] == ["basset", "cnn-32", "mid", "zeta"]
    assert all(c.task == "binary" for c in binary)


@pytest.mark.parametrize(
    ("kwargs", "source", "message"),
    [
        ({}, "--all/--model", "no models selected"),
        ({"all_models": True, "names": ["alpha"]}, "--all/--model", "mutually exclusive"),
        ({"names": ["nope"]}, "--model", "unknown model"),
        ({"all_models": True, "task": "regression"}, "--task", "unknown task"),
        ({"names": ["alpha"], "task": "binary"}, "--task", "holds no"),
    ],
)
def test_selection_errors(kwargs, source, message):
    with pytest.raises(ConfigError, match=message) as info:
        build_matrix(MODELS, **kwargs)
    assert info.value.source == source
    assert info.value.hint


def test_unknown_model_hint_lists_registered():
    with pytest.raises(ConfigError) as info:
        build_matrix(MODELS, names=["nope"])
    assert "alpha" in info.value.hint and "zeta" in info.value.hint


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 11])
def test_shards_partition_the_matrix(n):
    cells = build_matrix(MODELS, all_models=True)
    shards = [shard_cells(cells, k, n) for k in range(1, n + 1)]
    flat = [c for shard in shards for c in shard]
    assert len(flat) == len(cells)  # no cell twice
    assert set(flat) == set(cells)  # none missing
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1  # balanced
    # shard k holds exactly the cells at index k-1 mod n
    for k, shard in enumerate(shards, start=1):
        assert shard == [c for i, c in enumerate(cells) if i % n == k - 1]


def test_parse_shard():
    assert parse_shard("1/1") == (1, 1)
    assert parse_shard(" 3 / 8 ") == (3, 8)
    for bad in ["0/4", "5/4", "1/0", "a/b", "2", "", "-1/3", "1/2/3"]:
        with pytest.raises(ConfigError) as info:
            parse_shard(bad)
        assert info.value.source == "--shard"
    with pytest.raises(ConfigError, match="out of range"):
        shard_cells([Cell("a", "binary")], 3, 2)


def test_all_with_empty_registry_says_install_a_plugin():
    with pytest.raises(ConfigError, match="no model is registered") as info:
        build_matrix({}, all_models=True)
    assert info.value.source == "--all" and "pip install" in info.value.hint


# --------------------------------------------------------------------------- bundles without a task


def _manifest(coverage: bool, labels: bool) -> SimpleNamespace:
    target = SimpleNamespace(name="A")
    return SimpleNamespace(
        name="b",
        coverage_targets=(target,) if coverage else (),
        label_targets=(target,) if labels else (),
    )


def test_unsupported_tasks_name_the_missing_files():
    assert unsupported_tasks(_manifest(True, True)) == {}
    assert unsupported_tasks(_manifest(True, False)) == {
        "binary": "bundle 'b' has no peak files (no target has `peaks:`), so there are no binary labels"
    }
    assert unsupported_tasks(_manifest(False, True)) == {
        "quantitative": "bundle 'b' has no coverage tracks (every target is label-only: no `track:`), "
        "so there is no quantitative target"
    }


def test_applicable_cells_keeps_order_and_sets_the_rest_aside():
    cells = build_matrix(MODELS, all_models=True)
    kept, skipped = applicable_cells(cells, _manifest(True, False))
    assert kept == [c for c in cells if c.task == "quantitative"]
    assert [c for c, _ in skipped] == [c for c in cells if c.task == "binary"]
    assert all("no peak files" in reason for _, reason in skipped)
    assert applicable_cells(cells, _manifest(True, True)) == (cells, [])


def _drop(bundle, key: str) -> None:
    data = bundle.manifest_data()
    for target in data["targets"]:
        target.pop(key)
        if key == "track":
            target.pop("replicate2")
    bundle.write_manifest_data(data)


def test_run_on_a_quantitative_only_bundle_skips_binary_cells(tmp_path, registry):
    """No peaks: the binary cell is not applicable (exit 0), robustness runs on coverage only."""
    bundle = make_tiny_bundle(tmp_path / "bundle")
    _drop(bundle, "peaks")
    options = run_options(bundle.root, tmp_path / "runs", tmp_path / "cache", models=("fake-conv",))
    summary, text = run_and_print(options, registry)
    outcomes = by_cell(summary)
    assert summary.exit_code == 0
    assert outcomes["fake-conv", "binary"].status == "not-applicable"
    assert outcomes["fake-conv", "binary"].error == (
        "bundle 'tiny' has no peak files (no target has `peaks:`), so there are no binary labels"
    )
    assert "not applicable fake-conv/binary: bundle 'tiny' has no peak files" in text
    assert "num_targets" not in text
    quant = outcomes["fake-conv", "quantitative"]
    assert quant.status == "trained"
    record = json.loads(quant.record.read_text())
    assert "robustness.variation" in record["metrics"]
    assert "robustness.variation" not in record.get("not_applicable", {})
    assert record["tables"]["robustness"]["chunks"].startswith("coverage-threshold (coverage > 2")


def test_run_on_a_bundle_of_peak_files_only_trains_binary_cells(tmp_path, registry):
    """Every target label-only (genome + peaks, no track): the binary cell trains and is scored
    by the families that need no coverage; the quantitative cell is not applicable (exit 0)."""
    from benchsuite.evaluate.families.base import COVERAGE_FAMILIES, NO_COVERAGE_REASON
    from benchsuite.leaderboard.board import build_boards
    from benchsuite.leaderboard.gather import gather_records

    bundle = make_tiny_bundle(tmp_path / "bundle")
    _drop(bundle, "track")
    manifest = load_manifest(bundle.root)
    assert manifest.coverage_targets == () and len(manifest.label_targets) == 2
    options = run_options(bundle.root, tmp_path / "runs", tmp_path / "cache", models=("fake-conv",))
    summary, text = run_and_print(options, registry)
    outcomes = by_cell(summary)
    assert summary.exit_code == 0, text
    assert outcomes["fake-conv", "quantitative"].status == "not-applicable"
    assert "has no coverage tracks (every target is label-only" in outcomes["fake-conv", "quantitative"].error
    binary = outcomes["fake-conv", "binary"]
    assert binary.status == "trained"
    record = json.loads(binary.record.read_text())
    assert record["tables"]["evaluation"]["bundle_kind"] == "peaks"
    assert set(record["metrics"]) >= {"peak.auroc", "peak.aupr", "peak_genome.auroc"}
    assert not [m for m in record["metrics"] if m.split(".")[0] in COVERAGE_FAMILIES + ("wholechrom_common",)]
    for family in (*COVERAGE_FAMILIES, "wholechrom_common"):
        assert record["not_applicable"][family] == NO_COVERAGE_REASON
    assert record["not_applicable"]["peak.pearson"] == NO_COVERAGE_REASON
    (board,) = build_boards(gather_records(records=[binary.record.parent]).records)
    assert board.ranking_metric == "peak.auroc"  # no whole-chromosome metric to rank by
