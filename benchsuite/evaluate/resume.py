"""Family-granular resumable evaluation: :class:`EvalProgressStore`.

A cell's evaluation is a sequence of *units*: one streaming pass per test split
(``split:wholechrom``, ``split:threshold``, ``split:peaks``, ...) and one unit per standalone
family (``family:robustness``, ``family:cagi5``, ``family:motifs``). After each unit the harness
writes the whole partial :class:`~benchsuite.evaluate.result.EvalResult` and the list of
finished units to one JSON file (atomically), tagged with a *key* that pins what is evaluated:
the harness version, the weights, the dataset fingerprint and the evaluation options. A
process killed mid-evaluation resumes at the first unfinished unit; finished units are not
recomputed, so even short kill intervals make progress.

Every unit computes from its own inputs with its own fixed seeds (no unit reads another's
state), so a resumed evaluation gives the same metrics as an uninterrupted one; this is tested.
A file with another key (new weights, options or harness) is ignored and replaced. The file is
removed once the evaluation is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchsuite.evaluate.result import EvalResult
from benchsuite.io.atomic import atomic_write

__all__ = ["PARTIAL_NAME", "EvalProgressStore", "evaluation_key"]

log = logging.getLogger(__name__)

#: the partial-evaluation file in a cell folder (hidden: never taken for a record)
PARTIAL_NAME = ".evaluation.partial.json"

_FORMAT = 1


def evaluation_key(parts: Mapping[str, Any]) -> str:
    """The sha256 of the canonical JSON of ``parts`` (what the evaluation depends on)."""
    text = json.dumps(dict(parts), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class EvalProgressStore:
    """The finished units of one evaluation, kept in ``folder / PARTIAL_NAME``.

    Parameters
    ----------
    folder:
        Where the partial file lives (a cell folder).
    key:
        :func:`evaluation_key` of what is evaluated; a file with another key is stale.
    """

    def __init__(self, folder: str | Path, key: str) -> None:
        self.path = Path(folder) / PARTIAL_NAME
        self.key = key
        self.done: list[str] = []
        self.resumed: list[str] = []
        self.disabled = False

    def load(self) -> EvalResult | None:
        """The partial result of an earlier, interrupted evaluation with this key, or None."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable partial evaluation %s (%s)", self.path, exc)
            return None
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("key") != self.key:
            log.info("ignoring partial evaluation %s of other weights, options or harness", self.path)
            return None
        self.done = [str(u) for u in data.get("done") or []]
        self.resumed = list(self.done)
        if self.done:
            log.info("resuming evaluation: %s already finished", ", ".join(self.done))
        return EvalResult.from_dict(data.get("result") or {})

    def finished(self, unit: str) -> bool:
        """Whether ``unit`` was finished (by this or an earlier process)."""
        return unit in self.done

    def save(self, unit: str, result: EvalResult) -> None:
        """Mark ``unit`` finished and persist ``result`` as it stands (atomic)."""
        if unit not in self.done:
            self.done.append(unit)
        if self.disabled:
            return
        payload = {"format": _FORMAT, "key": self.key, "done": self.done, "result": result.to_dict()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path) as fh:
                json.dump(payload, fh)
        except OSError as exc:  # e.g. a read-only checkpoint folder: evaluate, just not resumably
            log.warning(
                "cannot keep evaluation progress in %s (%s); it will not be resumable", self.path, exc
            )
            self.disabled = True

    def clear(self) -> None:
        """Remove the partial file (the evaluation is complete)."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)
