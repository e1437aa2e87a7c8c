"""The input plan (context, tiles) and the resolution adaptor's arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.adapt.geometry import average_bins, output_bin, plan_input
from benchsuite.errors import PluginError


def test_same_length_is_used_as_is():
    plan = plan_input("quantitative", 512, 512, 32)
    assert (plan.mode, plan.left, plan.right, plan.tiles) == ("same", 0, 0, (0,))


def test_longer_model_gets_context_aligned_to_its_bins():
    plan = plan_input("quantitative", 512, 1000, 8)
    # (1000 - 512) / 2 = 244 -> 240 (a multiple of the 8-bp bin), the rest on the right
    assert (plan.mode, plan.left, plan.right, plan.window_bins) == ("context", 240, 248, 64)


def test_longer_binary_model_gets_centred_context():
    plan = plan_input("binary", 512, 1001, 1)
    assert (plan.mode, plan.left, plan.right) == ("context", 244, 245)


def test_shorter_model_is_tiled_with_a_last_tile_at_the_window_end():
    assert plan_input("quantitative", 512, 128, 1).tiles == (0, 128, 256, 384)
    assert plan_input("quantitative", 512, 200, 8).tiles == (0, 200, 312)


def test_bin_that_does_not_divide_the_window_is_refused():
    with pytest.raises(PluginError, match=r"model 'm' predicts 48-bp bins, which do not divide the 512-bp"):
        plan_input("quantitative", 512, 1536, 48, model="m")


def test_output_bin_is_the_smallest_dataset_bin_it_can_serve():
    assert output_bin(1, 512, (1, 32, 128)) == 1
    assert output_bin(16, 512, (1, 32, 128)) == 32
    assert output_bin(64, 512, (1, 32, 128)) == 128
    assert output_bin(256, 512, (1, 32, 128)) == 256  # coarser than every dataset bin: kept


def test_average_bins_means_consecutive_groups():
    out = np.arange(8, dtype=np.float32).reshape(1, 1, 8)
    np.testing.assert_array_equal(average_bins(out, 4), [[[1.5, 5.5]]])
    assert average_bins(out, 1) is out
