"""The arithmetic of the input-length and resolution adaptors (``docs/pretrained.md``).

A benchmark window is ``L`` bp (the dataset's ``input_length``); a model reads ``M`` bp and
predicts bins of ``b`` bp. :func:`plan_input` decides how the model sees a window:

- ``M == L`` (``"same"``): the window as it is;
- ``M > L`` (``"context"``): the window with ``left`` bases of true genome context before it
  and ``right = M - L - left`` after it, ``left = floor((M - L) / 2 / b) * b`` (so the window
  starts on a model bin); a quantitative output is cropped to bins ``[left / b, (left + L) / b)``;
- ``M < L`` (``"tile"``): tiles at ``0, M, 2M, ...`` while they fit, plus one at ``L - M`` when
  ``L`` is not a multiple of ``M``; each output bin comes from the first tile covering it; a
  binary model's logit for the window is the maximum over its tiles.

:func:`output_bin` is the resolution adaptor: the benchmark scores the model at the smallest
dataset bin that is a multiple of ``b`` and divides ``L`` (its ``b``-bins averaged into it); a
coarser model keeps ``b`` and the harness scores only the bins it can serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchsuite.errors import PluginError

__all__ = ["InputPlan", "plan_input", "output_bin", "average_bins"]


@dataclass(frozen=True)
class InputPlan:
    """How an ``M``-bp model sees ``L``-bp benchmark windows (see the module docstring).

    Attributes
    ----------
    kind:
        ``"binary"`` or ``"quantitative"``.
    window, native, native_bin:
        ``L``, ``M`` and ``b`` (binary models: ``b = M``).
    mode:
        ``"same"``, ``"context"`` or ``"tile"``.
    left, right:
        Context bases before / after the window (``"context"``; else 0).
    tiles:
        Tile starts inside the window (``"tile"``; else ``(0,)``).
    """

    kind: str
    window: int
    native: int
    native_bin: int
    mode: str
    left: int = 0
    right: int = 0
    tiles: tuple[int, ...] = (0,)

    @property
    def window_bins(self) -> int:
        """Model bins per benchmark window, ``L / b`` (quantitative)."""
        return self.window // self.native_bin

    def to_dict(self) -> dict[str, object]:
        """JSON form (stored in the record)."""
        return {
            "mode": self.mode,
            "window": self.window,
            "native_input_length": self.native,
            "native_bin_size": self.native_bin,
            "left": self.left,
            "right": self.right,
            "tiles": list(self.tiles),
        }


def plan_input(kind: str, window: int, native: int, native_bin: int, *, model: str = "model") -> InputPlan:
    """The :class:`InputPlan` of an ``native``-bp model on ``window``-bp benchmark windows.

    Raises
    ------
    PluginError
        A quantitative model whose bin does not divide the window (no output bin lines up with
        the benchmark window), naming ``model``.
    """
    b = native if kind == "binary" else int(native_bin)
    if kind == "quantitative" and (window % b or native % b):
        raise PluginError(
            f"model {model!r} predicts {b}-bp bins, which do not divide the {window}-bp benchmark window",
            source=f"model {model!r}",
            hint="only models whose output bin divides the benchmark's input length can be scored",
        )
    if native == window:
        return InputPlan(kind, window, native, b, "same")
    if native > window:
        extra = native - window
        left = (extra // 2) // b * b if kind == "quantitative" else extra // 2
        return InputPlan(kind, window, native, b, "context", left=left, right=extra - left)
    tiles = list(range(0, window - native + 1, native))
    if tiles[-1] + native < window:
        tiles.append(window - native)
    return InputPlan(kind, window, native, b, "tile", tiles=tuple(tiles))


def output_bin(native_bin: int, window: int, dataset_bins: Sequence[int]) -> int:
    """The bin the benchmark scores a ``native_bin``-bp model at (resolution adaptor).

    The smallest of ``dataset_bins`` that is a multiple of ``native_bin`` and divides
    ``window``; ``native_bin`` itself when none is (a coarser model: the harness marks the bins
    it cannot serve as not applicable).
    """
    usable = sorted(int(c) for c in dataset_bins if int(c) % native_bin == 0 and window % int(c) == 0)
    return usable[0] if usable else int(native_bin)


def average_bins(out: np.ndarray, factor: int) -> np.ndarray:
    """``(N, T, K)`` -> ``(N, T, K / factor)``: consecutive groups of ``factor`` bins averaged."""
    if factor == 1:
        return out
    n, t, k = out.shape
    return out.reshape(n, t, k // factor, factor).mean(axis=-1, dtype=np.float64).astype(np.float32)
