"""The two value types of the plugin API: :class:`TaskSpec` and :class:`ModelSpec`.

A plugin describes each model it offers with a :class:`ModelSpec`; benchsuite tells the
model what to predict with a :class:`TaskSpec`. Both are frozen dataclasses validated on
construction, so a malformed spec fails early with a :class:`~benchsuite.errors.PluginError`
naming the model and the field at fault.

This module must stay import-light (no torch): plugin packages import it at load time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from benchsuite.errors import PluginError

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["API_VERSION", "TASK_KINDS", "TASK_DESCRIPTIONS", "MODEL_NAME_PATTERN", "TaskSpec", "ModelSpec"]

#: version of the plugin API (``major.minor``). 1.0: ``ModelSpec(build=...)`` models trained by the
#: suite. 1.1 (backward compatible): evaluate-only models, ``ModelSpec(load=..., input_length=...,
#: output_tracks=..., target_map=...)`` — already trained, scored without training.
API_VERSION = "1.1"

#: what ``ModelSpec.target_map`` may name instead of an explicit mapping
TARGET_MAP_MODES: tuple[str, ...] = ("names", "probe")

#: the prediction tasks of the benchmark, in display order
TASK_KINDS: tuple[str, ...] = ("binary", "quantitative")

#: one line per task kind (used by ``benchsuite list`` and the docs)
TASK_DESCRIPTIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "binary": MappingProxyType(
            {
                "output": "(N, T) logits, one per target (no sigmoid)",
                "data": "peak-centered chunks; label = chunk holds a peak of the target",
                "loss": "bce",
            }
        ),
        "quantitative": MappingProxyType(
            {
                "output": "(N, T, L // bin) non-negative coverage",
                "data": "coverage-threshold chunks; targets = mean coverage per bin",
                "loss": "poisson",
            }
        ),
    }
)

#: allowed model names: lower-case letters, digits, ``.``, ``_`` and ``-``
MODEL_NAME_PATTERN = re.compile(r"[a-z0-9._-]+")

_DOTTED_PATH = re.compile(r"[A-Za-z_0-9]+(\.[A-Za-z_0-9]+)*")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class TaskSpec:
    """What a model must predict: the task kind and the tensor geometry.

    Parameters
    ----------
    kind:
        ``"binary"`` (one logit per target) or ``"quantitative"`` (coverage per bin).
    input_length:
        Length ``L`` of the one-hot input ``(N, 4, L)`` in base pairs.
    num_targets:
        Number of targets ``T`` (cell types / experiments).
    bin_size:
        Output resolution of a quantitative model in bp; ``input_length`` must be a multiple
        of it. Ignored by binary tasks.
    target_names:
        Optional names of the targets (``len == num_targets`` when given).

    Raises
    ------
    PluginError
        When a field is invalid.
    """

    kind: Literal["binary", "quantitative"]
    input_length: int
    num_targets: int
    bin_size: int = 1
    target_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        source = "TaskSpec"
        if self.kind not in TASK_KINDS:
            raise PluginError(
                f"unknown task kind {self.kind!r}", source=source, hint=f"use one of {', '.join(TASK_KINDS)}"
            )
        for name in ("input_length", "num_targets", "bin_size"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise PluginError(
                    f"{name} must be a positive integer, got {value!r}",
                    source=source,
                    hint=f"pass an int >= 1 as {name}",
                )
        if self.kind == "quantitative" and self.input_length % self.bin_size:
            raise PluginError(
                f"input_length {self.input_length} is not a multiple of bin_size {self.bin_size}",
                source=source,
                hint="choose an input length divisible by the model's output bin size",
            )
        names = tuple(self.target_names)
        if names and len(names) != self.num_targets:
            raise PluginError(
                f"{len(names)} target names given for {self.num_targets} targets",
                source=source,
                hint="give one name per target or none",
            )
        object.__setattr__(self, "target_names", tuple(str(n) for n in names))

    @property
    def num_bins(self) -> int:
        """Number of output bins of a quantitative model, ``input_length // bin_size``."""
        return self.input_length // self.bin_size

    def output_shape(self, batch: int) -> tuple[int, ...]:
        """Exact output shape for a batch of ``batch`` sequences.

        ``(batch, T)`` for binary tasks, ``(batch, T, input_length // bin_size)`` for
        quantitative ones.
        """
        if self.kind == "binary":
            return (batch, self.num_targets)
        return (batch, self.num_targets, self.num_bins)


