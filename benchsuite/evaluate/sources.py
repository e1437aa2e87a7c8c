"""Sources of predictions (a predictor, or replicate 2) and the harness's split helpers.

A :class:`Source` gives a family the "predictions" of a window: :class:`PredictorSource` runs
a :class:`~benchsuite.evaluate.predictors.Predictor` (a trained model, the oracle) on one-hot
sequences; :class:`Replicate2Source` reads the second replicate's coverage from the cache.
``Source.role`` says what it is (``"model"``, ``"predictor"`` or ``"replicate2"``); families
declare the roles they apply to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from benchsuite.errors import ConfigError, DatasetError
from benchsuite.evaluate.predictors import Predictor, check_predictions, expected_shape
from benchsuite.evaluate.stats import bin_average
from benchsuite.evaluate.types import CacheLike

__all__ = [
    "PredictorSource",
    "Progress",
    "Replicate2Source",
    "Source",
    "batch_ranges",
    "central_offset",
    "get_test_split",
]


class Source:
    """What produces the 'predictions' of a split: a predictor or replicate 2.

    Attributes: ``kind`` (``"binary"``/``"quantitative"``), ``bin_size`` (binary: the input
    length), ``input_length``, ``name`` (for messages), ``role`` (``"predictor"`` or
    ``"replicate2"``) and ``can_predict_codes`` (whether arbitrary sequences can be predicted:
    shifted windows, variants).
    """

    role = "predictor"
    kind: str
    bin_size: int
    input_length: int
    name: str
    can_predict_codes = False

    def window_predictions(
        self, split: Any, rows: slice | np.ndarray, offset: int, codes: np.ndarray
    ) -> np.ndarray:
        raise NotImplementedError

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _one_hot(codes: np.ndarray) -> np.ndarray:
    from benchsuite.io.onehot import one_hot

    return one_hot(np.ascontiguousarray(codes, dtype=np.uint8))


class PredictorSource(Source):
    """A :class:`~benchsuite.evaluate.predictors.Predictor` run on one-hot windows (shapes checked)."""

    can_predict_codes = True

    def __init__(self, predictor: Predictor, num_targets: int) -> None:
        self.predictor = predictor
        self.kind = str(predictor.kind)
        self.input_length = int(predictor.input_length)
        self.bin_size = self.input_length if self.kind == "binary" else int(predictor.bin_size)
        self.num_targets = num_targets
        self.name = str(getattr(predictor, "name", type(predictor).__name__))
        if self.kind not in ("binary", "quantitative"):
            raise ConfigError(f"unknown predictor kind {self.kind!r}", source=self.name)
        if self.bin_size < 1 or self.input_length % self.bin_size:
            raise ConfigError(
                f"bin size {self.bin_size} does not divide the input length {self.input_length}",
                source=self.name,
                hint="the model's output bin must divide its input length",
            )

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        pred = self.predictor.predict(_one_hot(codes))
        shape = expected_shape(self.kind, codes.shape[0], self.num_targets, self.input_length, self.bin_size)
        return check_predictions(pred, shape, self.kind, name=self.name)

    def window_predictions(
        self, split: Any, rows: slice | np.ndarray, offset: int, codes: np.ndarray
    ) -> np.ndarray:
        return self.predict_codes(codes)


class Replicate2Source(Source):
    """Replicate 2's coverage of the same windows, averaged into ``bin_size`` bins."""

    role = "replicate2"
    kind = "quantitative"
    name = "replicate2"

    def __init__(self, bin_size: int, input_length: int) -> None:
        self.bin_size = int(bin_size)
        self.input_length = int(input_length)

    def window_predictions(
        self, split: Any, rows: slice | np.ndarray, offset: int, codes: np.ndarray
    ) -> np.ndarray:
        if split.cov_rep2 is None:
            raise DatasetError(
                f"the {split.kind}/{split.split} split has no replicate-2 coverage",
                hint="give replicate2 tracks in the manifest and rebuild the dataset",
            )
        rep2 = np.asarray(split.cov_rep2[rows, :, offset : offset + self.input_length], dtype=np.float32)
        return bin_average(rep2, self.bin_size)


class Progress:
    """Rich progress bars when enabled, no-ops otherwise (``task(description, total)`` -> advance)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def task(self, description: str, total: int) -> Callable[[int], None]:
        if self._progress is None:
            return lambda n: None
        task_id = self._progress.add_task(description, total=total)
        return lambda n: self._progress.advance(task_id, n)


def get_test_split(cache: CacheLike, kind: str) -> Any:
    """The test split of ``kind``, or raise DatasetError (caught as 'not applicable')."""
    split = cache.split(kind, "test")
    if len(split) == 0:
        raise DatasetError(f"the {kind}/test split is empty", source=getattr(cache, "root", None))
    return split


def central_offset(width: int, input_length: int) -> int:
    return (width - input_length) // 2


def batch_ranges(n: int, step: int) -> Iterator[slice]:
    for s in range(0, n, step):
        yield slice(s, min(n, s + step))
