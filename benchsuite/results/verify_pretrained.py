"""``benchsuite verify`` of a record the suite did not train (``provenance.trained_by_suite: false``).

Both modes re-score: the installed evaluate-only model is loaded (its ``load``), the hash of its
weights is compared with the record's ``provenance.weights_sha256``, and it is evaluated again
through the same adaptors on the record's dataset, with the record's evaluation profile and the
target mapping the record states (:func:`recorded_mapping`): a fitted probe is fitted again on
the training split (closed form, so the same weights), an explicit mapping is rebuilt from the
recorded weights, ``names`` matches names again, and an identity / order mapping is the plugin's
default. There is nothing to retrain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.data.cache import DatasetCache
    from benchsuite.data.manifest import Manifest
    from benchsuite.evaluate.options import EvalOptions
    from benchsuite.plugins.manager import Registry

__all__ = ["is_pretrained", "recorded_mapping", "rescore_pretrained"]


def is_pretrained(provenance: Mapping[str, Any]) -> bool:
    """Whether a record's provenance says the suite did not train the model."""
    return provenance.get("trained_by_suite") is False


def recorded_mapping(record: Mapping[str, Any]) -> Any:
    """The ``target_map`` that reproduces the record's mapping (see the module docstring)."""
    adaptation = (record.get("hyperparameters") or {}).get("adaptation") or {}
    targets = adaptation.get("targets") or {}
    mode = targets.get("mode")
    if mode in ("probe", "names"):
        return mode
    if mode == "explicit":
        tracks = list(targets.get("tracks") or [])
        return {
            target: {track: float(w) for track, w in zip(tracks, row, strict=True) if w}
            for target, row in zip(targets.get("targets") or [], targets.get("weights") or [], strict=True)
        }
    return None  # identity / order / none recorded: the plugin's default


def rescore_pretrained(
    record: Mapping[str, Any],
    registry: Registry,
    manifest: Manifest,
    cache: DatasetCache,
    options: EvalOptions,
) -> tuple[Mapping[str, Any], str]:
    """Load the installed model and score it as the record says; ``(metrics, weights hash)``.

    Raises
    ------
    ConfigError
        The installed model of that name gives no ``load`` (it is trained by the suite).
    """
    from benchsuite.adapt.pretrained import evaluate_pretrained

    name = record["model"]["name"]
    registered = registry.get(name)
    if registered.spec.load is None:
        raise ConfigError(
            f"the record says model {name!r} was not trained by the suite, but the installed "
            f"{name!r} gives no load function",
            source=registered.label,
            hint="install the evaluate-only plugin the record names (provenance.plugin)",
        )
    result, info = evaluate_pretrained(
        registered,
        record["task"],
        cache,
        manifest,
        options=options,
        target_map=recorded_mapping(record),
        map_source="the record",
    )
    return result.to_dict()["metrics"], str(info["weights_sha256"])
