"""Process-wide state a plugin can change behind the suite's back: snapshot, compare, restore.

A plugin that calls ``torch.set_default_dtype(torch.float64)`` at import, or a model that turns
grad mode off while it trains, changes the state every later model runs under. The suite takes a
:func:`capture` before and after each plugin import, each hook call and each cell, names what
changed (:func:`describe_changes`) and puts it back (:func:`restore`).

:func:`redirect_stdout` sends stdout (the Python object *and* file descriptor 1, so that prints of
C extensions and subprocesses follow) elsewhere, keeping machine-readable stdout clean.

torch is imported when a function needs it, not at module import.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = [
    "GlobalState",
    "HARNESS_FIELDS",
    "capture",
    "describe_changes",
    "restore",
    "redirect_stdout",
]

#: fields the training harness itself sets in every cell (``seed_everything`` and
#: ``Trainer(deterministic=...)``): restored after a cell, but a change there is not the model's doing
HARNESS_FIELDS: frozenset[str] = frozenset(
    {
        "deterministic",
        "cudnn_benchmark",
        "cudnn_deterministic",
        "torch_rng",
        "cuda_rng",
        "numpy_rng",
        "python_rng",
    }
)

#: how each field is named in a change report
_LABELS: dict[str, str] = {
    "default_dtype": "torch default dtype",
    "grad_enabled": "torch grad mode",
    "deterministic": "torch deterministic algorithms",
    "cudnn_enabled": "cudnn enabled",
    "cudnn_benchmark": "cudnn benchmark",
    "cudnn_deterministic": "cudnn deterministic",
    "num_threads": "torch thread count",
    "anomaly": "torch anomaly detection",
    "matmul_precision": "torch float32 matmul precision",
    "torch_rng": "the torch RNG state",
    "cuda_rng": "the CUDA RNG state",
    "numpy_rng": "the numpy RNG state",
    "python_rng": "the Python random state",
}

#: fields reported without values (RNG states are not readable in a message)
_OPAQUE = frozenset({"torch_rng", "cuda_rng", "numpy_rng", "python_rng"})


@dataclass
class GlobalState:
    """One snapshot of the process-wide torch / numpy / random state (see :func:`capture`)."""

    default_dtype: Any
    grad_enabled: bool
    deterministic: tuple[bool, bool]
    cudnn_enabled: bool
    cudnn_benchmark: bool
    cudnn_deterministic: bool
    num_threads: int
    anomaly: tuple[bool, bool]
    matmul_precision: str
    torch_rng: Any = field(repr=False)
    cuda_rng: Any = field(repr=False)
    numpy_rng: Any = field(repr=False)
    python_rng: Any = field(repr=False)


def _anomaly() -> tuple[bool, bool]:
    import torch

    check_nan = getattr(torch, "is_anomaly_check_nan_enabled", lambda: True)
    return bool(torch.is_anomaly_enabled()), bool(check_nan())


def capture() -> GlobalState:
    """The current default dtype, grad mode, deterministic / cudnn flags, thread count, anomaly
    detection, float32 matmul precision and the torch, CUDA (when initialised), numpy and Python RNG
    states."""
    import numpy as np
    import torch

    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    return GlobalState(
        default_dtype=torch.get_default_dtype(),
        grad_enabled=bool(torch.is_grad_enabled()),
        deterministic=(
            bool(torch.are_deterministic_algorithms_enabled()),
            bool(torch.is_deterministic_algorithms_warn_only_enabled()),
        ),
        cudnn_enabled=bool(torch.backends.cudnn.enabled),
        cudnn_benchmark=bool(torch.backends.cudnn.benchmark),
        cudnn_deterministic=bool(torch.backends.cudnn.deterministic),
        num_threads=int(torch.get_num_threads()),
        anomaly=_anomaly(),
        matmul_precision=str(torch.get_float32_matmul_precision()),
        torch_rng=torch.get_rng_state(),
        cuda_rng=cuda_rng,
        numpy_rng=np.random.get_state(),
        python_rng=random.getstate(),
    )


def _same(name: str, a: Any, b: Any) -> bool:
    import numpy as np
    import torch

    if name == "torch_rng":
        return bool(torch.equal(a, b))
    if name == "cuda_rng":
        if a is None or b is None:
            return True  # CUDA initialised in between: nothing to compare or restore
        return len(a) == len(b) and all(bool(torch.equal(x, y)) for x, y in zip(a, b, strict=True))
    if name == "numpy_rng":
        return a[0] == b[0] and bool(np.array_equal(a[1], b[1])) and tuple(a[2:]) == tuple(b[2:])
    return bool(a == b)


def _show(name: str, value: Any) -> str:
    if name == "default_dtype":
        return str(value).removeprefix("torch.")
    if name == "deterministic":
        on, warn_only = value
        return ("on (warn only)" if warn_only else "on") if on else "off"
    if name == "anomaly":
        on, check_nan = value
        return ("on" if check_nan else "on (no NaN check)") if on else "off"
    if name in {"grad_enabled", "cudnn_enabled", "cudnn_benchmark", "cudnn_deterministic"}:
        return "enabled" if value else "disabled"
    return str(value)


def describe_changes(
    before: GlobalState, after: GlobalState, *, ignore: frozenset[str] = frozenset()
) -> list[str]:
    """What differs between two snapshots, one phrase per field, e.g.
    ``"torch default dtype float32 -> float64"`` or ``"the numpy RNG state"``; fields in
    ``ignore`` are not compared."""
    changes = []
    for name, label in _LABELS.items():
        if name in ignore:
            continue
        a, b = getattr(before, name), getattr(after, name)
        if _same(name, a, b):
            continue
        changes.append(label if name in _OPAQUE else f"{label} {_show(name, a)} -> {_show(name, b)}")
    return changes


def restore(state: GlobalState) -> None:
    """Put every field of ``state`` back into the process."""
    import numpy as np
    import torch

    torch.set_default_dtype(state.default_dtype)
    torch.set_grad_enabled(state.grad_enabled)
    torch.use_deterministic_algorithms(state.deterministic[0], warn_only=state.deterministic[1])
    torch.backends.cudnn.enabled = state.cudnn_enabled
    torch.backends.cudnn.benchmark = state.cudnn_benchmark
    torch.backends.cudnn.deterministic = state.cudnn_deterministic
    if torch.get_num_threads() != state.num_threads:
        torch.set_num_threads(state.num_threads)
    on, check_nan = state.anomaly
    try:
        torch.set_anomaly_enabled(on, check_nan)
    except TypeError:  # pragma: no cover - torch without the check_nan argument
        torch.set_anomaly_enabled(on)
    torch.set_float32_matmul_precision(state.matmul_precision)
    torch.set_rng_state(state.torch_rng)
    if state.cuda_rng is not None and torch.cuda.is_initialized():
        torch.cuda.set_rng_state_all(state.cuda_rng)
    np.random.set_state(state.numpy_rng)
    random.setstate(state.python_rng)


def _flush(stream: IO[str] | None) -> None:
    with contextlib.suppress(Exception):
        if stream is not None:
            stream.flush()


@contextlib.contextmanager
def redirect_stdout(target: IO[str] | None = None) -> Iterator[None]:
    """Send stdout to ``target`` (an open text file; default: stderr) for the duration.

    Both levels are redirected: ``sys.stdout`` (Python ``print``) and file descriptor 1
    (``os.write(1, ...)``, C extensions, child processes), so nothing written meanwhile reaches the
    real stdout. Both are put back afterwards, even if the code inside replaced ``sys.stdout``.
    """
    py_target: IO[str] = target if target is not None else sys.stderr
    try:
        fd_target = target.fileno() if target is not None else 2
    except (AttributeError, OSError, ValueError):
        fd_target = 2
    saved_py = sys.stdout
    _flush(saved_py)
    try:
        saved_fd: int | None = os.dup(1)
    except OSError:  # no fd 1 at all (closed stdout): the Python level is all there is
        saved_fd = None
    try:
        if saved_fd is not None:
            os.dup2(fd_target, 1)
        sys.stdout = py_target
        yield
    finally:
        _flush(sys.stdout)
        _flush(py_target)
        sys.stdout = saved_py
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
