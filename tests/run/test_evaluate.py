"""``benchsuite evaluate`` in code: re-evaluating a trained cell's checkpoint into a record."""

from __future__ import annotations

import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.run.cells import cell_dir
from benchsuite.run.evaluate import evaluate_checkpoint_to_record

torch.set_num_threads(1)


def test_in_place_evaluation_on_another_dataset_is_refused(finished_run, registry, tmp_path):
    """`benchsuite evaluate` without --out never puts another dataset's record into a cell."""
    options, summary, _ = finished_run
    cell = cell_dir(summary.root, "fake-conv", "quantitative", 0)
    before = (cell / "record.json").read_bytes()
    ckpt = torch.load(cell / "checkpoint.ckpt", map_location="cpu", weights_only=True)
    ckpt["hyper_parameters"]["extra"]["dataset_fingerprint"] = "0" * 64  # "trained elsewhere"
    other = tmp_path / "other.ckpt"
    torch.save(ckpt, other)
    (tmp_path / "record.json").write_bytes(before)
    with pytest.raises(ConfigError) as info:
        evaluate_checkpoint_to_record(
            other,
            bundle=options.bundle,
            cache_dir=options.cache_dir,
            registry=registry,
            cagi5=False,
            motifs=False,
            progress=False,
        )
    assert info.value.source == "--out" and "000000000000" in str(info.value)
    assert (tmp_path / "record.json").read_bytes() == before
    assert not (tmp_path / "record.previous.json").exists()
    # with --out the record of the other dataset is written there
    record, path = evaluate_checkpoint_to_record(
        other,
        bundle=options.bundle,
        out=tmp_path / "elsewhere",
        cache_dir=options.cache_dir,
        registry=registry,
        cagi5=False,
        motifs=False,
        progress=False,
    )
    assert path == tmp_path / "elsewhere" / "record.json" and path.is_file()
    assert record["metrics"]["wholechrom.pearson"]["mean"] is not None
