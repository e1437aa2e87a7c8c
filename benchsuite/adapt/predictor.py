"""The adapted model: a trained model of any input length, bin and track list, seen by the harness
as a model of the benchmark's windows, bins and targets.

:class:`AdaptedModule` is a ``torch.nn.Module`` at the benchmark's geometry: ``forward`` takes
the ``(N, 4, L)`` windows, builds the model's inputs (:class:`~benchsuite.adapt.geometry.InputPlan`:
as is, with true genome context from a :class:`~benchsuite.adapt.context.GenomeLocator` around
the window's own bases — so gradients reach the window — or tiled), runs the trained model,
crops / assembles its outputs to the window, averages bins to the scored bin (resolution
adaptor) and applies the :class:`~benchsuite.adapt.targets.TargetMapping`.
:func:`adapted_predictor` wraps it in the harness's ``TorchPredictor``; the harness also gets the
module itself (saliency of the interpretation family) and its first layer (motif recovery).

Motifs: when the input is adapted (context or tiles), the first ``Conv1d`` with 4 input channels
of the model is also registered as ``window_conv`` and run on the bare window first, so that the
motif family's hooks see first-layer activations aligned with the window's bases (their ReLU;
the plugin's ``first_layer_activation`` is used when the input is not adapted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from benchsuite.adapt.context import ContextStats, GenomeLocator, pad_with_n
from benchsuite.adapt.geometry import InputPlan, output_bin, plan_input
from benchsuite.adapt.targets import TargetMapping
from benchsuite.io.onehot import N_CODE, one_hot

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.evaluate.predictors import TorchPredictor
    from benchsuite.plugins.spec import TaskSpec

__all__ = ["AdaptedModule", "adapted_predictor", "onehot_codes"]


def onehot_codes(x: np.ndarray) -> np.ndarray:
    """``(N, 4, L)`` one-hot -> ``(N, L)`` uint8 codes (all-zero columns: N)."""
    x = np.asarray(x)
    codes = x.argmax(axis=1).astype(np.uint8)
    codes[x.sum(axis=1) == 0] = N_CODE
    return codes


def _first_conv(model: torch.nn.Module) -> torch.nn.Conv1d | None:
    for module in model.modules():
        if isinstance(module, torch.nn.Conv1d) and module.in_channels == 4:
            return module
    return None


class AdaptedModule(torch.nn.Module):
    """The trained ``inner`` model at the benchmark's geometry (see the module docstring).

    Parameters
    ----------
    inner, native:
        The trained module and its native :class:`~benchsuite.plugins.spec.TaskSpec`.
    window:
        The benchmark's input length ``L``.
    dataset_bins:
        The dataset's bin sizes (:func:`~benchsuite.adapt.geometry.output_bin`).
    locator:
        Genome context for a longer model (None: the flanks are N, counted in :attr:`stats`).
    name:
        The model's name for messages.
    """

    def __init__(
        self,
        inner: torch.nn.Module,
        native: TaskSpec,
        *,
        window: int,
        dataset_bins: Sequence[int],
        locator: GenomeLocator | None = None,
        name: str = "model",
    ) -> None:
        super().__init__()
        self.kind = str(native.kind)
        self.plan: InputPlan = plan_input(
            self.kind, int(window), int(native.input_length), int(native.bin_size), model=name
        )
        conv = _first_conv(inner) if self.plan.mode != "same" else None
        if conv is not None:
            self.window_conv = conv  # registered first: the motif family's first layer
        self.inner = inner
        self.window = int(window)
        native_bin = self.plan.native_bin
        self.bin_size = self.window if self.kind == "binary" else output_bin(native_bin, window, dataset_bins)
        self.factor = 1 if self.kind == "binary" else self.bin_size // native_bin
        self.tracks = tuple(native.target_names)
        self.locator = locator
        self.stats = ContextStats()
        self.mapping: TargetMapping | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        """The benchmark targets once a mapping is set (before: the model's tracks)."""
        return self.mapping.targets if self.mapping is not None else self.tracks

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        plan = self.plan
        if plan.mode == "same":
            return x
        if plan.mode == "tile":
            idx = torch.as_tensor(np.asarray(plan.tiles)[:, None] + np.arange(plan.native)[None, :])
            tiles = x[:, :, idx.to(x.device)]  # (N, 4, k, M)
            return tiles.permute(0, 2, 1, 3).reshape(-1, 4, plan.native)
        codes = onehot_codes(x.detach().float().cpu().numpy())
        if self.locator is None:
            full = pad_with_n(codes, plan.left, plan.right, self.stats)
        else:
            full = self.locator.with_context(codes, plan.left, plan.right, self.stats)
        left = torch.from_numpy(one_hot(full[:, : plan.left])).to(device=x.device, dtype=x.dtype)
        right = torch.from_numpy(one_hot(full[:, plan.left + self.window :])).to(
            device=x.device, dtype=x.dtype
        )
        return torch.cat([left, x, right], dim=-1)

    def _outputs(self, out: torch.Tensor, n: int) -> torch.Tensor:
        plan = self.plan
        if plan.mode == "same":
            return out
        if self.kind == "binary":
            return out.reshape(n, len(plan.tiles), -1).amax(dim=1) if plan.mode == "tile" else out
        b = plan.native_bin
        if plan.mode == "context":
            first = plan.left // b
            return out[:, :, first : first + plan.window_bins]
        per = out.reshape(n, len(plan.tiles), out.shape[1], -1)
        parts, done = [], 0
        for i, start in enumerate(plan.tiles):
            s0, s1 = start // b, (start + plan.native) // b
            if s1 > done:
                parts.append(per[:, i, :, done - s0 : s1 - s0])
                done = s1
        return torch.cat(parts, dim=-1)

    def tracks_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model's tracks at the benchmark geometry (before the target mapping)."""
        if hasattr(self, "window_conv"):
            self.window_conv(x)  # lets first-layer hooks see the window itself
        out = self._outputs(self.inner(self._inputs(x)), x.shape[0])
        if self.kind == "quantitative" and self.factor > 1:
            out = torch.nn.functional.avg_pool1d(out, self.factor)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 4, L)`` -> ``(N, T, L // bin_size)`` coverage or ``(N, T)`` logits of the targets."""
        out = self.tracks_forward(x)
        mapping = self.mapping
        if mapping is None or mapping.is_identity:
            return out
        weights = torch.as_tensor(mapping.weights, dtype=out.dtype, device=out.device)
        bias = torch.as_tensor(mapping.bias, dtype=out.dtype, device=out.device)
        mapped = torch.einsum("ij,nj...->ni...", weights, out) + bias.reshape(
            (1, -1) + (1,) * (out.dim() - 2)
        )
        if mapping.link == "logit":
            p = mapped.clamp(1e-6, 1 - 1e-6)
            mapped = torch.log(p / (1 - p))
        return torch.relu(mapped) if self.kind == "quantitative" else mapped

    @torch.no_grad()
    def predict_tracks(self, x: np.ndarray, batch_size: int = 128) -> np.ndarray:
        """Numpy ``(N, 4, L)`` -> the model's tracks (before mapping), in eval mode, batched."""
        self.eval()
        try:
            device = next(self.parameters()).device
        except StopIteration:
            device = torch.device("cpu")
        outs = [
            self.tracks_forward(torch.from_numpy(np.ascontiguousarray(x[s : s + batch_size])).to(device))
            .float()
            .cpu()
            .numpy()
            for s in range(0, len(x), batch_size)
        ]
        return np.concatenate(outs, axis=0)

    def adaptation(self) -> dict[str, Any]:
        """What was adapted, for the record: input plan, resolution, context counts, mapping."""
        info: dict[str, Any] = {"input": self.plan.to_dict()}
        if self.kind == "quantitative":
            info["resolution"] = {
                "native_bin_size": self.plan.native_bin,
                "scored_bin_size": self.bin_size,
                "averaged_bins": self.factor,
            }
        if self.plan.mode == "context":
            info["context"] = {"genome": self.locator is not None, **self.stats.to_dict()}
        if self.mapping is not None:
            info["targets"] = self.mapping.to_dict()
        return info

    def context_note(self) -> str | None:
        """A sentence when some windows got N instead of genome context (None otherwise)."""
        if self.plan.mode != "context" or not self.stats.padded:
            return None
        total = self.stats.located + self.stats.padded
        why = (
            "the bundle has no genome"
            if self.locator is None
            else "not found in the bundle's genome, e.g. CAGI5 elements or synthetic sequences"
        )
        return (
            f"{self.stats.padded} of {total} windows got N instead of genome context for the model's "
            f"{self.plan.left} + {self.plan.right} extra bases ({why})"
        )


def adapted_predictor(
    module: AdaptedModule, *, device: str = "cpu", batch_size: int = 128, name: str | None = None
) -> TorchPredictor:
    """The harness's ``TorchPredictor`` of an :class:`AdaptedModule` (benchmark geometry and targets)."""
    from benchsuite.evaluate.predictors import TorchPredictor
    from benchsuite.plugins.spec import TaskSpec

    task = TaskSpec(
        module.kind,  # type: ignore[arg-type]
        module.window,
        len(module.targets),
        module.bin_size if module.kind == "quantitative" else 1,
        module.targets,
    )
    return TorchPredictor(module, task, device=device, batch_size=batch_size, name=name)
