"""The AMBER-like architecture space: per-layer operations plus skip connections.

A candidate architecture is a *choice vector*: one integer per decision of
:meth:`SearchSpace.decisions`, in this order:

1. ``stem``: the width of the stem convolution (the first, motif-detecting layer), one of
   :attr:`SearchSpace.conv_widths`;
2. for each searched layer ``i = 0 .. num_layers - 1``: ``op<i>``, the layer's operation (an
   index into :attr:`SearchSpace.operations`), then ``skip<i>_<j>`` for ``j = 0 .. i - 1``
   (``0``/``1``): whether the output of node ``j`` is added to the layer's input. Node ``0``
   is the stem's output and node ``j`` the output of layer ``j - 1``; the layer's ordinary
   input is node ``i``, so the skips reach back past it.

:func:`decode` turns a choice vector into an :class:`Architecture` (operation names, skip
lists, stem width), :meth:`Architecture.choices` back. The torch model is built by
:mod:`benchsuite.search.network` (imported lazily: this module stays free of torch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchsuite.errors import ConfigError

__all__ = ["OPERATION_KINDS", "SearchSpace", "Architecture", "decode", "default_space", "SPACE_NAME"]

#: name of the space family (stored in architecture documents)
SPACE_NAME = "amber-like"

#: what each operation token means (``conv<k>``, ``dconv<k>`` are parsed from the token)
OPERATION_KINDS: Mapping[str, str] = {
    "conv<k>": "convolution of width k, batch norm, ReLU",
    "dconv<k>": "dilated convolution of width k (dilation from the space), batch norm, ReLU",
    "maxpool": "max pooling of width 3, stride 1 (length kept)",
    "avgpool": "average pooling of width 3, stride 1 (length kept)",
    "identity": "no operation (the layer only sums its input and skips)",
}


def _check_operation(token: str) -> None:
    if token in ("maxpool", "avgpool", "identity"):
        return
    for prefix in ("dconv", "conv"):
        if token.startswith(prefix) and token[len(prefix) :].isdigit() and int(token[len(prefix) :]) >= 1:
            return
    raise ConfigError(
        f"unknown operation {token!r}",
        source="search space",
        hint="use conv<k>, dconv<k>, maxpool, avgpool or identity (e.g. conv15, dconv7)",
    )


@dataclass(frozen=True)
class SearchSpace:
    """The searched space and its fixed parts.

    Parameters
    ----------
    num_layers:
        Searched layers after the stem (each picks an operation and its skips).
    channels:
        Channels of every layer (equal, so skips add without projections).
    conv_widths:
        Widths the stem convolution may take.
    operations:
        Operation tokens of a layer (see :data:`OPERATION_KINDS`).
    dilation:
        Dilation of the ``dconv`` operations.
    downsample_every:
        Halve the length (max pool 2) after every this many layers (0 = never); skips from a
        finer resolution are max-pooled to the layer's.
    """

    num_layers: int = 4
    channels: int = 16
    conv_widths: tuple[int, ...] = (7, 15, 19)
    operations: tuple[str, ...] = ("conv7", "conv15", "conv19", "dconv7", "maxpool", "avgpool", "identity")
    dilation: int = 4
    downsample_every: int = 2
    name: str = field(default=SPACE_NAME)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conv_widths", tuple(int(w) for w in self.conv_widths))
        object.__setattr__(self, "operations", tuple(str(o) for o in self.operations))
        for key in ("num_layers", "channels", "dilation"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"search space: {key} must be a positive integer, got {value!r}",
                    source="search space",
                    hint=f"give {key} >= 1",
                )
        if self.downsample_every < 0:
            raise ConfigError(
                f"search space: downsample_every must be >= 0, got {self.downsample_every}",
                source="search space",
                hint="0 keeps the full length",
            )
        if not self.conv_widths or any(w < 1 for w in self.conv_widths):
            raise ConfigError("search space: conv_widths must be positive", source="search space")
        if not self.operations or len(set(self.operations)) != len(self.operations):
            raise ConfigError(
                "search space: operations must be a non-empty list without repeats", source="search space"
            )
        for token in self.operations:
            _check_operation(token)

    def decisions(self) -> list[tuple[str, int]]:
        """``(name, number of options)`` of every decision, in choice-vector order."""
        out = [("stem", len(self.conv_widths))]
        for i in range(self.num_layers):
            out.append((f"op{i}", len(self.operations)))
            out.extend((f"skip{i}_{j}", 2) for j in range(i))
        return out

    def size(self) -> int:
        """Number of distinct architectures of the space."""
        total = 1
        for _, n in self.decisions():
            total *= n
        return total

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored in architecture documents)."""
        return {
            "name": self.name,
            "num_layers": self.num_layers,
            "channels": self.channels,
            "conv_widths": list(self.conv_widths),
            "operations": list(self.operations),
            "dilation": self.dilation,
            "downsample_every": self.downsample_every,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSpace:
        """Inverse of :meth:`to_dict` (raises :class:`ConfigError` on bad values)."""
        known = {
            "name",
            "num_layers",
            "channels",
            "conv_widths",
            "operations",
            "dilation",
            "downsample_every",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"search space: unknown field(s) {', '.join(unknown)}",
                source="search space",
                hint=f"known fields: {', '.join(sorted(known))}",
            )
        try:
            values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(f"search space: {exc}", source="search space") from exc


@dataclass(frozen=True)
class Architecture:
    """One point of a :class:`SearchSpace`: stem width, per-layer operations and skips.

    ``skips[i]`` lists the nodes (``0`` = stem output, ``j`` = output of layer ``j - 1``)
    added to layer ``i``'s input besides its ordinary input (node ``i``).
    """

    stem_width: int
    operations: tuple[str, ...]
    skips: tuple[tuple[int, ...], ...]

    def choices(self, space: SearchSpace) -> list[int]:
        """The choice vector of this architecture in ``space`` (inverse of :func:`decode`)."""
        check_architecture(self, space)
        out = [space.conv_widths.index(self.stem_width)]
        for i, op in enumerate(self.operations):
            out.append(space.operations.index(op))
            out.extend(1 if j in self.skips[i] else 0 for j in range(i))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "stem_width": self.stem_width,
            "operations": list(self.operations),
            "skips": [list(s) for s in self.skips],
        }


