"""What the harness evaluates: the :class:`Predictor` protocol and its two implementations.

A predictor maps one-hot sequences ``(N, 4, L)`` (float32, A/C/G/T rows) to numpy float32
predictions: ``(N, T, L // bin_size)`` coverage for quantitative predictors, ``(N, T)``
pre-sigmoid logits for binary ones (whose ``bin_size`` is ``input_length``: one value per
input window). :class:`TorchPredictor` wraps a trained plugin model; :class:`OraclePredictor`
wraps the simulator's oracle (the ceiling of simulated benchmarks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from benchsuite.errors import ConfigError, ModelContractError
from benchsuite.evaluate.stats import bin_average

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from benchsuite.plugins.spec import TaskSpec

__all__ = ["OraclePredictor", "Predictor", "TorchPredictor", "check_predictions"]

logger = logging.getLogger(__name__)


@runtime_checkable
class Predictor(Protocol):
    """The interface the harness evaluates.

    Attributes
    ----------
    kind:
        ``"binary"`` or ``"quantitative"``.
    bin_size:
        Output bin in bp (binary predictors: ``input_length``).
    input_length:
        Input length ``L`` in bp.
    target_names:
        Names of the ``T`` outputs, in output order.
    """

    kind: str
    bin_size: int
    input_length: int
    target_names: tuple[str, ...]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(N, 4, L)`` float32 one-hot -> ``(N, T, L // bin_size)`` or ``(N, T)`` float32."""
        ...


