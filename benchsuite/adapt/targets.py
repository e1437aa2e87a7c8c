"""Target mapping: how a trained model's output tracks become the benchmark's targets.

A :class:`TargetMapping` is a matrix ``W`` (benchmark targets x model tracks) and a bias; the
benchmark's prediction of target ``i`` is ``sum_j W[i, j] * track_j + bias[i]`` (clipped at 0
for coverage). Modes, each stored in the record:

- ``"identity"``: the model's tracks are the benchmark's targets (same names, same order);
- ``"order"``: same number of tracks and targets, names differ: paired by position (stated);
- ``"names"``: each target matched to the one track whose name equals it, or whose ``:``, ``|``
  or ``/``-separated fields include it (case, ``-``, ``_``, ``.`` and spaces ignored);
- ``"explicit"``: ``{target: track name | track index | {track: weight, ...}}`` from the plugin
  (``ModelSpec.target_map``) or a YAML file (``benchsuite evaluate --map FILE``);
- ``"probe"``: a ridge regression fitted on the training split only (:mod:`benchsuite.adapt.probe`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import ConfigError, PluginError

__all__ = ["TargetMapping", "explicit_mapping", "names_mapping", "default_mapping", "read_mapping_file"]


@dataclass(frozen=True)
class TargetMapping:
    """``W`` (``len(targets)`` x ``len(tracks)``) and ``bias``; see the module docstring."""

    mode: str
    targets: tuple[str, ...]
    tracks: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray = field(default_factory=lambda: np.zeros(0))
    info: Mapping[str, Any] = field(default_factory=dict)
    link: str = "identity"  # "logit": a probe's fitted probability, turned into a logit

    def __post_init__(self) -> None:
        if not len(self.bias):
            object.__setattr__(self, "bias", np.zeros(len(self.targets)))

    @property
    def row_kind(self) -> str:
        """``"probed"`` for a fitted probe, else ``"mapped"`` (what the board marks)."""
        return "probed" if self.mode == "probe" else "mapped"

    @property
    def is_identity(self) -> bool:
        return self.mode == "identity"

    def apply(self, out: np.ndarray, kind: str) -> np.ndarray:
        """``(N, T_model[, bins])`` -> ``(N, T_benchmark[, bins])`` float32."""
        if self.is_identity:
            return out
        mapped = np.einsum("ij,nj...->ni...", self.weights, out.astype(np.float64))
        bias = self.bias.reshape((1, -1) + (1,) * (out.ndim - 2))
        mapped = mapped + bias
        if self.link == "logit":
            p = np.clip(mapped, 1e-6, 1 - 1e-6)
            mapped = np.log(p / (1 - p))
        if kind == "quantitative":
            mapped = np.maximum(mapped, 0.0)
        return mapped.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the record's ``hyperparameters.adaptation.targets``)."""
        return {
            "mode": self.mode,
            "row_kind": self.row_kind,
            "targets": list(self.targets),
            "tracks": list(self.tracks),
            "weights": [[float(v) for v in row] for row in np.asarray(self.weights)],
            "bias": [float(v) for v in self.bias],
            "link": self.link,
            **dict(self.info),
        }


def _norm(name: str) -> str:
    return re.sub(r"[-_.\s]+", "", str(name)).lower()


def _missing_track(plugin: str, model: str, target: str, track: object, tracks: Sequence[str]) -> PluginError:
    return PluginError(
        f"model {model!r} maps target {target!r} to track {track!r}, which it does not output",
        source=f"plugin {plugin!r}",
        hint=f"its output tracks are: {', '.join(tracks)}",
    )


def _track_index(value: object, tracks: Sequence[str], plugin: str, model: str, target: str) -> int:
    if isinstance(value, bool):
        raise _missing_track(plugin, model, target, value, tracks)
    if isinstance(value, int):
        if not 0 <= value < len(tracks):
            raise _missing_track(plugin, model, target, value, tracks)
        return value
    if isinstance(value, str) and value in tracks:
        return list(tracks).index(value)
    raise _missing_track(plugin, model, target, value, tracks)


