"""The AMBER-like space: decisions, decoding, validation."""

from __future__ import annotations

import pytest

from benchsuite.errors import ConfigError
from benchsuite.search.space import Architecture, SearchSpace, decode, default_space

from .conftest import SPACE


def test_decisions_are_stem_then_op_and_skips_per_layer():
    assert SPACE.decisions() == [
        ("stem", 3),
        ("op0", 7),
        ("op1", 7),
        ("skip1_0", 2),
        ("op2", 7),
        ("skip2_0", 2),
        ("skip2_1", 2),
    ]
    assert SPACE.size() == 3 * 7**3 * 2**3


def test_decode_and_choices_round_trip():
    arch = decode([1, 0, 4, 1, 3, 0, 1], SPACE)
    assert arch == Architecture(15, ("conv7", "maxpool", "dconv7"), ((), (0,), (1,)))
    assert arch.choices(SPACE) == [1, 0, 4, 1, 3, 0, 1]


def test_decode_rejects_a_vector_of_the_wrong_length():
    with pytest.raises(ConfigError, match="a choice vector of this space has 7 entries, got 2"):
        decode([0, 0], SPACE)


def test_decode_rejects_an_out_of_range_choice():
    with pytest.raises(ConfigError, match=r"decision op0: choice 7 is not in 0\.\.6"):
        decode([0, 7, 0, 0, 0, 0, 0], SPACE)


def test_unknown_operation_is_refused():
    with pytest.raises(ConfigError, match="unknown operation 'sepconv3'"):
        SearchSpace(operations=("conv7", "sepconv3"))


def test_space_round_trips_through_its_dict():
    assert SearchSpace.from_dict(SPACE.to_dict()) == SPACE


def test_space_dict_with_unknown_field_is_refused():
    with pytest.raises(ConfigError, match="unknown field"):
        SearchSpace.from_dict({**SPACE.to_dict(), "width": 3})


def test_default_spaces_per_profile():
    assert default_space("smoke") == SearchSpace(num_layers=3, channels=8)
    assert default_space("default") == SearchSpace(num_layers=6, channels=32)
