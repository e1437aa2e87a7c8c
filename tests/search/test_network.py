"""The torch model of an architecture follows the suite's output conventions."""

from __future__ import annotations

import torch

from benchsuite.plugins import TaskSpec
from benchsuite.search.network import SearchedNetwork
from benchsuite.search.space import Architecture, SearchSpace

from .conftest import SPACE

ARCH = Architecture(7, ("dconv7", "maxpool", "conv15"), ((), (0,), (0, 1)))


def test_binary_output_is_one_logit_per_target():
    model = SearchedNetwork(TaskSpec("binary", 256, 3), SPACE, ARCH).eval()
    out = model(torch.rand(2, 4, 256))
    assert out.shape == (2, 3)


def test_quantitative_output_is_non_negative_coverage_per_bin():
    model = SearchedNetwork(TaskSpec("quantitative", 256, 2, bin_size=32), SPACE, ARCH).eval()
    out = model(torch.rand(2, 4, 256))
    assert out.shape == (2, 2, 8)
    assert bool((out >= 0).all())


def test_base_resolution_output_upsamples_a_coarser_trunk():
    space = SearchSpace(num_layers=3, channels=8, downsample_every=1)  # trunk at L / 8
    model = SearchedNetwork(TaskSpec("quantitative", 64, 1, bin_size=1), space, ARCH).eval()
    assert model(torch.rand(2, 4, 64)).shape == (2, 1, 64)


def test_the_stem_activation_is_the_first_layer_activation():
    model = SearchedNetwork(TaskSpec("binary", 64, 1), SPACE, ARCH)
    assert isinstance(model.get_submodule("stem.act"), torch.nn.ReLU)
    assert model.stem.conv.kernel_size == (7,)
