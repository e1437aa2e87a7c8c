"""Datasets: bundle manifests, dataset preparation + on-disk cache, torch datasets, DataModules.

Heavy modules (torch, Lightning) are imported on first use of the names that need them, so
``import benchsuite.data`` stays light.
"""

from __future__ import annotations

from typing import Any

from benchsuite.data.cache import DatasetCache, SplitArrays, open_dataset_cache
from benchsuite.data.fingerprint import CACHE_FORMAT_VERSION
from benchsuite.data.manifest_load import load_manifest, write_manifest
from benchsuite.data.manifest_model import Geometry, Manifest, SplitSpec, TargetSpec, VariantSetSpec
from benchsuite.data.prepare import default_cache_dir, prepare_dataset

__all__ = [
    "CACHE_FORMAT_VERSION",
    "DatasetCache",
    "SplitArrays",
    "open_dataset_cache",
    "Geometry",
    "Manifest",
    "SplitSpec",
    "TargetSpec",
    "VariantSetSpec",
    "load_manifest",
    "write_manifest",
    "default_cache_dir",
    "prepare_dataset",
    "ChunkDataset",
    "QuantitativeDataModule",
    "BinaryDataModule",
]

_LAZY = {
    "ChunkDataset": "benchsuite.data.augment",
    "QuantitativeDataModule": "benchsuite.data.datamodule",
    "BinaryDataModule": "benchsuite.data.datamodule",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'benchsuite.data' has no attribute {name!r}")
