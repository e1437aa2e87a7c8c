"""Scoring a checkpoint: the harness options of a run follow its profile and flags."""

from __future__ import annotations

from benchsuite.evaluate import EvalOptions
from benchsuite.run.runner import RunOptions
from benchsuite.run.scoring import EVAL_PROFILES, eval_options_for


def test_eval_options_follow_profile_and_flags():
    smoke = eval_options_for(RunOptions(profile="smoke", cagi5=False, motifs=True))
    assert isinstance(smoke, EvalOptions)
    assert smoke.cagi5 is False and smoke.motifs is True
    for key, value in EVAL_PROFILES["smoke"].items():
        assert getattr(smoke, key) == value
    paper = eval_options_for(RunOptions(profile="paper", motifs=False))
    assert paper.motifs is False
    assert paper.robustness_shifts == EvalOptions().robustness_shifts == 20
    assert paper.cagi5_shifts == EvalOptions().cagi5_shifts
