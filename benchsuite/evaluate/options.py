"""Options of the harness: budgets, seeds and switches (the metric definitions are fixed)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from benchsuite.errors import ConfigError

__all__ = ["DEFAULT_THRESHOLDS", "EvalOptions"]

DEFAULT_THRESHOLDS: tuple[float, ...] = (0.0, 2.0, 4.0, 8.0, 16.0)
"""Test-set coverage thresholds: 0 keeps every tile (whole-chromosome per-sequence Pearson), 2
is the paper's training threshold, 4/8/16 move progressively towards peak-like regions."""

_SPEARMAN_CHOICES = ("auto", "exact", "histogram", "off")


@dataclass
class EvalOptions:
    """Options of the harness (the metric definitions themselves are fixed).

    Attributes
    ----------
    batch_size:
        Sequences read from the cache and predicted per step (also the TorchPredictor batch
        size in :func:`evaluate_model`).
    device:
        Torch device used by :func:`evaluate_model`.
    seed:
        Seed of the robustness chunk subset and the CAGI5 shifts (the motif-alignment subset
        always uses seed 0, so motif metrics do not depend on it).
    thresholds:
        Coverage thresholds of ``thresholded.pearson@{t}`` (default :data:`DEFAULT_THRESHOLDS`).
    robustness_shifts:
        Windows per chunk in the robustness test (paper: 20).
    robustness_max_sequences:
        Cap on the peak chunks of the robustness test (seeded choice); None for all.
    cagi5:
        Run the CAGI5 variant-effect family when the manifest has a variant set.
    cagi5_shifts:
        Random shifts of the robust CAGI5 prediction (paper: 20).
    cagi5_max_variants_per_element:
        Cap on variants per element (seeded), None for all.
    motifs:
        Run the motif-recovery family when a model and a motif database are available.
    motifs_max_sequences:
        Test sequences used to align first-layer filters (seeded subset).
    interpret:
        Run the interpretation family (simulated bundles: attributions and GIA vs the truth).
    interpret_sequences:
        Test windows holding a planted site whose gradient attributions are scored (seeded).
    interpret_ism_sequences:
        Of those, the windows whose in-silico mutagenesis map is computed.
    interpret_ism_span:
        Positions mutated per ISM window (centred on its first planted site).
    interpret_gia_backgrounds:
        Dinucleotide-shuffled backgrounds of every global importance analysis.
    interpret_distance_step, interpret_max_distance:
        Centre-to-centre distances (bp) of the cooperative-pair curves.
    interpret_control_pairs:
        Non-cooperative motif pairs scored for false cooperativity.
    bootstrap:
        Bootstrap replicates of every interval (0: no intervals); see
        :mod:`benchsuite.evaluate.stats.bootstrap`.
    bootstrap_block_bp:
        Length of the genome blocks that are resampled (shortened so the test chromosomes hold
        at least ``bootstrap_min_blocks`` blocks).
    bootstrap_min_blocks:
        Fewest blocks of the test chromosomes.
    thresholded_min_sequences:
        A ``thresholded.pearson@{t}`` resting on fewer test sequences is not applicable.
    spearman:
        Whole-chromosome Spearman method: ``"auto"`` (exact up to 2**24 positions per target,
        histogram beyond), ``"exact"``, ``"histogram"`` or ``"off"``
        (see :class:`~benchsuite.evaluate.streaming.StreamingSpearman`).
    tmp_dir:
        Folder of the Spearman spool (default: the system temporary folder).
    progress:
        Show rich progress bars.
    """

    batch_size: int = 64
    device: str = "cpu"
    seed: int = 0
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    robustness_shifts: int = 20
    robustness_max_sequences: int | None = 1000
    cagi5: bool = True
    cagi5_shifts: int = 20
    cagi5_max_variants_per_element: int | None = None
    motifs: bool = True
    motifs_max_sequences: int | None = 2000
    interpret: bool = True
    interpret_sequences: int = 200
    interpret_ism_sequences: int = 16
    interpret_ism_span: int = 120
    interpret_gia_backgrounds: int = 32
    interpret_distance_step: int = 4
    interpret_max_distance: int = 80
    interpret_control_pairs: int = 1
    bootstrap: int = 1000
    bootstrap_block_bp: int = 100_000
    bootstrap_min_blocks: int = 50
    thresholded_min_sequences: int = 30
    spearman: str = "auto"
    tmp_dir: str | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}", source="batch_size")
        if self.robustness_shifts < 2:
            raise ConfigError(
                f"robustness_shifts must be >= 2, got {self.robustness_shifts}", source="robustness_shifts"
            )
        if self.spearman not in _SPEARMAN_CHOICES:
            raise ConfigError(
                f"unknown spearman method {self.spearman!r}",
                source="spearman",
                hint=f"use one of {', '.join(_SPEARMAN_CHOICES)}",
            )
        for name in ("bootstrap_block_bp", "bootstrap_min_blocks"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}", source=name)
        if self.bootstrap < 0:
            raise ConfigError(f"bootstrap must be >= 0, got {self.bootstrap}", source="bootstrap")
        for name in ("robustness_max_sequences", "cagi5_max_variants_per_element", "motifs_max_sequences"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be >= 1 or None, got {value}", source=name)
        for name in (
            "interpret_sequences",
            "interpret_ism_span",
            "interpret_gia_backgrounds",
            "interpret_distance_step",
            "interpret_max_distance",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}", source=name)
        for name in ("interpret_ism_sequences", "interpret_control_pairs"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}", source=name)
        self.thresholds = tuple(float(t) for t in self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        d = dataclasses.asdict(self)
        d["thresholds"] = list(self.thresholds)
        return d
