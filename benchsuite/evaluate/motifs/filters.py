"""First-layer filters -> position probability matrices (activation-based alignment)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchsuite.errors import PluginError
from benchsuite.evaluate.result import NotApplicable
from benchsuite.io.onehot import one_hot

__all__ = [
    "ACTIVATION_THRESHOLD",
    "PSEUDOCOUNT",
    "FilterPPMs",
    "FirstLayer",
    "activation_ppms",
    "locate_first_layer",
]

logger = logging.getLogger(__name__)

ACTIVATION_THRESHOLD = 0.5
"""Fraction of a filter's maximum activation above which an input window is collected."""

PSEUDOCOUNT = 0.01
"""Count added to every cell of a filter's count matrix before normalising it."""


@dataclass(frozen=True)
class FirstLayer:
    """The located first layer of a model.

    Attributes
    ----------
    conv, conv_name:
        The first ``Conv1d`` with 4 input channels and its dotted name (filter geometry).
    module, module_name:
        The module whose output is the activation (``conv`` itself when ``first_layer`` is None).
    apply_relu:
        Whether ReLU is applied to the module output (only for the automatic choice).
    """

    conv: torch.nn.Conv1d
    conv_name: str
    module: torch.nn.Module
    module_name: str
    apply_relu: bool

    @property
    def width(self) -> int:
        """Filter width in bases."""
        return int(self.conv.kernel_size[0])

    @property
    def n_filters(self) -> int:
        """Number of filters (output channels)."""
        return int(self.conv.out_channels)


@dataclass
class FilterPPMs:
    """Filter position probability matrices from activation-based alignment.

    Attributes
    ----------
    ppms:
        ``(F, w, 4)`` float64, rows sum to 1 (uniform for filters without sites).
    n_sites:
        ``(F,)`` number of windows collected per filter.
    max_activation:
        ``(F,)`` maximum activation of each filter over all sequences.
    """

    ppms: np.ndarray
    n_sites: np.ndarray
    max_activation: np.ndarray


def locate_first_layer(model: torch.nn.Module, first_layer: str | None) -> FirstLayer:
    """Find the first convolution and the module whose output is the first-layer activation.

    Parameters
    ----------
    model:
        The trained torch model.
    first_layer:
        Dotted module path of the activation, or None for ReLU of the first ``Conv1d(4, ...)``.

    Returns
    -------
    FirstLayer

    Raises
    ------
    NotApplicable
        The model has no ``Conv1d`` with 4 input channels.
    PluginError
        ``first_layer`` names no module of the model.
    """
    modules = dict(model.named_modules())
    convs = [
        (name, m) for name, m in modules.items() if isinstance(m, torch.nn.Conv1d) and m.in_channels == 4
    ]
    if not convs:
        raise NotApplicable("the model has no torch.nn.Conv1d first layer with 4 input channels")
    conv_name, conv = convs[0]
    if first_layer is None:
        return FirstLayer(conv=conv, conv_name=conv_name, module=conv, module_name=conv_name, apply_relu=True)
    if first_layer not in modules:
        raise PluginError(
            f"first-layer activation module {first_layer!r} does not exist in the model",
            source=first_layer,
            hint="set ModelSpec.first_layer_activation to a dotted name from model.named_modules()",
        )
    return FirstLayer(
        conv=conv, conv_name=conv_name, module=modules[first_layer], module_name=first_layer, apply_relu=False
    )


class _Captured(Exception):  # noqa: N818 - control flow, never escapes this module
    pass


def _conv_left_padding(conv: torch.nn.Conv1d) -> int:
    padding = conv.padding
    if isinstance(padding, str):
        if padding == "valid":
            return 0
        # "same": torch pads dilation * (width - 1) in total, the smaller half on the left
        return (int(conv.dilation[0]) * (int(conv.kernel_size[0]) - 1)) // 2
    return int(padding[0])


def _activations(model: torch.nn.Module, layer: FirstLayer, x: torch.Tensor) -> torch.Tensor:
    """First-layer activation ``(B, F, L_out)`` of a one-hot batch; stops the forward early."""
    store: dict[str, torch.Tensor] = {}

    def conv_hook(_m: torch.nn.Module, _i: Any, out: torch.Tensor) -> None:
        store.setdefault("conv", out)
        if layer.module is layer.conv:
            raise _Captured

    def act_hook(_m: torch.nn.Module, _i: Any, out: Any) -> None:
        store.setdefault("act", out[0] if isinstance(out, (tuple, list)) else out)
        raise _Captured

    handles = [layer.conv.register_forward_hook(conv_hook)]
    if layer.module is not layer.conv:
        handles.append(layer.module.register_forward_hook(act_hook))
    try:
        model(x)
    except _Captured:
        pass
    finally:
        for h in handles:
            h.remove()
    conv_out = store.get("conv")
    act = conv_out if layer.module is layer.conv else store.get("act")
    if conv_out is None or act is None:
        raise NotApplicable(
            f"the first-layer modules ({layer.conv_name}, {layer.module_name}) did not run in the "
            "forward pass"
        )
    if not isinstance(act, torch.Tensor) or act.dim() != 3:
        raise NotApplicable(f"the output of {layer.module_name} is not a (batch, filters, length) tensor")
    if act.shape[1] != conv_out.shape[1] or act.shape[2] != conv_out.shape[2]:
        raise NotApplicable(
            f"the output of {layer.module_name} {tuple(act.shape)} does not match the convolution "
            f"{layer.conv_name} {tuple(conv_out.shape)}; its positions cannot be aligned to input windows"
        )
    if layer.apply_relu:
        act = torch.relu(act)
    return act.detach().float()


