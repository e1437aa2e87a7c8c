"""LightningDataModules for the two tasks of the benchmark.

:class:`QuantitativeDataModule` serves coverage-threshold chunks with coverage targets binned
to the model's resolution; :class:`BinaryDataModule` serves peak-centred chunks with one label
per target. Both build the dataset cache once in :meth:`prepare_data` (rank 0) and only map it
in :meth:`setup`; training batches use random shift and reverse complement (switchable),
validation and test batches the central window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from torch.utils.data import DataLoader

from benchsuite.data.augment import ChunkDataset, collate_batch
from benchsuite.data.cache import DatasetCache
from benchsuite.data.manifest_load import load_manifest
from benchsuite.data.manifest_model import Manifest
from benchsuite.errors import ConfigError, DatasetError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.spec import TaskSpec

__all__ = ["QuantitativeDataModule", "BinaryDataModule"]


class _ChunkDataModule(L.LightningDataModule):
    """Shared logic of the two DataModules (not used directly)."""

    kind: str = ""
    target: str = ""

    def __init__(
        self,
        bundle: str | Path | Manifest,
        *,
        cache_dir: str | Path | None = None,
        input_length: int | None = None,
        bin_size: int = 1,
        coverage_threshold: float | None = None,
        random_shift: bool = True,
        reverse_complement: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int = 0,
        progress: bool = True,
    ):
        super().__init__()
        from benchsuite.data.seqset_manifest import SequenceSetManifest

        if isinstance(bundle, (Manifest, SequenceSetManifest)):
            # a sequence-set manifest offers every Manifest attribute read here
            self.manifest: Manifest = bundle
        else:
            self.manifest = load_manifest(bundle)
        self.cache_dir = cache_dir
        geometry = self.manifest.geometry
        self.input_length = int(input_length) if input_length is not None else geometry.input_length
        if not 1 <= self.input_length <= geometry.chunk_length:
            raise ConfigError(
                f"input_length {self.input_length} must lie in 1..{geometry.chunk_length} (the chunk length)",
                source="input_length",
                hint=f"use at most geometry.chunk_length of {self.manifest.path}",
            )
        if bin_size < 1 or self.input_length % bin_size:
            raise ConfigError(
                f"bin size {bin_size} does not divide input_length {self.input_length}",
                source="bin_size",
                hint="choose a bin size that divides the input length",
            )
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}", source="batch_size")
        if num_workers < 0:
            raise ConfigError(f"num_workers must be >= 0, got {num_workers}", source="num_workers")
        self.bin_size = int(bin_size)
        self.coverage_threshold = coverage_threshold
        self.random_shift = bool(random_shift)
        self.reverse_complement = bool(reverse_complement)
        self.batch_size = int(batch_size)
        self.num_workers = int(num_workers)
        self.seed = int(seed)
        self.progress = progress
        self._cache: DatasetCache | None = None
        self._datasets: dict[str, ChunkDataset] = {}

    # ------------------------------------------------------------------ cache

    def _prepare(self) -> DatasetCache:
        from benchsuite.data.prepare import prepare_dataset

        return prepare_dataset(
            self.manifest,
            cache_dir=self.cache_dir,
            coverage_threshold=self.coverage_threshold,
            progress=self.progress,
        )

    def prepare_data(self) -> None:
        """Build the dataset cache (once; later calls and other processes reuse it)."""
        self._cache = self._prepare()

    def setup(self, stage: str | None = None) -> None:
        """Map the cache and create the datasets of the stage."""
        if self._cache is None:
            self._cache = self._prepare()
        if self.kind == "binary" and self._cache.meta["kinds"].get("binary") is None:
            self._cache.split("binary", "train")  # raises a DatasetError with the reason
        splits = {"fit": ("train", "valid"), "validate": ("valid",), "test": ("test",), "predict": ("test",)}
        for split in splits.get(stage or "", ("train", "valid", "test")):
            if split not in self._datasets:
                self._datasets[split] = self._make_dataset(split)

    def _make_dataset(self, split: str) -> ChunkDataset:
        assert self._cache is not None
        n = self._cache.count(self.kind, split)
        if n == 0:
            raise DatasetError(
                f"the {self.kind} {split} split is empty",
                source=self.manifest.path,
                hint="check the split chromosomes, peaks and coverage threshold "
                "(see `benchsuite data prepare`)",
            )
        train = split == "train"
        return ChunkDataset(
            self._cache,
            self.kind,
            split,
            input_length=self.input_length,
            target=self.target,
            bin_size=self.bin_size,
            random_shift=train and self.random_shift,
            reverse_complement=train and self.reverse_complement,
            seed=self.seed,
        )

    @property
    def cache(self) -> DatasetCache:
        """The dataset cache (built or mapped on first access)."""
        if self._cache is None:
            self._cache = self._prepare()
        return self._cache

    def dataset(self, split: str) -> ChunkDataset:
        """The dataset of a split (``"train"``, ``"valid"``, ``"test"``)."""
        if split not in self._datasets:
            if self._cache is None:
                self._cache = self._prepare()
            self._datasets[split] = self._make_dataset(split)
        return self._datasets[split]

    # ------------------------------------------------------------------ loaders

    def _loader(self, split: str, *, shuffle: bool) -> DataLoader:
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        dataset = self.dataset(split)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            # training drops a last incomplete batch (a batch of one breaks BatchNorm), unless
            # the split is smaller than one batch; evaluation always sees every chunk
            drop_last=shuffle and len(dataset) > self.batch_size,
            num_workers=self.num_workers,
            collate_fn=collate_batch,
            generator=generator,
            persistent_workers=False,
            pin_memory=False,
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled training batches with augmentation."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        """Validation batches (central window, no augmentation)."""
        return self._loader("valid", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        """Test batches (central window, no augmentation)."""
        return self._loader("test", shuffle=False)

    # ------------------------------------------------------------------ task description

    @property
    def target_names(self) -> tuple[str, ...]:
        """Target names of this task (the ``T`` axis of ``y``).

        Quantitative: the targets with a coverage track; binary: the targets with a peak file
        (label-only targets included). Both are every target when all have tracks and peaks.
        """
        return self.manifest.task_target_names(self.kind)

    @property
    def num_targets(self) -> int:
        """Number of targets ``T`` of this task."""
        return len(self.target_names)

    def task_spec(self) -> TaskSpec:
        """The :class:`~benchsuite.plugins.spec.TaskSpec` of this data."""
        from benchsuite.plugins.spec import TaskSpec

        return TaskSpec(
            kind=self.kind,  # type: ignore[arg-type]
            input_length=self.input_length,
            num_targets=self.num_targets,
            bin_size=self.bin_size if self.kind == "quantitative" else 1,
            target_names=self.target_names,
        )

    def state_dict(self) -> dict[str, Any]:
        """Stored in checkpoints: what identifies the data."""
        return {
            "kind": self.kind,
            "fingerprint": self._cache.fingerprint if self._cache is not None else None,
            "input_length": self.input_length,
            "bin_size": self.bin_size,
            "seed": self.seed,
        }


class QuantitativeDataModule(_ChunkDataModule):
    """Coverage-threshold chunks with coverage targets (paper: "coverage-threshold data").

    Parameters
    ----------
    bundle:
        Bundle folder, manifest file or loaded :class:`~benchsuite.data.manifest.Manifest`.
    cache_dir:
        Dataset cache folder (default ``$BENCHSUITE_CACHE`` or ``~/.cache/benchsuite/datasets``).
    input_length:
        Model input length (default: the manifest's ``geometry.input_length``).
    bin_size:
        Output resolution; targets are the mean coverage over non-overlapping bins.
    coverage_threshold:
        Overrides ``geometry.coverage_threshold``.
    random_shift, reverse_complement:
        Training augmentations.
    batch_size, num_workers, seed:
        Loader settings; ``seed`` fixes shuffling and augmentation.
    progress:
        Show a progress bar while preparing the cache.

    Notes
    -----
    Batches are ``(x, y)``: ``x`` float32 ``(N, 4, L)`` one-hot, ``y`` float32 ``(N, T, L // bin_size)``.
    """

    kind = "quantitative"
    target = "coverage"


class BinaryDataModule(_ChunkDataModule):
    """Peak-centred chunks with one label per target (paper: "peak-centered data").

    Parameters are those of :class:`QuantitativeDataModule` except ``bin_size`` and
    ``coverage_threshold``. Batches are ``(x, y)``: ``x`` float32 ``(N, 4, L)``, ``y`` float32
    ``(N, T)`` (1 = the central window overlaps a peak of the target).
    """

    kind = "binary"
    target = "labels"

    def __init__(
        self,
        bundle: str | Path | Manifest,
        *,
        cache_dir: str | Path | None = None,
        input_length: int | None = None,
        random_shift: bool = True,
        reverse_complement: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int = 0,
        progress: bool = True,
    ):
        super().__init__(
            bundle,
            cache_dir=cache_dir,
            input_length=input_length,
            random_shift=random_shift,
            reverse_complement=reverse_complement,
            batch_size=batch_size,
            num_workers=num_workers,
            seed=seed,
            progress=progress,
        )
