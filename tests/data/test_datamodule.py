"""DataModules: batches equal direct pyfaidx/pyBigWig reads, task specs, loaders, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
from benchsuite.errors import ConfigError, DatasetError

from .conftest import GEOMETRY, TARGETS, Direct, TinyBundle, make_dm, onehot_of, seq_text

C, L = GEOMETRY["chunk_length"], GEOMETRY["input_length"]


@pytest.mark.parametrize("split", ["valid", "test"])
def test_eval_batches_equal_direct_reads_central_window(
    tiny_bundle_template, cache_dir, direct: Direct, split: str
) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir, batch_size=16)
    loader = dm.val_dataloader() if split == "valid" else dm.test_dataloader()
    arrays = dm.cache.split("quantitative", split)
    offset = (C - L) // 2
    seen = 0
    for x, y in loader:
        assert x.dtype == torch.float32 and y.dtype == torch.float32
        assert x.shape[1:] == (4, L) and y.shape[1:] == (len(TARGETS), L)
        for k in range(x.shape[0]):
            chrom = arrays.chroms[int(arrays.coords[seen + k, 0])]
            start = int(arrays.coords[seen + k, 1]) + offset
            np.testing.assert_array_equal(x[k].numpy(), onehot_of(seq_text(direct, chrom, start, start + L)))
            np.testing.assert_array_equal(
                y[k].numpy(), direct.cov(chrom, start, start + L).astype(np.float32)
            )
        seen += x.shape[0]
    assert seen == len(arrays)


def test_binary_datamodule(tiny_bundle_template, cache_dir, direct: Direct) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir, cls=BinaryDataModule, batch_size=8)
    spec = dm.task_spec()
    assert (spec.kind, spec.input_length, spec.num_targets, spec.target_names) == ("binary", L, 2, TARGETS)
    arrays = dm.cache.split("binary", "test")
    x, y = next(iter(dm.test_dataloader()))
    assert x.shape == (8, 4, L) and y.shape == (8, len(TARGETS)) and y.dtype == torch.float32
    np.testing.assert_array_equal(y.numpy(), np.asarray(arrays.labels[:8], dtype=np.float32))
    for k in range(8):
        chrom, start = arrays.chroms[int(arrays.coords[k, 0])], int(arrays.coords[k, 1]) + (C - L) // 2
        np.testing.assert_array_equal(x[k].numpy(), onehot_of(seq_text(direct, chrom, start, start + L)))
        assert y[k].tolist() == [direct.label(t, chrom, start, start + L) for t in TARGETS]
    # labels are unchanged by augmentation
    train = dm.dataset("train")
    xa, ya = train.__getitems__(list(range(len(train))))
    np.testing.assert_array_equal(
        ya.numpy(), np.asarray(dm.cache.split("binary", "train").labels, dtype=np.float32)
    )
    assert xa.shape == (len(train), 4, L)


def test_quantitative_task_spec_and_shapes(tiny_bundle_template, cache_dir) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir, bin_size=10, batch_size=5, input_length=100)
    spec = dm.task_spec()
    assert (spec.kind, spec.input_length, spec.bin_size, spec.num_targets) == ("quantitative", 100, 10, 2)
    assert dm.num_targets == 2 and dm.target_names == TARGETS
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (5, 4, 100) and y.shape == spec.output_shape(5) == (5, 2, 10)
    # one-hot: every column sums to 1 (no N in kept chunks)
    assert torch.all(x.sum(dim=1) == 1)


def test_training_loader_reproducible_and_workers(tiny_bundle_template, cache_dir) -> None:
    def epoch(num_workers: int) -> list[torch.Tensor]:
        dm = make_dm(tiny_bundle_template, cache_dir, batch_size=32, num_workers=num_workers, seed=3)
        return [torch.cat([x.flatten(), y.flatten()]) for x, y in dm.train_dataloader()]

    a, b = epoch(0), epoch(0)
    assert len(a) == len(b) and all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    c = epoch(2)  # lazily opened memory maps in worker processes give the same batches
    assert len(a) == len(c) and all(torch.equal(p, q) for p, q in zip(a, c, strict=True))


def test_bad_datamodule_arguments(tiny_bundle_template, cache_dir) -> None:
    with pytest.raises(ConfigError, match="bin size 7"):
        QuantitativeDataModule(tiny_bundle_template.root, cache_dir=cache_dir, bin_size=7)
    with pytest.raises(ConfigError, match="input_length"):
        QuantitativeDataModule(tiny_bundle_template.root, cache_dir=cache_dir, input_length=C + 1)


def test_binary_datamodule_without_peaks(tiny_bundle: TinyBundle, tmp_path) -> None:
    data = tiny_bundle.manifest_data()
    for target in data["targets"]:
        del target["peaks"]
    tiny_bundle.write_manifest_data(data)
    dm = BinaryDataModule(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    dm.prepare_data()
    with pytest.raises(DatasetError, match="peaks"):
        dm.setup("fit")