def check_architecture(arch: Architecture, space: SearchSpace) -> None:
    """Raise :class:`ConfigError` unless ``arch`` is a point of ``space``."""
    if arch.stem_width not in space.conv_widths:
        raise ConfigError(
            f"stem width {arch.stem_width} is not in the space's conv widths {list(space.conv_widths)}",
            source="architecture",
        )
    if len(arch.operations) != space.num_layers or len(arch.skips) != space.num_layers:
        raise ConfigError(
            f"the architecture has {len(arch.operations)} operations and {len(arch.skips)} skip lists, "
            f"the space has {space.num_layers} layers",
            source="architecture",
            hint="give one operation and one skip list per layer",
        )
    for i, (op, skips) in enumerate(zip(arch.operations, arch.skips, strict=True)):
        if op not in space.operations:
            raise ConfigError(
                f"layer {i}: operation {op!r} is not in the space",
                source="architecture",
                hint=f"use one of {', '.join(space.operations)}",
            )
        bad = [j for j in skips if not isinstance(j, int) or isinstance(j, bool) or not 0 <= j < i]
        if bad or len(set(skips)) != len(skips):
            raise ConfigError(
                f"layer {i}: skips {list(skips)} must be distinct earlier nodes 0..{i - 1}",
                source="architecture",
                hint="node 0 is the stem output, node j the output of layer j-1",
            )


def decode(choices: Sequence[int], space: SearchSpace) -> Architecture:
    """The :class:`Architecture` of a choice vector (see the module docstring for the order)."""
    decisions = space.decisions()
    if len(choices) != len(decisions):
        raise ConfigError(
            f"a choice vector of this space has {len(decisions)} entries, got {len(choices)}",
            source="architecture",
        )
    for (name, n), c in zip(decisions, choices, strict=True):
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n:
            raise ConfigError(f"decision {name}: choice {c!r} is not in 0..{n - 1}", source="architecture")
    pos = 1
    operations: list[str] = []
    skips: list[tuple[int, ...]] = []
    for i in range(space.num_layers):
        operations.append(space.operations[choices[pos]])
        bits = choices[pos + 1 : pos + 1 + i]
        skips.append(tuple(j for j, bit in enumerate(bits) if bit))
        pos += 1 + i
    return Architecture(space.conv_widths[choices[0]], tuple(operations), tuple(skips))


def default_space(profile: str) -> SearchSpace:
    """The space searched under a training profile: small for ``smoke``, CPU-sized otherwise."""
    if profile == "smoke":
        return SearchSpace(num_layers=3, channels=8)
    return SearchSpace(num_layers=6, channels=32)
