"""The search journal: one JSON line per finished candidate, appended and fsynced.

``trials.jsonl`` (``trials-K-of-N.jsonl`` for shard K of N) in the search folder. A line is
written only after its candidate finished, so a killed search loses at most the candidate in
progress; a truncated last line (a kill in the middle of the write) is ignored. The journal
is what a resumed search skips, what the architects replay, and what the best document is
chosen from (every journal of the folder: all shards).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["journal_path", "read_journal", "append_journal", "read_all_journals"]


def journal_path(folder: Path, tag: str = "") -> Path:
    """``<folder>/trials<tag>.jsonl``."""
    return Path(folder) / f"trials{tag}.jsonl"


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The entries of one journal (missing file: none; unparsable lines are skipped)."""
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("index"), int):
            entries.append(entry)
    return entries


def append_journal(path: Path, entry: Mapping[str, Any]) -> None:
    """Append one entry durably (flush + fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(entry), sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_all_journals(folder: Path) -> list[dict[str, Any]]:
    """Entries of every journal in ``folder``, by candidate index (first entry of an index wins)."""
    seen: dict[int, dict[str, Any]] = {}
    for path in sorted(Path(folder).glob("trials*.jsonl")):
        for entry in read_journal(path):
            seen.setdefault(int(entry["index"]), entry)
    return [seen[i] for i in sorted(seen)]
