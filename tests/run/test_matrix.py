"""The (model, task) matrix: selection and sharding."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchsuite.errors import ConfigError
from benchsuite.run.matrix import Cell, build_matrix, parse_shard, shard_cells


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