def expected_shape(kind: str, n: int, num_targets: int, input_length: int, bin_size: int) -> tuple[int, ...]:
    """Output shape of a predictor for a batch of ``n`` sequences."""
    if kind == "binary":
        return (n, num_targets)
    return (n, num_targets, input_length // bin_size)


def check_predictions(pred: np.ndarray, shape: tuple[int, ...], kind: str, *, name: str) -> np.ndarray:
    """Validate a batch of predictions against the tensor contract.

    Parameters
    ----------
    pred:
        The predictions.
    shape:
        Expected shape.
    kind:
        ``"binary"`` or ``"quantitative"`` (quantitative output must be non-negative).
    name:
        Model name for the error message.

    Returns
    -------
    numpy.ndarray
        The predictions as float32.

    Raises
    ------
    ModelContractError
        Wrong shape, NaN/inf values, or negative coverage.
    """
    pred = np.asarray(pred)
    if pred.shape != tuple(shape):
        raise ModelContractError(
            f"predictions have shape {pred.shape}, expected {tuple(shape)}",
            source=name,
            hint="binary models return (N, T) logits, quantitative ones (N, T, input_length // bin_size)",
        )
    pred = pred.astype(np.float32, copy=False)
    finite = np.isfinite(pred)
    if not finite.all():
        bad = int(pred.size - np.count_nonzero(finite))
        raise ModelContractError(
            f"{bad} of {pred.size} predictions are NaN or infinite",
            source=name,
            hint="check the checkpoint (a diverged training run?) and the model's numerics",
        )
    if kind == "quantitative" and pred.size and float(pred.min()) < 0:
        raise ModelContractError(
            f"quantitative predictions must be non-negative coverage, got {float(pred.min()):.4g}",
            source=name,
            hint="end the quantitative head with softplus, ReLU or exp",
        )
    return pred


class TorchPredictor:
    """Predictor around a torch model that follows the plugin tensor contract.

    The model is put in eval mode and moved to ``device``; predictions run under
    ``torch.inference_mode`` in batches of ``batch_size`` and come back as numpy float32.
    Every batch is checked: wrong shape, NaN/inf or negative coverage raise
    :class:`~benchsuite.errors.ModelContractError` naming the model.

    Parameters
    ----------
    model:
        A ``torch.nn.Module`` built by a plugin.
    task:
        The :class:`~benchsuite.plugins.spec.TaskSpec` it was built for (kind, input length,
        number of targets, bin size, target names).
    device:
        Torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...).
    batch_size:
        Sequences per forward pass.
    name:
        Name used in error messages (default: the model's class name).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        task: TaskSpec,
        *,
        device: str = "cpu",
        batch_size: int = 128,
        name: str | None = None,
    ) -> None:
        import torch

        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}", source="batch_size")
        self.kind = str(task.kind)
        self.input_length = int(task.input_length)
        self.num_targets = int(task.num_targets)
        self.bin_size = self.input_length if self.kind == "binary" else int(task.bin_size)
        names = tuple(getattr(task, "target_names", ()) or ())
        self.target_names = names or tuple(f"target{i}" for i in range(self.num_targets))
        self.batch_size = int(batch_size)
        self.name = name or type(model).__name__
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ConfigError(f"invalid torch device {device!r}: {exc}", source="device") from exc
        self.model = model.to(self.device).eval()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predict a batch of one-hot sequences.

        Parameters
        ----------
        x:
            ``(N, 4, input_length)`` float32 one-hot.

        Returns
        -------
        numpy.ndarray
            ``(N, T, input_length // bin_size)`` coverage or ``(N, T)`` logits, float32.
        """
        import torch

        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[1] != 4 or x.shape[2] != self.input_length:
            raise ValueError(f"expected one-hot input of shape (N, 4, {self.input_length}), got {x.shape}")
        outs = []
        with torch.inference_mode():
            for s in range(0, x.shape[0], self.batch_size):
                xb = torch.from_numpy(np.ascontiguousarray(x[s : s + self.batch_size])).to(self.device)
                out = self.model(xb)
                if not isinstance(out, torch.Tensor):
                    raise ModelContractError(
                        f"forward() returned {type(out).__name__}, expected a tensor",
                        source=self.name,
                        hint="return a single tensor from forward()",
                    )
                out_np = out.detach().float().cpu().numpy()
                shape = expected_shape(
                    self.kind, xb.shape[0], self.num_targets, self.input_length, self.bin_size
                )
                outs.append(check_predictions(out_np, shape, self.kind, name=self.name))
        if not outs:
            return np.zeros(
                expected_shape(self.kind, 0, self.num_targets, self.input_length, self.bin_size), np.float32
            )
        return np.concatenate(outs, axis=0)


class OraclePredictor:
    """Predictor around the simulator's oracle (expected coverage of any sequence).

    Parameters
    ----------
    oracle:
        Object with ``target_names`` and ``__call__(x_onehot (N, 4, L)) -> (N, T, L)``, i.e.
        :class:`benchsuite.simulate.oracle.Oracle`.
    input_length:
        Input length of the windows the harness sends.
    bin_size:
        Output resolution: base-resolution oracle coverage is averaged into bins of this size.
    target_names:
        Output targets in this order (default: the oracle's). Lets the oracle's targets be
        matched to a dataset's target order by name.
    name:
        Name used in error messages.
    """

    kind = "quantitative"

    def __init__(
        self,
        oracle: Any,
        input_length: int,
        bin_size: int = 1,
        target_names: Sequence[str] | None = None,
        *,
        name: str = "oracle",
    ) -> None:
        if input_length % bin_size:
            raise ConfigError(
                f"input_length {input_length} is not a multiple of bin_size {bin_size}",
                source="bin_size",
                hint="choose a bin size that divides the input length",
            )
        self.oracle = oracle
        self.input_length = int(input_length)
        self.bin_size = int(bin_size)
        self.name = name
        own = tuple(str(n) for n in oracle.target_names)
        wanted = tuple(str(n) for n in target_names) if target_names is not None else own
        missing = [n for n in wanted if n not in own]
        if missing:
            raise ConfigError(
                f"the oracle has no target(s) {', '.join(missing)} (it has {', '.join(own)})",
                source=name,
                hint="use the oracle of the bundle the dataset was built from",
            )
        self.target_names = wanted
        self._index = np.array([own.index(n) for n in wanted], dtype=np.intp)
        self._identity = wanted == own

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``(N, 4, L)`` one-hot -> ``(N, T, L // bin_size)`` float32 expected coverage."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[1] != 4 or x.shape[2] != self.input_length:
            raise ValueError(f"expected one-hot input of shape (N, 4, {self.input_length}), got {x.shape}")
        out = np.asarray(self.oracle(x), dtype=np.float32)
        if out.ndim != 3 or out.shape[0] != x.shape[0] or out.shape[2] != self.input_length:
            raise ModelContractError(
                f"oracle output has shape {out.shape}, expected (N, T, {self.input_length})",
                source=self.name,
            )
        if not self._identity:
            out = out[:, self._index]
        out = bin_average(out, self.bin_size)
        shape = expected_shape(
            "quantitative", x.shape[0], len(self.target_names), self.input_length, self.bin_size
        )
        return check_predictions(out, shape, "quantitative", name=self.name)
