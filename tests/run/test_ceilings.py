"""Ceilings per bin: one record per (ceiling, bin), resumable, logged to W&B, and what the board shows.

The board's ceiling at 128 bp must equal the harness computed directly at 128 bp
(``oracle_ceiling(..., bin_size=128)``), and replicate 2 at 128 bp must equal replicate 2 binned
to 128 bp and compared with replicate 1 by scipy.
"""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

import numpy as np
import pytest
from rich.console import Console
from scipy import stats

from benchsuite.evaluate.sources import central_offset
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.tables import build_boards
from benchsuite.results.record import read_record
from benchsuite.run.ceilings import ceiling_bins, ceiling_dir, run_ceilings
from benchsuite.run.runner import _prepare
from tests.results.record_factory import make_record, write
from tests.run.conftest import run_options

BINS = [1, 32, 128, 512]  # the smoke geometry: bin_sizes (1, 32, 128), common bin 128, input 512


def test_ceiling_bins_are_every_bin_a_board_model_uses(caplog):
    geometry = SimpleNamespace(bin_sizes=(1, 32, 128), common_bin=128, input_length=512)
    assert ceiling_bins(geometry) == BINS
    odd = SimpleNamespace(bin_sizes=(1, 3, 200), common_bin=200, input_length=1000)
    with caplog.at_level(logging.WARNING):
        assert ceiling_bins(odd) == [1, 200, 1000]
    assert "no ceiling at bin 3" in caplog.text


@pytest.fixture
def ceiling_ctx(tmp_path, smoke_bundle, smoke_cache_dir, registry):
    options = run_options(smoke_bundle, tmp_path / "runs", smoke_cache_dir, ceilings=True)
    console = Console(file=io.StringIO(), width=200)
    return _prepare(options, registry, console)


def test_ceilings_are_written_per_bin_resumed_and_logged(ceiling_ctx, monkeypatch):
    from benchsuite.results import wandb_logging

    started: list[tuple[str, dict]] = []
    original = wandb_logging.WandbRun.start.__func__

    def spy(cls, **kwargs):
        started.append((kwargs["name"], kwargs["config"]))
        return original(cls, **kwargs)

    monkeypatch.setattr(wandb_logging.WandbRun, "start", classmethod(spy))
    outcomes = run_ceilings(ceiling_ctx)
    assert [(o.model, o.status) for o in outcomes] == [
        (f"{name} @ {b} bp", "evaluated") for name in ("oracle", "replicate2") for b in BINS
    ]
    for name in ("oracle", "replicate2"):
        for b in BINS:
            path = ceiling_dir(ceiling_ctx.root, name, b) / "record.json"
            assert path == ceiling_ctx.root / "ceilings" / name / f"bin{b}" / "record.json"
            record = read_record(path)
            assert record["kind"] == "ceiling" and record["model"]["name"] == name
            assert record["hyperparameters"] == {"bin_size": b}
            assert record["tables"]["ceiling"] == {"kind": name, "bin_size": b}
            assert record["tables"]["evaluation"]["bin_size"] == b
    # one W&B run per (ceiling, bin), through the same helper as the model cells
    assert [n for n, _ in started] == [
        f"ceiling/{name}/bin{b}" for name in ("oracle", "replicate2") for b in BINS
    ]
    assert started[2][1] == {"kind": "ceiling", "ceiling": "oracle", "bin_size": 128}
    # resumable: a second run reuses every valid record
    again = run_ceilings(ceiling_ctx)
    assert {o.status for o in again} == {"skipped"}
    # a record of another bin in the folder is stale and redone
    (ceiling_ctx.root / "ceilings" / "oracle" / "bin32" / "record.json").write_bytes(
        (ceiling_ctx.root / "ceilings" / "oracle" / "bin1" / "record.json").read_bytes()
    )
    redo = {o.model: o.status for o in run_ceilings(ceiling_ctx)}
    assert redo["oracle @ 32 bp"] == "evaluated" and redo["oracle @ 1 bp"] == "skipped"


def _rep2_pearson_at(cache, bin_size: int) -> list[float]:
    """Replicate 2 vs replicate 1 over the whole-chromosome test windows at ``bin_size``, by scipy."""
    split = cache.split("wholechrom", "test")
    length = int(cache.geometry.input_length)
    offset = central_offset(split.cov.shape[-1], length)

    def binned(a):
        x = np.asarray(a[:, :, offset : offset + length], dtype=np.float64)
        return x.reshape(*x.shape[:-1], length // bin_size, bin_size).mean(axis=-1)

    rep1, rep2 = binned(split.cov), binned(split.cov_rep2)
    out = []
    for t in range(rep1.shape[1]):
        x, y = rep2[:, t].ravel(), rep1[:, t].ravel()
        keep = np.isfinite(x) & np.isfinite(y)
        out.append(float(stats.pearsonr(x[keep], y[keep])[0]))
    return out


def test_the_board_shows_the_ceiling_at_the_rows_own_bin(ceiling_ctx, tmp_path):
    from benchsuite.evaluate.ceilings import oracle_ceiling

    run_ceilings(ceiling_ctx)
    cache, manifest = ceiling_ctx.cache, ceiling_ctx.manifest
    model = make_record(
        "quant-128",
        bin_size=128,
        fingerprint=cache.fingerprint,
        dataset_name=manifest.name,
        overrides={"wholechrom.pearson": 0.5, "wholechrom_common.pearson": 0.5},
    )
    write(tmp_path / "model", model)
    gathered = gather_records(records=[ceiling_ctx.root, tmp_path / "model"])
    assert not gathered.refused and not gathered.conflicts
    (board,) = build_boards(gathered.records)
    assert [(r.model, r.bin_size) for r in board.reference_rows] == [
        (name, b) for name in ("oracle", "replicate2") for b in BINS
    ]
    row = board.rows[0]
    direct = oracle_ceiling(manifest.truth, cache, manifest, bin_size=128, options=ceiling_ctx.eval_options)
    name, shown = board.own_bin_ceiling(row, "wholechrom.pearson")
    assert name == "oracle"
    assert shown == pytest.approx(direct.mean("wholechrom.pearson"), abs=1e-12)
    assert board.oracle_common() == pytest.approx(direct.mean("wholechrom_common.pearson"), abs=1e-12)
    assert board.pct_of_own_oracle(row) == pytest.approx(100 * 0.5 / direct.mean("wholechrom.pearson"))
    # replicate 2 at 128 bp, straight from the cache arrays
    rep2 = board.ceiling_row("replicate2", 128)
    expected = _rep2_pearson_at(cache, 128)
    per_target = rep2.per_target["wholechrom.pearson"]
    assert [per_target[t] for t in cache.target_names] == pytest.approx(expected, abs=1e-6)
    assert rep2.value("wholechrom.pearson") == pytest.approx(float(np.mean(expected)), abs=1e-6)
