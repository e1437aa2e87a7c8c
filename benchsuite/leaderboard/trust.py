"""Trust on the board: verified rows, signatures and the conflict rule.

A record is *verified* when the verification log (``benchsuite verify``; default
``verifications.jsonl`` in the board's output folder) holds a ``verified`` verdict as the latest
entry for its checksum. A record is *signed* when it carries a valid ed25519 signature
(:mod:`benchsuite.results.signing`); *trusted* when the signing key is in the board's
``--trusted-keys`` file. A record whose signature does not hold is refused.

Conflict rule, for records with the same key (dataset, kind, model, task, seed, ceiling bin) but
different content: keep (1) a verified one, else (2) one signed by a trusted key, else (3) the
newer one (``created_at``; a re-run cell leaves stale copies in old W&B run folders). The others
are listed as conflicts. A conflict is *resolved* when the kept record won on (1) or (2) against
every other; otherwise it is unresolved: the kept row is marked "⚠ conflict", the board lists it,
and ``benchsuite leaderboard --strict`` fails.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.leaderboard.gather import GatherResult, Refusal, SourcedRecord

__all__ = ["CONFLICT_MARK", "VERIFIED_MARK", "Trust", "load_trust", "signature_status", "resolve_conflicts"]

log = logging.getLogger(__name__)

CONFLICT_MARK = "⚠ conflict"
VERIFIED_MARK = "✓"


@dataclass(frozen=True)
class Trust:
    """What the board trusts: verified checksums (from the log) and trusted public keys."""

    verified: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    trusted_keys: frozenset[str] = frozenset()
    log_path: str | None = None


def load_trust(verifications: Path | None, trusted_keys: Path | None) -> Trust:
    """Read the verification log and the trusted-keys file (each optional)."""
    from benchsuite.results.verifications import read_log, verified_checksums

    verified: dict[str, dict[str, Any]] = {}
    if verifications is not None:
        verified = verified_checksums(read_log(verifications))
    keys: frozenset[str] = frozenset()
    if trusted_keys is not None:
        from benchsuite.results.signing import load_trusted_keys

        keys = frozenset(load_trusted_keys(trusted_keys))
    return Trust(verified, keys, str(verifications) if verifications is not None else None)


def signature_status(record: Mapping[str, Any], trust: Trust) -> tuple[str | None, str | None]:
    """(problem, signer key id) of a record's signature.

    ``problem`` is the reason to refuse the record (the signature does not hold); the signer is
    the key id when the signature holds and the key is trusted (None otherwise). Without the
    ``cryptography`` package a signature cannot be checked: the record counts as unsigned.
    """
    signature = record.get("signature")
    if not isinstance(signature, Mapping):
        return None, None
    from benchsuite.results.signing import key_id, signature_problem

    try:
        problem = signature_problem(dict(record))
    except ConfigError as exc:
        log.warning("signature of a record not checked: %s", exc)
        return None, None
    if problem:
        return problem, None
    public = str(signature.get("public_key"))
    return None, key_id(public) if public in trust.trusted_keys else None


def annotate(item: SourcedRecord, trust: Trust, signer: str | None) -> SourcedRecord:
    """The record with its ``verified`` and ``signed_by`` marks."""
    entry = trust.verified.get(item.checksum)
    mode = str(entry.get("mode") or "retrain") if entry is not None else None
    return dataclasses.replace(item, verified=entry is not None, verified_mode=mode, signed_by=signer)


def _standing(item: SourcedRecord) -> tuple[int, int, str]:
    return (int(item.verified), int(item.signed_by is not None), str(item.record["created_at"]))


def _why(winner: SourcedRecord, other: SourcedRecord) -> tuple[str, bool]:
    """(why the winner was kept, whether that resolves the conflict)."""
    if winner.verified and not other.verified:
        return "kept the verified record", True
    if winner.signed_by is not None and other.signed_by is None and winner.verified == other.verified:
        return f"kept the record signed by trusted key {winner.signed_by}", True
    return f"kept the newer record ({winner.record['created_at']}); unresolved: verify one of them", False


def resolve_conflicts(verified: list[SourcedRecord], result: GatherResult) -> None:
    """Deduplicate by key with the conflict rule; fill ``result.records``, duplicates, conflicts."""
    from benchsuite.leaderboard.gather import Conflict

    by_key: dict[tuple, list[SourcedRecord]] = {}
    for item in verified:
        by_key.setdefault(item.key, []).append(item)
    kept: dict[int, SourcedRecord] = {}
    for items in by_key.values():
        best = max(items, key=_standing)
        winner = next(it for it in items if it.checksum == best.checksum)
        unresolved = False
        conflicts: list[Refusal] = []
        for other in items:
            if other is winner:
                continue
            if other.checksum == winner.checksum:
                result.duplicates.append((winner.source, other.source))
                continue
            why, resolved = _why(winner, other)
            unresolved = unresolved or not resolved
            fp, kind, model, task, seed, bin_size = other.key
            at = "" if bin_size is None else f" at {bin_size} bp"
            conflicts.append(
                Conflict(
                    other.source,
                    f"conflicts with {winner.source}: same {kind} {model}/{task}{at} seed {seed} on "
                    f"dataset {fp[:12]} but different content; {why}",
                    kept=winner.source,
                    resolved=resolved,
                )
            )
        result.conflicts.extend(conflicts)
        kept[id(winner)] = dataclasses.replace(winner, conflict=unresolved)
    result.records = [kept[id(it)] for it in verified if id(it) in kept]