def _freeze_mapping(value: Mapping[str, Any] | None, what: str, model: str) -> Mapping[str, Any]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise PluginError(
            f"{what} must be a mapping, got {type(value).__name__}",
            source=f"model spec {model!r}",
            hint=f"pass a dict as {what}",
        )
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise PluginError(
            f"{what} keys must be strings, got {bad[0]!r}",
            source=f"model spec {model!r}",
            hint=f"use str keys in {what}",
        )
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class ModelSpec:
    """Everything benchsuite needs to know about one model a plugin offers.

    Parameters
    ----------
    name:
        Unique model name, ``[a-z0-9._-]+`` (e.g. ``"basenji-128"``).
    build:
        ``build(task: TaskSpec, **hparams) -> torch.nn.Module``. Import torch and other heavy
        modules inside it. The module maps one-hot ``(N, 4, L)`` float32 input to ``(N, T)``
        logits (binary) or ``(N, T, L // bin_size)`` non-negative coverage (quantitative).
    tasks:
        Task kinds the model supports, a non-empty subset of ``{"binary", "quantitative"}``
        (any iterable of strings is accepted and stored as a frozenset).
    description:
        One line shown by ``benchsuite list``.
    bin_size:
        Output resolution of the quantitative head in bp (1 = base resolution).
    defaults:
        Training defaults: ``loss``, ``lr``, ``max_epochs``, ``batch_size``, ``patience``,
        ``random_shift``, ``reverse_complement``, ... A value may be given per task as a
        mapping ``{"binary": ..., "quantitative": ...}``; :meth:`defaults_for` resolves it.
    profiles:
        Profile name (``"smoke"``, ``"default"``, ``"paper"``, ...) -> keyword arguments for
        ``build`` (size scaling). A profile missing here builds with ``build``'s own defaults.
    first_layer_activation:
        Dotted path of the submodule whose output is the first-layer activation
        (e.g. ``"conv1.act"``); motif recovery hooks it. ``None`` disables motif recovery.
    load:
        Evaluate-only models (API 1.1): ``load(task: TaskSpec, **kw) -> torch.nn.Module`` returns
        the *trained* module, its weights read from a path or a cache folder the plugin manages
        (benchsuite never downloads anything). ``task`` describes the model's native geometry
        (``input_length``, ``bin_size``, ``output_tracks`` as target names). A spec gives
        ``build``, ``load`` or both; ``benchsuite run`` trains a spec with ``build`` and scores a
        load-only spec without training.
    input_length:
        Native input length of a ``load`` model in bp (required with ``load``).
    output_tracks:
        Names of the ``load`` model's outputs, in output order (required with ``load``).
    target_map:
        How the model's outputs become the benchmark's targets: ``None`` (same names or same
        count), ``"names"`` (match by track name), ``"probe"`` (a ridge probe fitted on the
        training split) or an explicit mapping ``{target: track name | index | {track: weight}}``.

    Raises
    ------
    PluginError
        When a field is invalid (the message names the model and the field).
    """

    name: str
    build: Callable[..., torch.nn.Module] | None = None
    tasks: AbstractSet[str] = frozenset()  # any iterable of task kinds; stored as a frozenset
    description: str = ""
    bin_size: int = 1
    defaults: Mapping[str, Any] = field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    first_layer_activation: str | None = None
    load: Callable[..., torch.nn.Module] | None = None
    input_length: int | None = None
    output_tracks: tuple[str, ...] = ()
    target_map: Mapping[str, Any] | str | None = None

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        """Check every field; called on construction and again when a plugin registers the spec."""
        name = self.name
        if not isinstance(name, str) or not MODEL_NAME_PATTERN.fullmatch(name):
            raise PluginError(
                f"invalid model name {name!r}",
                source="ModelSpec",
                hint="use a non-empty name of lower-case letters, digits, '.', '_' and '-'",
            )
        source = f"model spec {name!r}"
        if self.build is None and self.load is None:
            raise PluginError(
                "neither build nor load is given",
                source=source,
                hint="pass build(task, **hparams) (trained by the suite) or load(task, **kw) (trained)",
            )
        if self.build is not None and not callable(self.build):
            raise PluginError(
                f"build must be callable, got {type(self.build).__name__}",
                source=source,
                hint="pass a function build(task, **hparams) returning a torch.nn.Module",
            )
        tasks = self.tasks
        if isinstance(tasks, str) or not isinstance(tasks, Iterable):
            raise PluginError(
                f"tasks must be a set of task kinds, got {tasks!r}",
                source=source,
                hint=f'e.g. tasks={{"{TASK_KINDS[1]}"}}',
            )
        tasks = frozenset(tasks)
        unknown = sorted(str(t) for t in tasks if t not in TASK_KINDS)
        if unknown:
            raise PluginError(
                f"unknown task kind(s) {', '.join(map(repr, unknown))}",
                source=source,
                hint=f"tasks must be a non-empty subset of {{{', '.join(TASK_KINDS)}}}",
            )
        if not tasks:
            raise PluginError(
                "tasks is empty", source=source, hint=f"support at least one of {', '.join(TASK_KINDS)}"
            )
        object.__setattr__(self, "tasks", tasks)
        if not isinstance(self.description, str):
            raise PluginError("description must be a string", source=source, hint="pass a one-line str")
        if not _is_int(self.bin_size) or self.bin_size < 1:
            raise PluginError(
                f"bin_size must be a positive integer, got {self.bin_size!r}",
                source=source,
                hint="give the output resolution of the quantitative head in bp (1 = base resolution)",
            )
        object.__setattr__(self, "defaults", _freeze_mapping(self.defaults, "defaults", name))
        profiles = _freeze_mapping(self.profiles, "profiles", name)
        object.__setattr__(
            self,
            "profiles",
            MappingProxyType({p: _freeze_mapping(h, f"profiles[{p!r}]", name) for p, h in profiles.items()}),
        )
        fla = self.first_layer_activation
        if fla is not None and (not isinstance(fla, str) or not _DOTTED_PATH.fullmatch(fla)):
            raise PluginError(
                f"first_layer_activation must be a dotted module path, got {fla!r}",
                source=source,
                hint='name the submodule whose output is the first-layer activation, e.g. "conv1.act"',
            )
        self._validate_load(source)

    def _validate_load(self, source: str) -> None:
        """The evaluate-only fields: ``load``, ``input_length``, ``output_tracks``, ``target_map``."""
        if self.load is None:
            if self.input_length is not None or self.output_tracks or self.target_map is not None:
                raise PluginError(
                    "input_length, output_tracks and target_map describe a load model, but load is not given",
                    source=source,
                    hint="pass load(task, **kw) returning the trained module, or drop those fields",
                )
            return
        if not callable(self.load):
            raise PluginError(
                f"load must be callable, got {type(self.load).__name__}",
                source=source,
                hint="pass a function load(task, **kw) returning the trained torch.nn.Module",
            )
        length = self.input_length
        if not _is_int(length) or length is None or length < 1:
            raise PluginError(
                f"input_length must be a positive integer, got {length!r}",
                source=source,
                hint="give the model's native input length in bp",
            )
        if "quantitative" in self.tasks and length % self.bin_size:
            raise PluginError(
                f"input_length {length} is not a multiple of bin_size {self.bin_size}",
                source=source,
                hint="give the native input length and output bin of the loaded model",
            )
        tracks = self.output_tracks
        if isinstance(tracks, str) or not isinstance(tracks, Iterable) or not tuple(tracks):
            raise PluginError(
                f"output_tracks must be a non-empty sequence of names, got {tracks!r}",
                source=source,
                hint="name the model's outputs in output order, e.g. output_tracks=('DNASE:K562',)",
            )
        tracks = tuple(str(t) for t in tracks)
        if len(set(tracks)) != len(tracks):
            dup = next(t for t in tracks if tracks.count(t) > 1)
            raise PluginError(
                f"output track {dup!r} is named twice", source=source, hint="give each output a unique name"
            )
        object.__setattr__(self, "output_tracks", tracks)
        target_map = self.target_map
        if isinstance(target_map, str):
            if target_map not in TARGET_MAP_MODES:
                raise PluginError(
                    f"unknown target_map mode {target_map!r}",
                    source=source,
                    hint=f"use {' or '.join(map(repr, TARGET_MAP_MODES))} or a mapping target -> track",
                )
        elif target_map is not None:
            object.__setattr__(self, "target_map", _freeze_mapping(target_map, "target_map", self.name))

    @property
    def evaluate_only(self) -> bool:
        """True for an already-trained model without ``build`` (scored, never trained by the suite)."""
        return self.build is None

    def native_task(self, kind: str) -> TaskSpec:
        """The :class:`TaskSpec` a ``load`` model is loaded with: its own input length, bin and tracks."""
        if self.load is None or self.input_length is None:
            raise PluginError(
                f"model {self.name!r} has no load function",
                source=f"model spec {self.name!r}",
                hint="only evaluate-only specs (ModelSpec(load=...)) have a native task",
            )
        if kind not in self.tasks:
            raise PluginError(
                f"model {self.name!r} does not support the {kind!r} task",
                source=f"model spec {self.name!r}",
                hint=f"it supports: {', '.join(sorted(self.tasks))}",
            )
        bin_size = self.bin_size if kind == "quantitative" else 1
        tracks = tuple(self.output_tracks)
        return TaskSpec(kind, self.input_length, len(tracks), bin_size, tracks)  # type: ignore[arg-type]

    def __hash__(self) -> int:  # mappings are unhashable; the name identifies a spec
        return hash((type(self).__name__, self.name, self.bin_size, self.tasks))

    def hparams(self, profile: str) -> dict[str, Any]:
        """Keyword arguments for :attr:`build` under ``profile`` (a copy; ``{}`` if undefined)."""
        return dict(self.profiles.get(profile, {}))

    def defaults_for(self, task_kind: str) -> dict[str, Any]:
        """Training defaults for one task kind, per-task values resolved.

        A default given as ``{"binary": a, "quantitative": b}`` becomes ``a`` or ``b``; a
        per-task mapping without an entry for ``task_kind`` is left out.
        """
        resolved: dict[str, Any] = {}
        for key, value in self.defaults.items():
            if isinstance(value, Mapping) and value and set(value) <= set(TASK_KINDS):
                if task_kind in value:
                    resolved[key] = value[task_kind]
            else:
                resolved[key] = value
        return resolved

    def task_spec(
        self, kind: str, *, input_length: int, num_targets: int, target_names: Iterable[str] = ()
    ) -> TaskSpec:
        """The :class:`TaskSpec` this model is built with for ``kind`` (its own bin size)."""
        if kind not in self.tasks:
            raise PluginError(
                f"model {self.name!r} does not support the {kind!r} task",
                source=f"model spec {self.name!r}",
                hint=f"it supports: {', '.join(sorted(self.tasks))}",
            )
        bin_size = self.bin_size if kind == "quantitative" else 1
        return TaskSpec(kind, input_length, num_targets, bin_size, tuple(target_names))  # type: ignore[arg-type]
