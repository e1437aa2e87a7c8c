"""ChunkDataset: binning, random shift and reverse complement against direct reads; bin_mean."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchsuite.data.augment import ChunkDataset, bin_mean

from .conftest import GEOMETRY, TARGETS, Direct, make_dm, onehot_of, seq_text, window_mean

C, L = GEOMETRY["chunk_length"], GEOMETRY["input_length"]
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def test_binning_is_mean_over_non_overlapping_bins(tiny_bundle_template, cache_dir, direct: Direct) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir, batch_size=8, bin_size=50)
    assert dm.task_spec().num_bins == L // 50
    x, y = next(iter(dm.val_dataloader()))
    arrays = dm.cache.split("quantitative", "valid")
    assert y.shape == (8, len(TARGETS), L // 50)
    for k in range(8):
        chrom, start = arrays.chroms[int(arrays.coords[k, 0])], int(arrays.coords[k, 1]) + (C - L) // 2
        expected = window_mean(direct.cov(chrom, start, start + L), 50)
        np.testing.assert_allclose(y[k].numpy(), expected, rtol=1e-6, atol=1e-6)


def test_random_shift_moves_sequence_and_targets_alike(
    tiny_bundle_template, cache_dir, direct: Direct
) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir, batch_size=32, random_shift=True, reverse_complement=False)
    dataset = dm.dataset("train")
    arrays = dm.cache.split("quantitative", "train")
    indices = list(range(32))
    x, y = dataset.__getitems__(indices)
    offsets = []
    for k, i in enumerate(indices):
        chrom, start = arrays.chroms[int(arrays.coords[i, 0])], int(arrays.coords[i, 1])
        chunk = onehot_of(seq_text(direct, chrom, start, start + C))
        matches = [o for o in range(C - L + 1) if np.array_equal(chunk[:, o : o + L], x[k].numpy())]
        assert len(matches) == 1, "window not found (or ambiguous) in its chunk"
        o = matches[0]
        offsets.append(o)
        np.testing.assert_array_equal(
            y[k].numpy(), direct.cov(chrom, start + o, start + o + L).astype(np.float32)
        )
    assert len(set(offsets)) > 10  # shifts vary ...
    assert min(offsets) >= 0 and max(offsets) <= C - L  # ... inside the chunk
    # reproducible: same seed and indices give the same batch; another seed does not
    x2, _ = dataset.__getitems__(indices)
    assert torch.equal(x, x2)
    other = ChunkDataset(dm.cache, "quantitative", "train", random_shift=True, seed=1)
    assert not torch.equal(other.__getitems__(indices)[0], x)


def test_forced_reverse_complement(tiny_bundle_template, cache_dir, direct: Direct) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir)
    dataset = ChunkDataset(dm.cache, "quantitative", "test", force_reverse_complement=True)
    arrays = dm.cache.split("quantitative", "test")
    x, y = dataset.__getitems__(list(range(6)))
    for k in range(6):
        chrom, start = arrays.chroms[int(arrays.coords[k, 0])], int(arrays.coords[k, 1]) + (C - L) // 2
        rc = seq_text(direct, chrom, start, start + L).translate(_COMPLEMENT)[::-1]
        np.testing.assert_array_equal(x[k].numpy(), onehot_of(rc))
        np.testing.assert_array_equal(
            y[k].numpy(), direct.cov(chrom, start, start + L)[:, ::-1].astype(np.float32)
        )


def test_random_reverse_complement_flips_about_half(tiny_bundle_template, cache_dir, direct: Direct) -> None:
    dm = make_dm(tiny_bundle_template, cache_dir, random_shift=False, reverse_complement=True)
    dataset = dm.dataset("train")
    arrays = dm.cache.split("quantitative", "train")
    indices = list(range(len(arrays)))
    x, y = dataset.__getitems__(indices)
    flipped = 0
    for k in indices:
        chrom, start = arrays.chroms[int(arrays.coords[k, 0])], int(arrays.coords[k, 1]) + (C - L) // 2
        text = seq_text(direct, chrom, start, start + L)
        cov = direct.cov(chrom, start, start + L).astype(np.float32)
        if np.array_equal(x[k].numpy(), onehot_of(text)):
            np.testing.assert_array_equal(y[k].numpy(), cov)
        else:
            np.testing.assert_array_equal(x[k].numpy(), onehot_of(text.translate(_COMPLEMENT)[::-1]))
            np.testing.assert_array_equal(y[k].numpy(), cov[:, ::-1])
            flipped += 1
    n = len(indices)
    assert 0.3 * n < flipped < 0.7 * n


def test_bin_mean_by_hand() -> None:
    values = np.arange(12, dtype=np.float16).reshape(2, 6)
    out = bin_mean(values, 3)
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[1.0, 4.0], [7.0, 10.0]])
    assert bin_mean(values, 1).dtype == np.float32
    with_nan = np.array([1.0, np.nan, 3.0, 5.0], dtype=np.float32)
    assert np.isnan(bin_mean(with_nan, 2)[0]) and bin_mean(with_nan, 2)[1] == 4.0
    with pytest.raises(ValueError, match="multiple"):
        bin_mean(values, 4)
