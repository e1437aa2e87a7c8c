"""The model tensor-contract check: a dry batch through the model, its output checked.

torch is imported when :func:`check_model_contract` is called, not at module import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchsuite.errors import ModelContractError
from benchsuite.plugins.spec import ModelSpec, TaskSpec

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["check_model_contract"]


def _dry_batch(task: TaskSpec, batch: int, seed: int) -> torch.Tensor:
    import torch

    generator = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, 4, (batch, task.input_length), generator=generator)
    return torch.nn.functional.one_hot(codes, 4).permute(0, 2, 1).to(torch.float32).contiguous()


def check_model_contract(
    model: torch.nn.Module,
    spec: ModelSpec,
    task: TaskSpec,
    *,
    plugin: str,
    batch_size: int = 2,
    seed: int = 0,
) -> None:
    """Run ``model`` on a dry batch and check the tensor contract.

    A batch of ``batch_size`` random one-hot sequences ``(N, 4, task.input_length)`` goes
    through the model in eval mode under ``torch.no_grad`` (the training mode is restored
    afterwards). The output must be a floating-point tensor of exactly
    ``task.output_shape(N)``, finite, and (quantitative) non-negative.

    Raises
    ------
    ModelContractError
        Naming the plugin and the model, with the expected and the actual shape / dtype /
        offending values.
    """
    import torch

    source = f"plugin {plugin!r}"
    geometry = f"input_length={task.input_length}, num_targets={task.num_targets}"
    if task.kind == "quantitative":
        geometry += f", bin_size={task.bin_size}"
    where = f"model {spec.name!r} ({task.kind} task, {geometry})"
    expected = task.output_shape(batch_size)
    x = _dry_batch(task, batch_size, seed)
    try:
        first = next(model.parameters())
        x = x.to(first.device)
    except StopIteration:
        pass
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as exc:
        raise ModelContractError(
            f"{where} raised {type(exc).__name__} on a dry batch of shape {tuple(x.shape)}: {exc}",
            source=source,
            hint=f"the model must map (N, 4, {task.input_length}) one-hot input to {expected}",
        ) from exc
    finally:
        model.train(was_training)

    if not isinstance(out, torch.Tensor):
        raise ModelContractError(
            f"{where} returned {type(out).__name__}, expected a float tensor of shape {expected}",
            source=source,
            hint="return a single tensor from forward()",
        )
    if tuple(out.shape) != expected:
        raise ModelContractError(
            f"{where} output has shape {tuple(out.shape)}, expected {expected}",
            source=source,
            hint="binary models return (N, T) logits; quantitative models return (N, T, L // bin_size)",
        )
    if not out.is_floating_point():
        raise ModelContractError(
            f"{where} output has dtype {out.dtype}, expected a floating-point dtype (torch.float32); "
            f"shape {tuple(out.shape)} is as expected",
            source=source,
            hint="return float predictions (logits or coverage), not integers or booleans",
        )
    finite = torch.isfinite(out)
    if not bool(finite.all()):
        n_nan = int(torch.isnan(out).sum())
        n_inf = int(out.numel() - finite.sum() - n_nan)
        raise ModelContractError(
            f"{where} output of shape {tuple(out.shape)} holds {n_nan} NaN and {n_inf} infinite values",
            source=source,
            hint="check for overflow (e.g. unbounded exp activations) and divisions by zero",
        )
    if task.kind == "quantitative":
        negative = out < 0
        if bool(negative.any()):
            raise ModelContractError(
                f"{where} output of shape {tuple(out.shape)} has {int(negative.sum())} negative values "
                f"(min {float(out.min()):.4g}); quantitative predictions must be non-negative coverage",
                source=source,
                hint="end the quantitative head with softplus (or exp / relu)",
            )
