"""The architects: random is reproducible per index, the controller learns, TPE proposes valid vectors."""

from __future__ import annotations

import pytest

from benchsuite.errors import ConfigError
from benchsuite.search.architects import Trial, make_architect
from benchsuite.search.architects.controller import ControllerArchitect
from benchsuite.search.architects.random_search import RandomArchitect
from benchsuite.search.space import decode

from .conftest import SPACE, toy_score


def _valid(choices):
    assert len(choices) == len(SPACE.decisions())
    assert all(0 <= c < n for c, (_, n) in zip(choices, SPACE.decisions(), strict=True))


def test_random_proposals_depend_only_on_seed_and_index():
    a, b = RandomArchitect(SPACE, 1), RandomArchitect(SPACE, 1)
    assert [a.propose(i) for i in range(5)] == [b.propose(i) for i in reversed(range(5))][::-1]
    assert RandomArchitect(SPACE, 2).propose(0) != a.propose(0) or RandomArchitect(SPACE, 2).propose(
        1
    ) != a.propose(1)
    _valid(a.propose(3))


def test_controller_moves_toward_the_known_better_choice():
    controller = ControllerArchitect(SPACE, seed=0)
    conv15 = SPACE.operations.index("conv15")
    before = controller.policy.probabilities(1, [0])[conv15]
    for i in range(50):
        choices = controller.propose(i)
        controller.observe(i, choices, toy_score(decode(choices, SPACE).operations))
    after = controller.policy.probabilities(1, [0])[conv15]
    assert before < 0.3
    assert after > 0.6, (before, after)


def test_controller_without_reward_signal_stays_put():
    """A constant reward gives zero advantage: the policy (but for entropy) does not move."""
    controller = ControllerArchitect(SPACE, seed=0, entropy_weight=0.0)
    before = controller.policy.probabilities(1, [0])
    for i in range(10):
        controller.observe(i, controller.propose(i), 0.5)
    assert controller.policy.probabilities(1, [0]) == pytest.approx(before, abs=1e-6)


def test_controller_restore_replays_to_the_same_policy():
    live = ControllerArchitect(SPACE, seed=4)
    trials = []
    for i in range(6):
        choices = live.propose(i)
        score = toy_score(decode(choices, SPACE).operations)
        live.observe(i, choices, score)
        trials.append(Trial(i, tuple(choices), score))
    resumed = ControllerArchitect(SPACE, seed=4)
    resumed.restore(trials)
    assert resumed.baseline == pytest.approx(live.baseline)
    assert [resumed.propose(i) for i in range(6, 12)] == [live.propose(i) for i in range(6, 12)]


def test_tpe_proposes_valid_vectors_and_stores_them(tmp_path):
    pytest.importorskip("optuna")
    tpe = make_architect("tpe", SPACE, 0, tmp_path)
    for i in range(3):
        choices = tpe.propose(i)
        _valid(choices)
        tpe.observe(i, choices, 0.5)
    assert (tmp_path / "tpe.db").is_file()
    assert tpe.completed() == 3  # type: ignore[attr-defined]


def test_unknown_architect_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="unknown architect 'grid'"):
        make_architect("grid", SPACE, 0, tmp_path)
