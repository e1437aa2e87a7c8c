"""Check the pass-through Trainer options before anything runs: :func:`check_trainer_options`.

``benchsuite run`` hands ``--accelerator``, ``--devices``, ``--num-nodes``, ``--strategy`` and
``--precision`` to :class:`lightning.Trainer`. Lightning only looks at them when the first
Trainer is built, so a bad value used to surface after both ceilings had been computed, once per
cell, in Lightning's words. This module checks them up front against what Lightning accepts and
what this machine has, and raises one :class:`~benchsuite.errors.ConfigError` that names the
option, the value and the machine (``this machine has: cpu (2 cores); no CUDA GPU; no MPS``).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import Any

from benchsuite.errors import ConfigError

__all__ = ["ACCELERATORS", "PRECISIONS", "check_trainer_options", "machine_summary"]

#: accelerators Lightning knows (``gpu`` means CUDA or MPS, whichever exists)
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")

#: precision values Lightning 2.x accepts (its canonical names first, then the legacy aliases)
PRECISIONS = (
    "32-true",
    "16-mixed",
    "bf16-mixed",
    "16-true",
    "bf16-true",
    "64-true",
    "transformer-engine",
    "transformer-engine-float16",
    "32",
    "16",
    "bf16",
    "64",
)

#: strategies that need an extra package, and which
_STRATEGY_PACKAGES = {
    "deepspeed": "deepspeed",
    "xla": "torch_xla",
    "single_xla": "torch_xla",
    "single_tpu": "torch_xla",
}


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _mps_available() -> bool:
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def machine_summary() -> str:
    """What this machine offers Lightning, in words (for error messages)."""
    cuda = _cuda_count()
    parts = [f"cpu ({os.cpu_count() or 1} cores)"]
    parts.append(f"{cuda} CUDA GPU(s)" if cuda else "no CUDA GPU")
    parts.append("MPS" if _mps_available() else "no MPS")
    return "this machine has: " + "; ".join(parts)


def _fail(message: str, option: str, hint: str) -> ConfigError:
    return ConfigError(message, source=option, hint=f"{hint}; {machine_summary()}")


def _check_accelerator(accelerator: str) -> str:
    """The accelerator family (``cpu``, ``cuda``, ``mps``, ``tpu`` or ``auto``) of a valid value."""
    value = accelerator.strip().lower()
    if value not in ACCELERATORS:
        raise _fail(
            f"unknown accelerator {accelerator!r}", "--accelerator", f"use one of {', '.join(ACCELERATORS)}"
        )
    if value in ("cpu", "auto"):
        return value
    if value == "tpu":
        if importlib.util.find_spec("torch_xla") is None:
            raise _fail("--accelerator tpu needs torch_xla", "--accelerator", "use cpu or auto")
        return value
    cuda, mps = _cuda_count(), _mps_available()
    if value == "cuda" and not cuda:
        raise _fail("--accelerator cuda but no CUDA GPU is available", "--accelerator", "use cpu or auto")
    if value == "mps" and not mps:
        raise _fail("--accelerator mps but MPS is not available", "--accelerator", "use cpu or auto")
    if value == "gpu" and not (cuda or mps):
        raise _fail("--accelerator gpu but no GPU is available", "--accelerator", "use cpu or auto")
    return "cuda" if value == "gpu" and cuda else ("mps" if value == "gpu" else value)


def _check_devices(devices: Any, family: str) -> None:
    """A count >= 1, ``-1``/``auto`` or a list of indices, within what the accelerator has."""
    if devices in ("auto", -1):
        return
    hint = "pass a count >= 1, a list of indices (0,1), -1 or auto"
    if isinstance(devices, bool) or not isinstance(devices, (int, list)):
        raise _fail(f"--devices {devices!r} is not a count or a list", "--devices", hint)
    if isinstance(devices, int):
        if devices < 1:
            raise _fail(f"--devices must be >= 1 (or -1/auto), got {devices}", "--devices", hint)
        wanted, indices = devices, []
    else:
        if not devices or any(i < 0 for i in devices):
            raise _fail(f"--devices list must hold indices >= 0, got {devices}", "--devices", hint)
        wanted, indices = len(devices), devices
    available = {"cuda": _cuda_count(), "mps": 1 if _mps_available() else 0}.get(family)
    if available is None:
        return  # cpu (processes), auto, tpu: Lightning decides
    if wanted > available or any(i >= available for i in indices):
        raise _fail(
            f"--devices {devices} asks for more {family} devices than exist ({available})",
            "--devices",
            f"pass at most {available}",
        )


def _check_strategy(strategy: str) -> None:
    from lightning.pytorch.strategies import StrategyRegistry

    known = ["auto", *StrategyRegistry.available_strategies()]
    if strategy not in known:
        raise _fail(
            f"unknown strategy {strategy!r}",
            "--strategy",
            f"use auto, ddp, ddp_spawn, fsdp or another Lightning strategy name ({len(known)} known)",
        )
    package = next((p for prefix, p in _STRATEGY_PACKAGES.items() if strategy.startswith(prefix)), None)
    if package and importlib.util.find_spec(package) is None:
        raise _fail(
            f"--strategy {strategy} needs the {package} package", "--strategy", f"pip install {package}"
        )


def check_trainer_options(options: Mapping[str, Any]) -> None:
    """Refuse Trainer options Lightning would reject or this machine cannot serve.

    Parameters
    ----------
    options:
        The keyword arguments of :func:`benchsuite.train.fit.trainer_options` (``accelerator``,
        ``devices`` (already parsed), ``num_nodes``, ``strategy``, ``precision``); absent keys
        are Lightning's defaults and always valid.

    Raises
    ------
    ConfigError
        Naming the option, the value and, in the hint, what this machine has.
    """
    family = "auto"
    if options.get("accelerator") is not None:
        family = _check_accelerator(str(options["accelerator"]))
    if family == "auto":  # what Lightning's auto picks
        family = "cuda" if _cuda_count() else ("mps" if _mps_available() else "cpu")
    if options.get("devices") is not None:
        _check_devices(options["devices"], family)
    num_nodes = options.get("num_nodes")
    if num_nodes is not None and (
        isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 1
    ):
        raise _fail(f"--num-nodes must be an integer >= 1, got {num_nodes!r}", "--num-nodes", "pass N >= 1")
    if options.get("strategy") is not None:
        _check_strategy(str(options["strategy"]))
    precision = options.get("precision")
    if precision is not None and str(precision) not in PRECISIONS:
        raise _fail(
            f"unknown precision {precision!r}",
            "--precision",
            "use 32-true (the board's), bf16-mixed, 16-mixed, 64-true or another of " + ", ".join(PRECISIONS),
        )
    if str(precision) in ("16", "16-mixed") and family == "cpu":
        raise _fail(
            f"--precision {precision} is fp16 mixed precision, which Lightning does not run on CPUs "
            "(it would silently train in bf16-mixed instead)",
            "--precision",
            "pass bf16-mixed explicitly, or run on a GPU",
        )
