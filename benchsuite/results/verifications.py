"""Verification results: comparing a re-run with a record, and the verification log.

:func:`compare_metrics` walks every metric entry of two evaluations (``mean``, each
``per_target`` value and the ``ci95`` bounds) and reports the worst difference; two values agree
when ``|a - b| <= atol + rtol * |b|`` (``b`` the record's value), ``None``/NaN agree only with
``None``/NaN, and a metric present on one side only is a mismatch.

The verification log is a JSON-lines file (default ``leaderboards/verifications.jsonl``, i.e.
``verifications.jsonl`` in the board's output folder, where ``benchsuite leaderboard`` looks for
it); each line is :meth:`Verification.to_log` of one verification: ``record_checksum``,
``model``, ``task``, ``seed``, ``dataset_fingerprint``, ``mode``, ``tolerance`` (``atol``,
``rtol``), ``verdict`` (``verified`` / ``mismatch`` / ``could not verify``), ``max_abs_diff``,
``worst_metric``, ``reason``, ``weights_match``, ``verifier`` (``host``, ``benchsuite_version``,
``python``, ``platform``) and ``timestamp``. For one record checksum the latest line decides.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchsuite import __version__
from benchsuite.errors import ConfigError
from benchsuite.io.atomic import atomic_write

__all__ = [
    "VERIFIED",
    "MISMATCH",
    "UNVERIFIABLE",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "LOG_NAME",
    "Verification",
    "compare_metrics",
    "append_log",
    "read_log",
    "verified_checksums",
]

VERIFIED = "verified"
MISMATCH = "mismatch"
UNVERIFIABLE = "could not verify"
#: default tolerances: a re-run on the same machine and thread count is bit-identical; 1e-6 leaves
#: room for the last digits of float32 sums only (see docs/trust.md)
DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-6
#: the log's file name in a board's output folder
LOG_NAME = "verifications.jsonl"


@dataclass
class Verification:
    """The outcome of verifying one record."""

    source: str
    verdict: str
    mode: str
    atol: float
    rtol: float
    checksum: str | None = None
    model: str | None = None
    task: str | None = None
    seed: int | None = None
    fingerprint: str | None = None
    max_abs_diff: float | None = None
    worst_metric: str | None = None
    reason: str | None = None
    weights_match: bool | None = None

    @property
    def ok(self) -> bool:
        """True when the record was verified."""
        return self.verdict == VERIFIED

    def describe(self) -> str:
        """One line for people: the verdict and why."""
        if self.verdict == VERIFIED:
            diff = "" if self.max_abs_diff is None else f" (max |diff| {self.max_abs_diff:.3g})"
            return f"verified{diff}"
        if self.verdict == MISMATCH:
            return f"mismatch: {self.reason}"
        return f"could not verify: {self.reason}"

    def to_log(self) -> dict[str, Any]:
        """The log line (JSON data) of this verification."""
        return {
            "record_checksum": self.checksum,
            "source": self.source,
            "model": self.model,
            "task": self.task,
            "seed": self.seed,
            "dataset_fingerprint": self.fingerprint,
            "mode": self.mode,
            "tolerance": {"atol": self.atol, "rtol": self.rtol},
            "verdict": self.verdict,
            "max_abs_diff": _finite(self.max_abs_diff),
            "worst_metric": self.worst_metric,
            "reason": self.reason,
            "weights_match": self.weights_match,
            "verifier": {
                "host": socket.gethostname(),
                "benchsuite_version": __version__,
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _values(entry: Any) -> dict[str, Any]:
    """``mean``, ``per_target.<t>`` and ``ci95[0|1]`` of one metric entry, flattened."""
    if not isinstance(entry, Mapping):
        return {"": entry}
    out: dict[str, Any] = {"mean": entry.get("mean")}
    for target, value in (entry.get("per_target") or {}).items():
        out[f"per_target.{target}"] = value
    ci95 = entry.get("ci95")
    if isinstance(ci95, (list, tuple)):
        for index, value in enumerate(ci95):
            out[f"ci95[{index}]"] = value
    return out


def compare_metrics(
    expected: Mapping[str, Any], actual: Mapping[str, Any], *, atol: float, rtol: float
) -> tuple[bool, str | None, float, str | None]:
    """Compare the ``metrics`` of a record (``expected``) with those of a re-run (``actual``).

    Returns
    -------
    (agree, worst metric, max abs diff, problem)
        ``worst metric`` names the metric entry with the largest difference (e.g.
        ``wholechrom.pearson mean`` or ``peak.auroc per_target.celltype_A``); ``problem`` says
        what disagrees first (None when everything agrees). A value missing on one side counts as
        an infinite difference.
    """
    worst: str | None = None
    worst_diff = 0.0
    problem: str | None = None
    for name in sorted(set(expected) | set(actual)):
        if name not in actual or name not in expected:
            side = "the re-run" if name not in actual else "the record"
            problem = problem or f"metric {name} is missing from {side}"
            worst, worst_diff = name, math.inf
            continue
        want, got = _values(expected[name]), _values(actual[name])
        for part in sorted(set(want) | set(got)):
            a: Any = got.get(part)
            b: Any = want.get(part)
            label = f"{name} {part}".strip()
            if _is_missing(a) or _is_missing(b):
                if _is_missing(a) and _is_missing(b):
                    continue
                diff = math.inf
            else:
                diff = abs(float(a) - float(b))
                if diff <= atol + rtol * abs(float(b)):
                    if diff > worst_diff:
                        worst, worst_diff = label, diff
                    continue
            if problem is None:
                problem = f"{label}: record {b}, re-run {a} (|diff| {diff:.3g} > tolerance)"
            if diff > worst_diff or worst is None:
                worst, worst_diff = label, diff
    return problem is None, worst, worst_diff, problem


def append_log(path: str | Path, results: Iterable[Verification]) -> Path:
    """Append verifications to the JSON-lines log at ``path`` (rewritten atomically)."""
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    # a record that could not even be read has no checksum: nothing for a board to match it to
    lines = [json.dumps(r.to_log(), sort_keys=True, allow_nan=False) for r in results if r.checksum]
    if not lines:
        return path
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(old + "".join(line + "\n" for line in lines))
    return path


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a verification log, in file order.

    Raises
    ------
    ConfigError
        The file is unreadable or a line is not a JSON object (naming the line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the verification log ({exc})", source=path, hint="check --verifications"
        ) from None
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            raise ConfigError(
                f"line {number} is not a JSON object",
                source=path,
                hint="the log is written by `benchsuite verify --log`; remove the broken line",
            )
        entries.append(entry)
    return entries


def verified_checksums(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Record checksum -> its latest log entry, for the checksums whose latest verdict is verified."""
    latest: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        checksum = entry.get("record_checksum")
        if isinstance(checksum, str):
            latest[checksum] = entry
    return {c: dict(e) for c, e in latest.items() if e.get("verdict") == VERIFIED}
