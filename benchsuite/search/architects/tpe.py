"""Optuna's tree-structured Parzen estimator (TPE) over the choice vector, resumable.

Every decision of the space is a categorical parameter of an Optuna trial. The study lives in
an SQLite file (Optuna's RDB storage) in the search folder, so a killed search resumes from it:
finished trials stay finished, and a trial the kill left ``RUNNING`` is completed from the
search journal when its candidate had finished, else marked failed (and its candidate proposed
again by a new trial). The sampler is seeded with the search seed and the number of trials
already in the study, so a resumed search does not redraw the startup trials it has done.

Needs the optional dependency ``optuna`` (``pip install 'benchsuite[search]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchsuite.errors import ConfigError
from benchsuite.search.architects.base import Trial
from benchsuite.search.space import SearchSpace

__all__ = ["TPEArchitect", "STUDY_NAME"]

STUDY_NAME = "benchsuite-search"


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ConfigError(
            "the tpe architect needs optuna, which is not installed",
            source="--architect",
            hint="pip install 'benchsuite[search]' (or use --architect random|controller)",
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class TPEArchitect:
    """TPE proposals stored in ``storage`` (an SQLite file)."""

    name = "tpe"

    def __init__(
        self, space: SearchSpace, seed: int, storage: str | Path, *, startup_trials: int = 4, shard: int = 1
    ) -> None:
        self.space = space
        self.seed = int(seed)
        self.shard = int(shard)
        self.storage_path = Path(storage)
        self.startup_trials = int(startup_trials)
        self._optuna = _optuna()
        self.storage_path.parent.mkdir(parents=True, exist_ok=True)
        self._url = f"sqlite:///{self.storage_path.resolve()}"
        self._pending: dict[int, Any] = {}
        self.study = self._study(0)

    def _study(self, done: int) -> Any:
        optuna = self._optuna
        sampler = optuna.samplers.TPESampler(
            seed=self.seed * 1_000_003 + (self.shard - 1) * 10_007 + done,
            n_startup_trials=self.startup_trials,
        )
        return optuna.create_study(
            study_name=STUDY_NAME,
            storage=self._url,
            sampler=sampler,
            direction="maximize",
            load_if_exists=True,
        )

    def restore(self, finished: Sequence[Trial]) -> None:
        """Close the trials a kill left running; reseed the sampler past the finished trials."""
        state = self._optuna.trial.TrialState
        scores = {t.index: t.score for t in finished}
        for trial in self.study.get_trials(deepcopy=False):
            if trial.state != state.RUNNING:
                continue
            score = scores.get(trial.user_attrs.get("candidate", -1))
            if score is not None:
                self.study.tell(trial.number, float(score))
            else:
                self.study.tell(trial.number, state=state.FAIL)
        self.study = self._study(len(self.study.get_trials(deepcopy=False)))

    def propose(self, index: int) -> list[int]:
        """Ask the study for a new trial; its parameters are the choice vector."""
        trial = self.study.ask()
        trial.set_user_attr("candidate", int(index))
        self._pending[index] = trial
        return [int(trial.suggest_categorical(name, list(range(n)))) for name, n in self.space.decisions()]

    def observe(self, index: int, choices: Sequence[int], score: float | None) -> None:
        """Tell the study the score (a failed candidate is a failed trial)."""
        trial = self._pending.pop(index, None)
        if trial is None:
            return
        if score is None:
            self.study.tell(trial, state=self._optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, float(score))

    def completed(self) -> int:
        """Number of completed trials in the storage."""
        state = self._optuna.trial.TrialState
        return sum(1 for t in self.study.get_trials(deepcopy=False) if t.state == state.COMPLETE)
