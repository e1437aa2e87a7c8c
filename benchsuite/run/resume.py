"""Resume checks: which files a killed or earlier run left behind can be trusted.

A cell (or ceiling) is finished when its ``record.json`` reads back valid (schema and checksum),
belongs to it (model, task, seed, dataset, profile, training settings) and was written by the
installed harness version. Training is finished when ``train.json`` exists and names the same
profile and training settings; Lightning's scratch folder of a killed run is then discarded.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import RecordError

if TYPE_CHECKING:
    from benchsuite.train.fit import TrainingSettings

__all__ = ["read_valid_record", "usable_train_info", "discard_scratch", "plain_json"]

log = logging.getLogger(__name__)


def read_valid_record(path: Path, *, expect: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record at ``path`` if it is valid and belongs to this cell; else None.

    ``expect`` maps dotted record fields (``"dataset.fingerprint"``) to the values they must
    have (None: not checked). An unreadable record is removed; a stale one (another cell,
    dataset, setting or harness version) is left for the new record to replace.
    """
    from benchsuite.results.record import current_harness_version, read_record

    if not path.exists():
        return None
    try:
        record = read_record(path)
    except RecordError as exc:
        log.warning("discarding the unreadable record %s: %s", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    mismatch = [
        key for key, value in expect.items() if value is not None and _record_field(record, key) != value
    ]
    if record.get("harness_version") != current_harness_version():
        mismatch.append("harness_version")
    if mismatch:
        log.info("record %s is stale (%s differs); redoing the evaluation", path, ", ".join(mismatch))
        return None
    return record


def _record_field(record: Mapping[str, Any], key: str) -> Any:
    node: Any = record
    for part in key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def plain_json(value: Any) -> Any:
    """``value`` as it reads back from a JSON file (for comparisons with stored settings)."""
    return json.loads(json.dumps(value))


def usable_train_info(folder: Path, profile: str, settings: TrainingSettings) -> dict[str, Any] | None:
    """``train.json`` of a cell if its training finished under the same profile and settings."""
    from benchsuite.train.fit import read_train_info

    info = read_train_info(folder)
    if info is None:
        return None
    if info.get("profile") != profile or info.get("training") != plain_json(settings.to_dict()):
        log.info(
            "%s was trained with other settings (profile %s); training again", folder, info.get("profile")
        )
        return None
    return info


def discard_scratch(folder: Path) -> None:
    """Remove Lightning's scratch folder left by a run killed after training had finished."""
    import shutil

    from benchsuite.train.fit import SCRATCH_NAME

    shutil.rmtree(folder / SCRATCH_NAME, ignore_errors=True)
