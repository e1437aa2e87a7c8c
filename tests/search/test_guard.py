"""The search data modules and cache view refuse the test split."""

from __future__ import annotations

import pytest

from benchsuite.data.prepare import prepare_dataset
from benchsuite.search.guard import NoTestCache, TestSplitAccessError, search_datamodule


def test_cache_view_refuses_the_test_split(search_bundle, search_cache):
    cache = NoTestCache.wrap(prepare_dataset(search_bundle, cache_dir=search_cache, progress=False))
    assert len(cache.split("binary", "valid")) > 0
    with pytest.raises(TestSplitAccessError, match=r"may not read the test split \(binary/test\)"):
        cache.split("binary", "test")


def test_datamodule_refuses_the_test_stage_and_loader(search_bundle, search_cache):
    dm = search_datamodule("binary", search_bundle, bin_size=1, cache_dir=search_cache, progress=False)
    dm.setup("fit")
    assert isinstance(dm.cache, NoTestCache)
    with pytest.raises(TestSplitAccessError, match="stage 'test'"):
        dm.setup("test")
    with pytest.raises(TestSplitAccessError, match="test_dataloader"):
        dm.test_dataloader()
    with pytest.raises(TestSplitAccessError, match="dataset 'test'"):
        dm.dataset("test")


def test_quantitative_datamodule_keeps_its_bin_size(search_bundle, search_cache):
    dm = search_datamodule("quantitative", search_bundle, bin_size=32, cache_dir=search_cache, progress=False)
    assert dm.task_spec().bin_size == 32
    with pytest.raises(TestSplitAccessError):
        dm.setup("predict")
