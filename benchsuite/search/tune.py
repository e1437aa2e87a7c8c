"""Hyperparameter tuning of a registered model through the search machinery.

``benchsuite search --tune MODEL --tune-space FILE`` searches a declared space of build
hyperparameters (channels, dropout, ... any keyword of the model's ``build``) and training
settings (the model's default learning rate and its schedule, augmentations) with the same
architects, journal, budgets, W&B grouping, resumption and shards as the architecture search,
on the train and validation splits only. The result is a *tuned profile* for that model
(``<out>/tuned.json``), not a new model name; :func:`tuned_spec` applies it to the model's spec.

The space file (YAML or JSON)::

    build:                                   # keyword arguments of the model's build
      bottleneck: {choices: [48, 96, 192]}
      conv_dropout: {choices: [[0.1, 0.1, 0.2], [0.2, 0.2, 0.3]]}
    training:                                # the model's defaults (before the profile's lr scale)
      lr: {low: 3.0e-4, high: 3.0e-3, log: true, steps: 5}   # a grid of 5 values

Every parameter is a list of values (``choices``, or ``steps`` grid points from ``low`` to
``high``, geometric with ``log: true``), so a tuning space offers decisions like an
architecture space and every architect (random, tpe, controller) searches it unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchsuite.errors import InputFileError
from benchsuite.io.atomic import atomic_write

__all__ = [
    "TUNED_FORMAT",
    "TUNED_NAME",
    "TRAINING_KEYS",
    "Param",
    "TuneSpace",
    "read_tune_space",
    "tuned_spec",
    "write_tuned",
]

TUNED_FORMAT = "benchsuite-tuned-profile"
TUNED_NAME = "tuned.json"
#: training settings a tuning space may set (keys of ``ModelSpec.defaults``)
TRAINING_KEYS = ("lr", "lr_factor", "lr_patience", "random_shift", "reverse_complement")


@dataclass(frozen=True)
class Param:
    """One tuned parameter: where it goes (``build`` or ``training``), its name and values."""

    target: str
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class TuneSpace:
    """A declared tuning space (see the module docstring)."""

    params: tuple[Param, ...]
    name: str = "tune"

    def decisions(self) -> list[tuple[str, int]]:
        """``(target.name, number of values)`` per parameter, like an architecture space."""
        return [(f"{p.target}.{p.name}", len(p.values)) for p in self.params]

    def values(self, choices: Sequence[int]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(build overrides, training overrides)`` of a choice vector."""
        build: dict[str, Any] = {}
        training: dict[str, Any] = {}
        for param, choice in zip(self.params, choices, strict=True):
            (build if param.target == "build" else training)[param.name] = param.values[int(choice)]
        return build, training

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored in ``search.json`` and the tuned profile)."""
        out: dict[str, dict[str, Any]] = {"build": {}, "training": {}}
        for p in self.params:
            out[p.target][p.name] = {"choices": list(p.values)}
        return out


def _values(spec: Any, where: str, path: Path) -> tuple[Any, ...]:
    def fail(message: str) -> InputFileError:
        return InputFileError(
            f"tuning space: {where}: {message}",
            source=path,
            hint="give {choices: [...]} or {low: A, high: B, steps: N, log: true|false}",
        )

    if not isinstance(spec, Mapping):
        raise fail(f"expected a mapping, got {type(spec).__name__}")
    if "choices" in spec:
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise fail("choices must be a non-empty list")
        return tuple(choices)
    try:
        low, high = float(spec["low"]), float(spec["high"])
        steps = int(spec.get("steps", 5))
    except (KeyError, TypeError, ValueError):
        raise fail("a range needs numeric low and high") from None
    log = bool(spec.get("log", False))
    if steps < 2 or not low < high or (log and low <= 0):
        raise fail(f"bad range low={low}, high={high}, steps={steps}{', log' if log else ''}")
    if log:
        grid = [
            math.exp(math.log(low) + i * (math.log(high) - math.log(low)) / (steps - 1)) for i in range(steps)
        ]
    else:
        grid = [low + i * (high - low) / (steps - 1) for i in range(steps)]
    return tuple(float(f"{v:.6g}") for v in grid)


def read_tune_space(path: str | Path) -> TuneSpace:
    """Read a tuning space file; :class:`InputFileError` naming the file on any problem."""
    import yaml

    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"cannot read the tuning space ({exc.strerror})", source=source) from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"tuning space: invalid YAML ({exc})", source=source) from None
    if not isinstance(data, Mapping) or not set(data) <= {"build", "training"} or not data:
        raise InputFileError(
            "tuning space: expected a mapping with 'build' and/or 'training'",
            source=source,
            hint="see docs/search.md, 'Hyperparameter tuning'",
        )
    params: list[Param] = []
    for target in ("build", "training"):
        section = data.get(target) or {}
        if not isinstance(section, Mapping):
            raise InputFileError(f"tuning space: {target} must be a mapping", source=source)
        for name, spec in section.items():
            if target == "training" and name not in TRAINING_KEYS:
                raise InputFileError(
                    f"tuning space: training.{name} cannot be tuned",
                    source=source,
                    hint=f"training keys: {', '.join(TRAINING_KEYS)} (budgets belong to the profile)",
                )
            params.append(Param(target, str(name), _values(spec, f"{target}.{name}", source)))
    if not params:
        raise InputFileError("tuning space: no parameter to tune", source=source)
    return TuneSpace(tuple(params))


def tuned_spec(spec: Any, build: Mapping[str, Any], training: Mapping[str, Any], size_profile: str) -> Any:
    """``spec`` with the build overrides in ``size_profile`` and the training overrides in its defaults."""
    profiles = {name: dict(h) for name, h in spec.profiles.items()}
    profiles[size_profile] = {**spec.hparams(size_profile), **dict(build)}
    return dataclasses.replace(spec, profiles=profiles, defaults={**dict(spec.defaults), **dict(training)})


def write_tuned(path: Path, payload: Mapping[str, Any]) -> Path:
    """Write a tuned profile atomically."""
    with atomic_write(path) as fh:
        json.dump({"format": TUNED_FORMAT, "version": 1, **dict(payload)}, fh, indent=2, default=list)
        fh.write("\n")
    return path


#: ``evaluator(spec, folder, logger) -> CandidateResult`` of a tuning candidate
TuneEvaluator = Callable[[Any, Path, Any], Any]
