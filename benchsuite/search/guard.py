"""The search never reads the test split: data modules and a cache view that refuse it.

:func:`search_datamodule` returns a data module of the task whose cache is a
:class:`NoTestCache` (``split(kind, "test")`` raises) and whose ``test``/``predict`` stages,
``test_dataloader`` and ``dataset("test")`` raise :class:`TestSplitAccessError`. The test
split's arrays therefore cannot be memory-mapped by anything the search runs. (Building the
dataset cache writes every split, as ``benchsuite run`` would; the search reads back only
``train`` and ``valid``.)
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from benchsuite.data.cache import DatasetCache, SplitArrays
from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
from benchsuite.errors import DatasetError

__all__ = ["SEARCH_SPLITS", "TestSplitAccessError", "NoTestCache", "search_datamodule"]

#: the only splits a search may read
SEARCH_SPLITS = ("train", "valid")


class TestSplitAccessError(DatasetError):
    """Something inside a search tried to read the test split."""

    __test__ = False  # not a pytest test class


def _refuse(what: str, source: Any) -> TestSplitAccessError:
    return TestSplitAccessError(
        f"architecture search may not read the test split ({what})",
        source=source,
        hint="search scores candidates on the validation split only; score the chosen model "
        "on test with `benchsuite run --model NAME`",
    )


class NoTestCache(DatasetCache):
    """A :class:`DatasetCache` whose :meth:`split` refuses every split but train and valid."""

    def split(self, kind: str, split: str) -> SplitArrays:
        """Map a split; :class:`TestSplitAccessError` for anything but ``train``/``valid``."""
        if split not in SEARCH_SPLITS:
            raise _refuse(f"{kind}/{split}", self.root)
        return super().split(kind, split)

    @classmethod
    def wrap(cls, cache: DatasetCache) -> NoTestCache:
        """The same cache, guarded."""
        if isinstance(cache, cls):
            return cache
        return cls(**{f.name: getattr(cache, f.name) for f in fields(cache) if f.init})


class _NoTestMixin:
    """Overrides of the suite's data modules that keep the test split closed."""

    manifest: Any

    def _prepare(self) -> DatasetCache:
        return NoTestCache.wrap(super()._prepare())  # type: ignore[misc]

    def setup(self, stage: str | None = None) -> None:
        if stage in ("test", "predict"):
            raise _refuse(f"stage {stage!r}", self.manifest.path)
        super().setup(stage or "fit")  # type: ignore[misc]

    def _make_dataset(self, split: str) -> Any:
        if split not in SEARCH_SPLITS:
            raise _refuse(f"dataset {split!r}", self.manifest.path)
        return super()._make_dataset(split)  # type: ignore[misc]

    def test_dataloader(self) -> Any:
        raise _refuse("test_dataloader", self.manifest.path)

    def predict_dataloader(self) -> Any:
        raise _refuse("predict_dataloader", self.manifest.path)


class SearchBinaryDataModule(_NoTestMixin, BinaryDataModule):
    """:class:`BinaryDataModule` without a test split."""


class SearchQuantitativeDataModule(_NoTestMixin, QuantitativeDataModule):
    """:class:`QuantitativeDataModule` without a test split."""


def search_datamodule(
    kind: str, bundle: Any, *, bin_size: int, cache_dir: str | Path | None, **kwargs: Any
) -> SearchBinaryDataModule | SearchQuantitativeDataModule:
    """The data module of a search: ``kind``'s train and valid splits only."""
    if kind == "quantitative":
        return SearchQuantitativeDataModule(bundle, bin_size=bin_size, cache_dir=cache_dir, **kwargs)
    return SearchBinaryDataModule(bundle, cache_dir=cache_dir, **kwargs)
