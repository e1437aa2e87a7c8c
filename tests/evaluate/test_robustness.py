"""Robustness (variation score): geometry, hand-checked scores, equivariant vs position-dependent models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchsuite.errors import ConfigError
from benchsuite.evaluate.robustness import (
    centre_region,
    robustness_evaluate,
    select_chunks,
    shift_offsets,
    variation_scores,
)
from tests.evaluate.toys import ConvCoverage, RampCoverage, codes_to_onehot


def _torch_predict(model):
    def predict(codes):
        with torch.no_grad():
            return model(torch.from_numpy(codes_to_onehot(codes))).numpy()

    return predict


def test_shift_offsets_paper_geometry():
    off = shift_offsets(3072, 2048, 1, 20)
    assert off.size == 20 and off[0] == 0 and off[-1] == 1024
    assert np.all(np.diff(off) > 0)
    # bin-aligned: a 128-bp bin leaves 9 distinct offsets, each used once
    off128 = shift_offsets(3072, 2048, 128, 20)
    assert off128.tolist() == [128 * i for i in range(9)]
    off32 = shift_offsets(3072, 2048, 32, 20)
    assert off32.size == 20 and np.all(off32 % 32 == 0) and off32[-1] == 1024
    assert len(set(off32.tolist())) == 20
    assert shift_offsets(2048, 2048, 1, 20).tolist() == [0]
    with pytest.raises(ConfigError):
        shift_offsets(1000, 2048, 1, 20)
    with pytest.raises(ConfigError):
        shift_offsets(3072, 2048, 1, 1)


def test_centre_region_is_the_paper_central_1024():
    off = shift_offsets(3072, 2048, 1, 20)
    starts, n = centre_region(off, 2048, 1)
    assert n == 1024
    # every window's crop starts at chunk position 1024
    np.testing.assert_array_equal(off + starts, np.full(20, 1024))
    starts128, n128 = centre_region(shift_offsets(3072, 2048, 128, 20), 2048, 128)
    assert n128 == 8 and starts128.tolist() == list(range(8, -1, -1))


def test_variation_score_hand_checked():
    offsets = np.array([0, 2])  # chunk 6, window 4, bin 1 -> centre = chunk [2, 4)
    chunk = np.zeros((1, 6), dtype=np.uint8)
    calls = []

    def predict(codes):
        calls.append(codes.shape)
        # window 0 predicts 1, window 1 predicts 3 everywhere, target 2 predicts zeros
        out = np.zeros((2, 2, 4))
        out[0, 0], out[1, 0] = 1.0, 3.0
        return out

    s = variation_scores(predict, chunk, input_length=4, bin_size=1, offsets=offsets)
    assert calls == [(2, 4)]
    # std across {1, 3} = 1 at each centre position; mean coverage 2 -> 0.5; zero coverage -> NaN
    assert s[0, 0] == pytest.approx(0.5)
    assert np.isnan(s[0, 1])


def test_variation_score_aligns_on_chunk_coordinates():
    # a predictor returning the chunk coordinate of each base is perfectly shift-consistent
    chunk = np.random.default_rng(5).integers(0, 4, size=(1, 12), dtype=np.uint8)
    offsets = shift_offsets(12, 8, 1, 5)

    def predict(codes):
        out = []
        for row in codes:
            # locate the window in the chunk by matching its first bases
            start = next(o for o in offsets if np.array_equal(chunk[0, o : o + 8], row))
            out.append(np.arange(start, start + 8, dtype=float)[None] + 1.0)
        return np.stack(out)

    s = variation_scores(predict, chunk, input_length=8, bin_size=1, offsets=offsets)
    assert s[0, 0] == pytest.approx(0.0, abs=1e-12)


def test_select_chunks_cap_is_seeded_and_sorted():
    labels = np.zeros((100, 2), dtype=np.uint8)
    labels[::2, 0] = 1
    labels[1::10, 1] = 1
    all_idx = select_chunks(labels, None, 0)
    assert all_idx.tolist() == sorted(set(range(0, 100, 2)) | set(range(1, 100, 10)))
    a, b = select_chunks(labels, 10, 3), select_chunks(labels, 10, 3)
    np.testing.assert_array_equal(a, b)
    assert a.size == 10 and np.all(np.diff(a) > 0) and set(a) <= set(all_idx)


@pytest.fixture(scope="module")
def chunks():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(24, 384), dtype=np.uint8)
    labels = np.ones((24, 3), dtype=np.uint8)
    labels[:12, 2] = 0
    return codes, labels


@pytest.mark.parametrize("bin_size", [1, 8])
def test_equivariant_model_is_robust_and_ramp_model_is_not(chunks, bin_size):
    torch.manual_seed(0)
    codes, labels = chunks
    conv = ConvCoverage(3, bin_size, gain=1.5, bias=-3.0).eval()
    ramp = RampCoverage(3, bin_size, gain=1.5, bias=-3.0).eval()
    kw = dict(input_length=256, bin_size=bin_size, n_shifts=20)
    robust = robustness_evaluate(_torch_predict(conv), codes, labels, **kw)
    fragile = robustness_evaluate(_torch_predict(ramp), codes, labels, **kw)
    assert robust.mean < 0.02
    assert fragile.mean > 0.1
    assert robust.offsets == shift_offsets(384, 256, bin_size, 20).tolist()
    assert robust.n_chunks.tolist() == [24, 24, 12]  # target 2 only over its labelled chunks
    assert robust.centre_bins == 128 // bin_size


def test_per_target_mean_uses_only_labelled_chunks():
    codes = np.zeros((4, 12), dtype=np.uint8)
    labels = np.array([[1, 0], [1, 1], [0, 0], [0, 1]], dtype=np.uint8)
    per_chunk = {0: 0.1, 1: 0.2, 3: 0.4}  # chunk 2 has no peak and must not be predicted
    seen = []

    def predict(windows):
        # windows arrive as 5 shifts per chunk; chunk identity encoded in a marker base
        n = windows.shape[0] // 5
        out = np.ones((windows.shape[0], 2, 8))
        for c in range(n):
            chunk_id = int(windows[5 * c, 0])
            seen.append(chunk_id)
            eps = per_chunk[chunk_id]
            out[5 * c : 5 * c + 5] *= (1 + eps * np.array([-1, 1, -1, 1, 0]))[:, None, None]
        return out

    for i in range(4):
        codes[i, :] = i
    res = robustness_evaluate(predict, codes, labels, input_length=8, bin_size=1, n_shifts=5, batch_windows=5)
    assert sorted(seen) == [0, 1, 3]
    scores = {k: np.std(1 + v * np.array([-1, 1, -1, 1, 0])) for k, v in per_chunk.items()}
    assert res.per_target[0] == pytest.approx((scores[0] + scores[1]) / 2)
    assert res.per_target[1] == pytest.approx((scores[1] + scores[3]) / 2)
    assert res.mean == pytest.approx(np.mean(res.per_target))


def test_max_sequences_caps_the_chunks(chunks):
    codes, labels = chunks
    model = ConvCoverage(3, 1).eval()
    res = robustness_evaluate(
        _torch_predict(model),
        codes,
        labels,
        input_length=256,
        bin_size=1,
        n_shifts=4,
        max_sequences=5,
        seed=1,
    )
    assert res.n_selected == 5
    assert res.n_chunks[0] == 5


def test_no_room_to_shift_is_a_config_error():
    codes = np.zeros((2, 256), dtype=np.uint8)
    with pytest.raises(ConfigError, match="no room"):
        robustness_evaluate(
            lambda c: np.ones((c.shape[0], 1, 256)), codes, np.ones((2, 1)), input_length=256, bin_size=1
        )