def explicit_mapping(
    mapping: Mapping[str, Any],
    targets: Sequence[str],
    tracks: Sequence[str],
    *,
    plugin: str,
    model: str,
    source: str = "plugin",
) -> TargetMapping:
    """The ``"explicit"`` mapping ``{target: track | index | {track: weight}}``; every target mapped.

    Raises
    ------
    PluginError
        A target mapped to a track the model does not output (naming the plugin and the track),
        a benchmark target left unmapped, or a mapping key that is no benchmark target.
    """
    targets, tracks = tuple(targets), tuple(tracks)
    unknown = [t for t in mapping if t not in targets]
    if unknown:
        raise PluginError(
            f"the target mapping of model {model!r} names {unknown[0]!r}, not a target of this bundle",
            source=f"plugin {plugin!r}",
            hint=f"the bundle's targets are: {', '.join(targets)}",
        )
    weights = np.zeros((len(targets), len(tracks)))
    for i, target in enumerate(targets):
        if target not in mapping:
            raise PluginError(
                f"the target mapping of model {model!r} does not map target {target!r}",
                source=f"plugin {plugin!r}",
                hint="map every benchmark target to a track, an index or {track: weight}",
            )
        value = mapping[target]
        pairs = value.items() if isinstance(value, Mapping) else [(value, 1.0)]
        for track, weight in pairs:
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise PluginError(
                    f"target {target!r}: weight of track {track!r} is {weight!r}, not a number",
                    source=f"plugin {plugin!r}",
                    hint="write {track: weight} with numeric weights",
                )
            weights[i, _track_index(track, tracks, plugin, model, target)] += float(weight)
    return TargetMapping("explicit", targets, tracks, weights, info={"from": source})


def names_mapping(targets: Sequence[str], tracks: Sequence[str], *, plugin: str, model: str) -> TargetMapping:
    """The ``"names"`` mapping: each target to the one track named after it (module docstring).

    Raises
    ------
    PluginError
        A target that matches no track or several (naming the plugin and the target).
    """
    targets, tracks = tuple(targets), tuple(tracks)
    weights = np.zeros((len(targets), len(tracks)))
    for i, target in enumerate(targets):
        key = _norm(target)
        exact = [j for j, t in enumerate(tracks) if _norm(t) == key]
        fields = [j for j, t in enumerate(tracks) if key in {_norm(f) for f in re.split(r"[:|/]", t)}]
        hits = exact or fields
        if len(hits) != 1:
            what = "no track" if not hits else f"{len(hits)} tracks ({', '.join(tracks[j] for j in hits)})"
            raise PluginError(
                f"target {target!r} matches {what} of model {model!r} by name",
                source=f"plugin {plugin!r}",
                hint="give an explicit target_map (or --map FILE), or fit a probe (--map probe)",
            )
        weights[i, hits[0]] = 1.0
    return TargetMapping("names", targets, tracks, weights)


def default_mapping(
    targets: Sequence[str], tracks: Sequence[str], *, plugin: str, model: str
) -> TargetMapping:
    """No mapping given: identity (same names), else by names, else by output order (same count)."""
    targets, tracks = tuple(targets), tuple(tracks)
    if targets == tracks:
        return TargetMapping("identity", targets, tracks, np.eye(len(targets)))
    try:
        return names_mapping(targets, tracks, plugin=plugin, model=model)
    except PluginError:
        if len(targets) != len(tracks):
            raise
    return TargetMapping(
        "order",
        targets,
        tracks,
        np.eye(len(targets)),
        info={"note": "names differ; track i scored as target i (same count)"},
    )


def read_mapping_file(path: str | Path) -> Mapping[str, Any] | str:
    """A YAML mapping file: ``targets: {target: track | index | {track: weight}}`` or ``mode: names|probe``.

    Raises
    ------
    ConfigError
        The file is missing, not YAML, or has neither ``targets`` nor ``mode``.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "mapping file not found", source=path, hint="pass a YAML file with a targets: block"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=path, hint="fix the YAML syntax") from exc
    if isinstance(data, Mapping) and isinstance(data.get("targets"), Mapping):
        return dict(data["targets"])
    if isinstance(data, Mapping) and data.get("mode") in ("names", "probe"):
        return str(data["mode"])
    raise ConfigError(
        "a mapping file needs a 'targets:' mapping or 'mode: names' / 'mode: probe'",
        source=path,
        hint="e.g. targets: {celltype_A: DNASE:A, celltype_B: {DNASE:B1: 0.5, DNASE:B2: 0.5}}",
    )
