"""``benchsuite run --tuned FILE``: train and score a model with a tuned profile.

``benchsuite search --tune MODEL`` writes a *tuned profile* (``tuned.json``): the build and
training overrides that won on the validation split, for one (model, task, profile). It is not
a new model: ``run --tuned FILE`` trains the registered model with the overrides applied
(:func:`benchsuite.search.tune.tuned_spec`) from scratch with the standard budget of the profile,
scores it with the fixed harness, and writes the cell to its own folder
(``<model>+tuned-<sha8>/<task>/seed<k>/``) so it never replaces the untuned record. The
record's ``hyperparameters.tuned`` names the profile (its SHA-256, the overrides, the search
that found them), and the leaderboard shows the row as ``MODEL (tuned)``, next to the untuned one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError, InputFileError

if TYPE_CHECKING:
    from benchsuite.plugins.manager import RegisteredModel, Registry
    from benchsuite.run.matrix import Cell

__all__ = ["TunedProfile", "apply_tuned", "read_tuned", "record_variant", "rewrite_tuned", "tuned_cells"]

#: how a tuned cell's variant (folder suffix, board row) starts
VARIANT_PREFIX = "tuned-"


@dataclass(frozen=True)
class TunedProfile:
    """One ``tuned.json``: the model, task and profile it is for and the overrides that won."""

    path: Path
    model: str
    task: str
    profile: str
    size_profile: str
    build: Mapping[str, Any]
    training: Mapping[str, Any]
    sha256: str
    search: Mapping[str, Any] = field(default_factory=dict)
    bundle: Mapping[str, Any] = field(default_factory=dict)

    @property
    def variant(self) -> str:
        """``tuned-<first 8 hex digits of the file's SHA-256>``."""
        return VARIANT_PREFIX + self.sha256[:8]

    def provenance(self) -> dict[str, Any]:
        """What the record's ``hyperparameters.tuned`` says about this profile."""
        return {
            "variant": self.variant,
            "sha256": self.sha256,
            "file": self.path.name,
            "model": self.model,
            "task": self.task,
            "profile": self.profile,
            "size_profile": self.size_profile,
            "build": dict(self.build),
            "training": dict(self.training),
            "search": dict(self.search),
            "bundle": dict(self.bundle),
        }


def read_tuned(path: str | Path) -> TunedProfile:
    """Read and check a tuned profile written by ``benchsuite search --tune``.

    Raises
    ------
    InputFileError
        Missing or unreadable file, not a tuned profile, or a missing/ill-typed field.
    """
    from benchsuite.search.tune import TRAINING_KEYS, TUNED_FORMAT

    source = Path(path)
    try:
        raw = source.read_bytes()
        doc = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise InputFileError(
            f"cannot read the tuned profile: {exc}",
            source=source,
            hint="pass the tuned.json written by `benchsuite search --tune MODEL --tune-space FILE`",
        ) from exc
    if not isinstance(doc, dict) or doc.get("format") != TUNED_FORMAT or doc.get("version") != 1:
        raise InputFileError(
            f"not a tuned profile (expected format {TUNED_FORMAT!r}, version 1)",
            source=source,
            hint="pass the tuned.json written by `benchsuite search --tune`",
        )
    for key, kind in (("model", str), ("task", str), ("profile", str), ("size_profile", str)):
        if not isinstance(doc.get(key), kind) or not doc[key]:
            raise InputFileError(f"tuned profile: {key!r} must be a non-empty string", source=source)
    for key in ("build", "training"):
        if not isinstance(doc.get(key), dict):
            raise InputFileError(f"tuned profile: {key!r} must be a mapping", source=source)
    unknown = sorted(set(doc["training"]) - set(TRAINING_KEYS))
    if unknown:
        raise InputFileError(
            f"tuned profile: unknown training settings {unknown}",
            source=source,
            hint=f"a tuned profile may set {', '.join(TRAINING_KEYS)}",
        )
    return TunedProfile(
        path=source,
        model=doc["model"],
        task=doc["task"],
        profile=doc["profile"],
        size_profile=doc["size_profile"],
        build=doc["build"],
        training=doc["training"],
        sha256=hashlib.sha256(raw).hexdigest(),
        search=doc.get("search") or {},
        bundle=doc.get("bundle") or {},
    )


def tuned_cells(paths: Sequence[str | Path], registry: Registry, profile: str) -> list[Cell]:
    """The cells of ``run --tuned FILE ...``: one per file, checked against the registry and profile.

    Raises
    ------
    ConfigError
        The model is not registered or lacks the task, the profile differs from the run's, or two
        files tune the same (model, task).
    """
    from benchsuite.run.matrix import Cell

    cells: list[Cell] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in paths:
        tuned = read_tuned(path)
        if tuned.model not in registry.models:
            raise ConfigError(
                f"{path}: model {tuned.model!r} is not registered",
                source="--tuned",
                hint="install its plugin (`benchsuite list` shows the models)",
            )
        if tuned.task not in registry.models[tuned.model].spec.tasks:
            raise ConfigError(f"{path}: model {tuned.model!r} has no {tuned.task!r} task", source="--tuned")
        if tuned.profile != profile:
            raise ConfigError(
                f"{path} was tuned under profile {tuned.profile!r}, this run uses {profile!r}",
                source="--tuned",
                hint=f"run with --profile {tuned.profile}, or tune again under {profile!r}",
            )
        key = (tuned.model, tuned.task)
        if key in seen:
            raise ConfigError(
                f"{path} and {seen[key]} both tune {tuned.model}/{tuned.task}",
                source="--tuned",
                hint="pass one tuned profile per (model, task) and run",
            )
        seen[key] = Path(path)
        cells.append(Cell(tuned.model, tuned.task, variant=tuned.variant))
    return sorted(cells)


def apply_tuned(registered: RegisteredModel, cell: Cell, paths: Sequence[str | Path]) -> RegisteredModel:
    """``registered`` with the tuned profile of ``cell`` applied (unchanged for an untuned cell)."""
    from benchsuite.search.tune import tuned_spec

    if not cell.variant:
        return registered
    for path in paths:
        tuned = read_tuned(path)
        if (tuned.model, tuned.task, tuned.variant) == (cell.model, cell.task, cell.variant):
            spec = tuned_spec(registered.spec, tuned.build, tuned.training, tuned.size_profile)
            return replace(registered, spec=spec, tuned=tuned.provenance())
    raise ConfigError(f"no tuned profile of {cell} among --tuned", source="--tuned")


def rewrite_tuned(record: Mapping[str, Any], folder: Path) -> Path | None:
    """The tuned profile of a tuned cell's record, written again into ``folder`` (``benchsuite
    verify`` re-runs the cell with it), or None for an untuned record."""
    from benchsuite.search.tune import write_tuned

    tuned = (record.get("hyperparameters") or {}).get("tuned")
    if not isinstance(tuned, Mapping):
        return None
    keys = ("model", "task", "profile", "size_profile", "build", "training", "search", "bundle")
    folder.mkdir(parents=True, exist_ok=True)
    return write_tuned(folder / "tuned.json", {key: tuned.get(key) for key in keys})


def record_variant(record: Mapping[str, Any]) -> str:
    """The variant of a result record: ``tuned-<sha8>`` for a tuned cell, else ``""``."""
    tuned = (record.get("hyperparameters") or {}).get("tuned")
    return str(tuned.get("variant") or "") if isinstance(tuned, Mapping) else ""
