"""The dataset cache of a sequence-set bundle and the DataModules over it."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
from benchsuite.data.prepare import prepare_dataset
from benchsuite.data.seqset_build import NO_VALUES_REASON
from benchsuite.errors import DatasetError
from tests.data.test_seqset import write_bundle


def test_cache_layout_and_arrays(tmp_path):
    cache = prepare_dataset(write_bundle(tmp_path / "b"), cache_dir=tmp_path / "c", progress=False)
    assert cache.bundle_kind == "sequences"
    assert cache.target_names == ("bound",) and cache.label_target_names == ("bound",)
    assert cache.meta["kinds"]["wholechrom"] is None
    assert "no genome coordinates" in cache.meta["unavailable"]["wholechrom"]
    for kind in ("binary", "quantitative"):
        test = cache.split(kind, "test")
        assert test.seq.shape == (1, 8)
        assert test.seq[0].tolist() == [2, 2, 1, 1, 1, 1, 0, 0]  # GGGGCCCCAATT cropped: offset 2
        assert test.cov.shape == (1, 1, 8) and np.all(np.asarray(test.cov) == 7.0)
        assert test.labels is not None and test.labels.tolist() == [[1]]
        assert test.coords.tolist() == [[2, 0]]  # row index of the sequence in the file
    assert cache.meta["chroms"] == ["s0", "s1", "s2"]
    assert cache.meta["kinds"]["binary"]["valid"]["padded"] == 1
    assert cache.meta["kinds"]["binary"]["train"]["cropped"] == 1
    assert cache.meta["kinds"]["binary"]["test"]["positives"] == {"bound": 1}


def test_cache_is_reused_and_the_fingerprint_follows_the_content(tmp_path):
    root = write_bundle(tmp_path / "b")
    first = prepare_dataset(root, cache_dir=tmp_path / "c", progress=False)
    again = prepare_dataset(root, cache_dir=tmp_path / "c", progress=False)
    assert again.reused and again.fingerprint == first.fingerprint
    moved = prepare_dataset(write_bundle(tmp_path / "elsewhere"), cache_dir=tmp_path / "c", progress=False)
    assert moved.fingerprint == first.fingerprint  # where the bundle lives does not matter
    longer = prepare_dataset(
        write_bundle(tmp_path / "l", length=10), cache_dir=tmp_path / "c", progress=False
    )
    assert longer.fingerprint != first.fingerprint


def test_labels_only_has_no_quantitative_dataset(tmp_path):
    root = write_bundle(tmp_path / "b")
    text = (root / "manifest.yaml").read_text()
    (root / "manifest.yaml").write_text("\n".join(x for x in text.splitlines() if not x.startswith("values")))
    cache = prepare_dataset(root, cache_dir=tmp_path / "c", progress=False)
    assert cache.target_names == () and cache.label_target_names == ("bound",)
    assert cache.split("binary", "train").cov.shape == (1, 0, 8)
    with pytest.raises(DatasetError) as err:
        cache.split("quantitative", "test")
    assert NO_VALUES_REASON in str(err.value)


def test_binary_datamodule_batches(tmp_path):
    dm = BinaryDataModule(
        write_bundle(tmp_path / "b"), cache_dir=tmp_path / "c", batch_size=4, progress=False
    )
    dm.setup("fit")
    x, y = next(iter(dm.val_dataloader()))
    assert tuple(x.shape) == (1, 4, 8) and y.tolist() == [[0.0]]
    assert x[0, :, 0].tolist() == [0.0, 0.0, 0.0, 0.0]  # the N padding is an all-zero column
    spec = dm.task_spec()
    assert (spec.kind, spec.input_length, spec.num_targets, spec.target_names) == ("binary", 8, 1, ("bound",))


def test_quantitative_datamodule_one_value_per_sequence(tmp_path):
    dm = QuantitativeDataModule(
        write_bundle(tmp_path / "b"), cache_dir=tmp_path / "c", bin_size=4, batch_size=4, progress=False
    )
    dm.setup("test")
    x, y = next(iter(dm.test_dataloader()))
    assert tuple(x.shape) == (1, 4, 8) and y.tolist() == [[[7.0, 7.0]]]
