"""The input adaptor feeds the true genome context: an echo model reads its input back."""

from __future__ import annotations

import numpy as np
import torch

from benchsuite.adapt.context import GenomeLocator
from benchsuite.adapt.predictor import AdaptedModule, onehot_codes
from benchsuite.io.onehot import N_CODE, one_hot

from .conftest import BASE_TRACKS, EchoModel

torch.set_num_threads(1)


def _module(kind, native, window, bin_size, locator=None, bins=(1, 32, 128)):
    from benchsuite.plugins import TaskSpec

    task = TaskSpec(kind, native, 4, bin_size if kind == "quantitative" else 1, BASE_TRACKS)
    return AdaptedModule(EchoModel(task), task, window=window, dataset_bins=bins, locator=locator)


def _test_windows(cache, n=6):
    split = cache.split("quantitative", "test")
    off = (split.seq.shape[1] - 512) // 2
    codes = np.array(split.seq[:n, off : off + 512])
    starts = [(split.chroms[int(c)], int(s) + off) for c, s in split.coords[:n]]
    return codes, starts


def test_longer_model_sees_the_genome_around_each_window(smoke, genome):
    _, cache = smoke
    codes, starts = _test_windows(cache)
    module = _module("quantitative", 1024, 512, 1, GenomeLocator(genome))
    out = module(torch.from_numpy(one_hot(codes))).detach()
    seen = onehot_codes(module.inner.seen[-1].numpy())
    for i, (chrom, start) in enumerate(starts):
        np.testing.assert_array_equal(seen[i], genome.fetch_codes(chrom, start - 256, start + 768))
    # the output is cropped back to the window: the echo returns the window's own bases
    np.testing.assert_array_equal(out.numpy(), one_hot(codes))
    assert module.stats.to_dict() == {"located": 6, "padded_with_n": 0}


def test_context_is_n_only_beyond_the_chromosome_end(smoke, genome):
    first = genome.fetch_codes("chr1", 0, 512)[None]
    module = _module("quantitative", 1024, 512, 1, GenomeLocator(genome))
    module(torch.from_numpy(one_hot(first)))
    seen = onehot_codes(module.inner.seen[-1].numpy())[0]
    assert (seen[:256] == N_CODE).all()
    np.testing.assert_array_equal(seen[256:], genome.fetch_codes("chr1", 0, 768))


def test_a_variant_window_is_located_and_keeps_its_variant(smoke, genome):
    _, cache = smoke
    codes, starts = _test_windows(cache, 2)
    codes[:, 300] = (codes[:, 300] + 1) % 4
    module = _module("quantitative", 1024, 512, 1, GenomeLocator(genome))
    module(torch.from_numpy(one_hot(codes)))
    seen = onehot_codes(module.inner.seen[-1].numpy())
    chrom, start = starts[0]
    np.testing.assert_array_equal(seen[0, :256], genome.fetch_codes(chrom, start - 256, start))
    assert seen[0, 556] == codes[0, 300]


def test_a_window_outside_the_genome_is_padded_with_n(smoke, genome):
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, (3, 512)).astype(np.uint8)
    module = _module("quantitative", 1024, 512, 1, GenomeLocator(genome))
    module(torch.from_numpy(one_hot(codes)))
    seen = onehot_codes(module.inner.seen[-1].numpy())
    assert (seen[:, :256] == N_CODE).all() and (seen[:, 768:] == N_CODE).all()
    assert module.stats.to_dict() == {"located": 0, "padded_with_n": 3}
    assert "3 of 3 windows got N instead of genome context" in module.context_note()


def test_shorter_model_is_tiled_across_the_window(smoke):
    _, cache = smoke
    codes, _ = _test_windows(cache, 2)
    module = _module("quantitative", 200, 512, 8, bins=(8, 32, 128))
    out = module(torch.from_numpy(one_hot(codes))).detach()
    seen = onehot_codes(module.inner.seen[-1].numpy())
    np.testing.assert_array_equal(seen[:3], [codes[0, :200], codes[0, 200:400], codes[0, 312:512]])
    # base fractions per 8-bp bin of the whole window, assembled from the tiles
    want = one_hot(codes).reshape(2, 4, 64, 8).mean(-1)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-6)


def test_finer_bins_are_averaged_to_the_scored_bin(smoke):
    _, cache = smoke
    codes, _ = _test_windows(cache, 2)
    module = _module("quantitative", 512, 512, 16)
    assert module.bin_size == 32 and module.factor == 2
    out = module(torch.from_numpy(one_hot(codes))).detach()
    np.testing.assert_allclose(out.numpy(), one_hot(codes).reshape(2, 4, 16, 32).mean(-1), atol=1e-6)


def test_binary_tiles_take_the_maximum_logit(smoke):
    _, cache = smoke
    codes, _ = _test_windows(cache, 1)
    module = _module("binary", 256, 512, 1)
    out = module(torch.from_numpy(one_hot(codes))).detach().numpy()
    halves = one_hot(codes).reshape(1, 4, 2, 256).mean(-1)
    np.testing.assert_allclose(out, halves.max(-1), atol=1e-6)


def test_without_a_genome_the_flanks_are_n_and_the_note_says_why(smoke):
    _, cache = smoke
    codes, _ = _test_windows(cache, 2)
    module = _module("quantitative", 640, 512, 1)  # no locator: a sequence-set bundle has no genome
    module(torch.from_numpy(one_hot(codes)))
    seen = onehot_codes(module.inner.seen[-1].numpy())
    assert (seen[:, :64] == N_CODE).all() and (seen[:, 576:] == N_CODE).all()
    np.testing.assert_array_equal(seen[:, 64:576], codes)
    assert module.context_note() == (
        "2 of 2 windows got N instead of genome context for the model's 64 + 64 extra bases "
        "(the bundle has no genome)"
    )