def _subsample(codes: np.ndarray, max_sequences: int | None) -> np.ndarray:
    if max_sequences is not None and len(codes) > max_sequences:
        rng = np.random.default_rng(0)
        keep = np.sort(rng.choice(len(codes), size=max_sequences, replace=False))
        return codes[keep]
    return codes


@torch.no_grad()
def activation_ppms(
    model: torch.nn.Module,
    first_layer: str | None,
    sequences_codes: np.ndarray,
    *,
    threshold: float = ACTIVATION_THRESHOLD,
    pseudocount: float = PSEUDOCOUNT,
    batch_size: int | None = None,
    layer: FirstLayer | None = None,
) -> FilterPPMs:
    """Position probability matrices of the first-layer filters by activation-based alignment.

    Parameters
    ----------
    model:
        The torch model (put in eval mode for the passes, then restored).
    first_layer:
        Dotted module path of the activation, or None (see :func:`locate_first_layer`).
    sequences_codes:
        ``(N, L)`` uint8 base codes.
    threshold:
        Fraction of each filter's maximum activation above which windows are collected.
    pseudocount:
        Added to every count before normalising.
    batch_size:
        Sequences per forward pass (default: up to 64, fewer for long sequences or wide filters
        so that the gathered input windows stay under ~32 MiB).
    layer:
        An already located first layer (skips :func:`locate_first_layer`).

    Returns
    -------
    FilterPPMs
    """
    layer = layer or locate_first_layer(model, first_layer)
    codes = np.asarray(sequences_codes, dtype=np.uint8)
    if codes.ndim != 2 or len(codes) == 0:
        raise ValueError(f"sequences_codes must be a non-empty (N, L) array, got shape {codes.shape}")
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    conv = layer.conv
    width, stride, dilation = layer.width, int(conv.stride[0]), int(conv.dilation[0])
    left = _conv_left_padding(conv)
    n_filters = layer.n_filters
    if batch_size is None:
        batch_size = int(max(1, min(64, 2**23 // (codes.shape[1] * width * 4))))
    dtype = conv.weight.dtype

    was_training = model.training
    model.eval()
    try:
        # pass 1: maximum activation of each filter over every sequence and position
        max_act = torch.full((n_filters,), -torch.inf)
        for i in range(0, len(codes), batch_size):
            x = torch.from_numpy(one_hot(codes[i : i + batch_size])).to(device=device, dtype=dtype)
            act = _activations(model, layer, x)
            max_act = torch.maximum(max_act, act.amax(dim=(0, 2)).cpu())
        cut = (threshold * max_act).clamp_min(0.0)

        # pass 2: counts of the input windows above the cut
        counts = torch.zeros(n_filters, width * 4, dtype=torch.float64)
        n_sites = torch.zeros(n_filters, dtype=torch.int64)
        for i in range(0, len(codes), batch_size):
            batch = codes[i : i + batch_size]
            x = torch.from_numpy(one_hot(batch)).to(device=device, dtype=dtype)
            act = _activations(model, layer, x).cpu()
            mask = act > cut[None, :, None]  # (B, F, L_out)
            if not mask.any():
                continue
            length_out = act.shape[2]
            # input position of tap j for output i: i * stride - left + j * dilation
            pos = torch.arange(length_out)[:, None] * stride - left + torch.arange(width)[None, :] * dilation
            span = max(0, -int(pos.min())), max(0, int(pos.max()) - batch.shape[1] + 1)
            padded = np.full((len(batch), batch.shape[1] + span[0] + span[1]), 4, dtype=np.uint8)
            padded[:, span[0] : span[0] + batch.shape[1]] = batch
            onehot = torch.from_numpy(one_hot(padded))  # (B, 4, Lp)
            windows = onehot[:, :, pos + span[0]]  # (B, 4, L_out, w)
            windows = windows.permute(0, 2, 3, 1).reshape(-1, width * 4)  # (B * L_out, w * 4)
            m = mask.permute(1, 0, 2).reshape(n_filters, -1).float()  # (F, B * L_out)
            counts += (m @ windows).double()
            n_sites += mask.sum(dim=(0, 2))
    finally:
        model.train(was_training)

    counts_np = counts.numpy().reshape(n_filters, width, 4) + pseudocount
    ppms = counts_np / counts_np.sum(axis=2, keepdims=True)
    sites = n_sites.numpy()
    ppms[sites == 0] = 0.25
    return FilterPPMs(ppms=ppms, n_sites=sites, max_activation=max_act.numpy().astype(np.float64))
