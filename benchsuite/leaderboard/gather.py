"""Gather result records for the leaderboard from local folders, W&B run folders and the W&B API.

Sources
-------
- local folders (``--records``): every ``record.json`` / ``*.record.json`` below the folder
  (hidden folders, e.g. half-written atomic temp folders, are skipped);
- W&B run folders (``--wandb-dir``): ``wandb/offline-run-*/files/`` and ``wandb/run-*/files/``
  below the folder (or the run folder itself), where :meth:`WandbRun.save_record` put the record;
- a W&B project (``--wandb ENTITY/PROJECT``): ``Api().runs(path)`` -> ``run.files()`` -> the
  record file is downloaded into a temporary folder. The ``api`` object can be injected.

Every record is verified (schema and checksum by :func:`~benchsuite.results.record.parse_record`),
must come from the installed harness version and, when a fingerprint is requested, from that
dataset. Refused records are kept with a reason naming them. Records describing the same
(dataset, kind, model, task, seed; for ceilings also the bin) are deduplicated by checksum; when
their contents differ, the verified one is kept, else the one signed by a trusted key, else the
newer one (``created_at``), and the others are reported as conflicts
(:mod:`benchsuite.leaderboard.trust`). A signed record whose signature does not hold is refused.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from benchsuite.errors import BenchsuiteError, ConfigError, RecordError
from benchsuite.leaderboard.trust import Trust, annotate, resolve_conflicts, signature_status
from benchsuite.results.record import MAX_RECORD_BYTES, current_harness_version, parse_record, read_record

__all__ = [
    "SourcedRecord",
    "Refusal",
    "Conflict",
    "GatherResult",
    "is_record_name",
    "record_bin",
    "row_model_name",
    "find_record_files",
    "find_wandb_run_dirs",
    "gather_records",
]

log = logging.getLogger(__name__)

_RUN_DIR = re.compile(r"^(offline-)?run-\d{8}_\d{6}-[A-Za-z0-9]+$")


def is_record_name(name: str) -> bool:
    """Whether a file name is a result record name (``record.json`` or ``*.record.json``)."""
    return name == "record.json" or (name.endswith(".record.json") and not name.startswith("."))


def _positive_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def row_model_name(record: dict) -> str:
    """The board's name of a record's model: the model name, ``+tuned-<sha8>`` for a cell of
    ``benchsuite run --tuned`` (its own row, beside the untuned model's)."""
    from benchsuite.run.tuned import record_variant

    variant = record_variant(record)
    return f"{record['model']['name']}+{variant}" if variant else str(record["model"]["name"])


def record_bin(record: dict) -> int | None:
    """The output bin of a record.

    A ceiling: ``hyperparameters.bin_size``, else ``tables.ceiling.bin_size``, else 1 (ceilings
    were computed at base resolution before they came per bin). A model:
    ``tables.evaluation.bin_size`` (a binary model's is its input length), None when absent.
    """
    tables = record.get("tables") or {}
    evaluation = tables.get("evaluation") or {}
    if record.get("kind") == "ceiling":
        hyper, ceiling = record.get("hyperparameters") or {}, tables.get("ceiling") or {}
        candidates = [hyper.get("bin_size"), ceiling.get("bin_size"), evaluation.get("bin_size"), 1]
    else:
        binary_default = evaluation.get("input_length") if record.get("task") == "binary" else None
        candidates = [evaluation.get("bin_size"), binary_default]
    return next((b for b in map(_positive_int, candidates) if b is not None), None)


@dataclass(frozen=True)
class SourcedRecord:
    """A verified record and where it was found."""

    record: dict
    source: str
    origin: str  # "local" | "wandb-offline" | "wandb-api"
    base_dir: Path | None = None  # folder that relative figure paths are resolved against
    verified: bool = False  # the verification log verifies this checksum
    verified_mode: str | None = None  # how: "retrain" (re-trained) or "reevaluate" (weights only)
    signed_by: str | None = None  # key id of a trusted key that signed it
    conflict: bool = False  # kept in an unresolved conflict with another record of its key

    @property
    def key(self) -> tuple[str, str, str, str, int, int | None]:
        """(dataset fingerprint, kind, model, task, seed, ceiling bin): one record per key on a
        board (the bin is None for models; each ceiling has one record per bin)."""
        rec = self.record
        return (
            rec["dataset"]["fingerprint"],
            rec["kind"],
            row_model_name(rec),
            rec["task"],
            int(rec["seed"]),
            record_bin(rec) if rec["kind"] == "ceiling" else None,
        )

    @property
    def checksum(self) -> str:
        return str(self.record["checksum"])


@dataclass(frozen=True)
class Refusal:
    """A record that was not put on the board, and why."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class Conflict(Refusal):
    """A record left out because another with the same key and other content was kept."""

    kept: str = ""  # source of the kept record
    resolved: bool = False  # kept because it is verified or signed by a trusted key


@dataclass
class GatherResult:
    """What :func:`gather_records` found."""

    records: list[SourcedRecord] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (kept source, identical copy)
    conflicts: list[Refusal] = field(default_factory=list)  # same key, other content: superseded
    sources: list[str] = field(default_factory=list)  # the folders / projects that were read
    trust_log: str | None = None  # the verification log that marked verified records

    @property
    def unresolved(self) -> list[Refusal]:
        """Conflicts decided by age only (no verified or trusted-signed record among them)."""
        return [c for c in self.conflicts if not getattr(c, "resolved", False)]


def _walk(root: Path) -> Iterable[tuple[Path, list[str], list[str]]]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield Path(dirpath), dirnames, sorted(filenames)


def find_record_files(root: str | Path) -> list[Path]:
    """Record files (``record.json`` / ``*.record.json``) below ``root``, sorted.

    Hidden folders (atomic-write temporaries) and W&B run folders (``offline-run-*``, ``run-*``;
    read them with ``--wandb-dir``) are skipped; symlinked folders are not followed.
    """
    root = Path(root)
    if root.is_file():
        return [root]
    found: list[Path] = []
    for dirpath, dirs, files in _walk(root):
        dirs[:] = [d for d in dirs if not _RUN_DIR.match(d)]
        found.extend(dirpath / name for name in files if is_record_name(name))
    return sorted(found)


def find_wandb_run_dirs(root: str | Path) -> list[Path]:
    """W&B run folders (``offline-run-*`` / ``run-*`` with a ``files/`` folder) at or below ``root``."""
    root = Path(root)
    if _RUN_DIR.match(root.name) and (root / "files").is_dir():
        return [root]
    found: list[Path] = []
    for dirpath, dirs, _files in _walk(root):
        for name in list(dirs):
            if _RUN_DIR.match(name) and (dirpath / name / "files").is_dir():
                found.append(dirpath / name)
                dirs.remove(name)  # do not descend into a run folder looking for more runs
    return sorted(found)


# A candidate is (source label, origin, base dir, loader returning a verified record).
_Candidate = tuple[str, str, "Path | None", Callable[[], dict]]


def _local_candidates(folder: Path) -> list[_Candidate]:
    if not folder.exists():
        raise ConfigError(
            "records folder does not exist",
            source=folder,
            hint="pass the output folder of `benchsuite run` (e.g. --records runs/)",
        )
    out: list[_Candidate] = []
    for path in find_record_files(folder):
        out.append((str(path), "local", path.parent, partial(read_record, path)))
    return out


def _wandb_dir_candidates(folder: Path) -> list[_Candidate]:
    if not folder.exists():
        raise ConfigError(
            "W&B folder does not exist",
            source=folder,
            hint="pass the folder holding wandb/offline-run-* (the output folder of `benchsuite run`)",
        )
    out: list[_Candidate] = []
    runs = find_wandb_run_dirs(folder)
    if not runs:
        log.warning("%s: no W&B run folders (wandb/offline-run-*/files) found", folder)
    for run_dir in runs:
        files = run_dir / "files"
        for path in find_record_files(files):
            if "media" in path.relative_to(files).parts:
                continue
            out.append((str(path), "wandb-offline", path.parent, partial(read_record, path)))
    return out


def _default_api() -> Any:
    try:
        import wandb

        return wandb.Api(timeout=60)
    except Exception as exc:
        raise ConfigError(
            f"cannot open the W&B API: {exc}",
            source="--wandb",
            hint="run `wandb login` or set WANDB_API_KEY (or use --wandb-dir with offline run folders)",
        ) from exc


def _api_candidates(project: str, api: Any, tmp_root: Path) -> tuple[list[_Candidate], list[Refusal]]:
    if project.count("/") != 1 or not all(project.split("/")):
        raise ConfigError(
            f"W&B project {project!r} is not of the form ENTITY/PROJECT",
            source="--wandb",
            hint="e.g. --wandb my-team/benchsuite",
        )
    try:
        runs = list(api.runs(project))
    except Exception as exc:
        raise ConfigError(
            f"cannot list the runs of W&B project {project}: {exc}",
            source="--wandb",
            hint="check the project path, your network and `wandb login`",
        ) from exc
    candidates: list[_Candidate] = []
    refused: list[Refusal] = []
    for index, run in enumerate(runs):
        run_id = str(getattr(run, "id", None) or f"run{index}")
        label = f"wandb:{project}/{run_id}"
        try:
            files = list(run.files())
        except Exception as exc:
            refused.append(Refusal(label, f"cannot list the run's files: {exc}"))
            continue
        for file in files:
            name = str(getattr(file, "name", ""))
            parts = PurePosixPath(name).parts
            if not parts or not is_record_name(parts[-1]):
                continue
            source = f"{label}/{name}"
            if PurePosixPath(name).is_absolute() or ".." in parts or "media" in parts:
                refused.append(Refusal(source, "unsafe or unexpected file path in the run"))
                continue
            size = getattr(file, "size", None)
            if isinstance(size, int) and size > MAX_RECORD_BYTES:
                refused.append(Refusal(source, f"file is {size} bytes, larger than any result record"))
                continue
            root = tmp_root / f"{index:05d}"

            def load(file: Any = file, root: Path = root, name: str = name, source: str = source) -> dict:
                try:
                    handle = file.download(root=str(root), replace=True)
                    if hasattr(handle, "close"):
                        handle.close()
                    local = (root / name).resolve()
                    if root.resolve() not in local.parents:
                        raise RecordError("downloaded file escaped its folder", source=source)
                    data = local.read_bytes()
                except BenchsuiteError:
                    raise
                except Exception as exc:
                    raise RecordError(f"cannot download the record: {exc}", source=source) from exc
                return parse_record(data, source=source)

            candidates.append((source, "wandb-api", None, load))
    return candidates, refused


def gather_records(
    *,
    records: Sequence[str | Path] = (),
    wandb_dirs: Sequence[str | Path] = (),
    wandb_projects: Sequence[str] = (),
    api: Any = None,
    harness_version: str | None = None,
    fingerprint: str | None = None,
    trust: Trust | None = None,
) -> GatherResult:
    """Find, verify and deduplicate result records from every source.

    Parameters
    ----------
    records:
        Local folders (or record files) searched recursively.
    wandb_dirs:
        Folders holding W&B run folders (``wandb/offline-run-*``), or run folders themselves.
    wandb_projects:
        W&B projects ``ENTITY/PROJECT`` read through the public API.
    api:
        A ``wandb.Api``-like object (``runs(path)`` -> runs with ``id`` and ``files()``; files with
        ``name`` and ``download(root=, replace=)``). Default: ``wandb.Api()``, created only when a
        project is given.
    harness_version:
        Records from another harness are refused. Default: the installed harness version.
    fingerprint:
        When given (full fingerprint or a prefix of at least 8 characters), records of any other
        dataset are refused.
    trust:
        Verified checksums and trusted keys (:func:`benchsuite.leaderboard.trust.load_trust`);
        they mark records and decide conflicts.

    Returns
    -------
    GatherResult
        Verified unique records in source order, refusals with reasons, identical duplicates and
        conflicts (records superseded by a newer one with the same key).

    Raises
    ------
    ConfigError
        For a missing folder, a malformed project path or an unreachable W&B API.
    """
    harness = harness_version or current_harness_version()
    trust = trust or Trust()
    if fingerprint is not None and len(fingerprint) < 8:
        raise ConfigError(
            f"fingerprint {fingerprint!r} is too short",
            source="--fingerprint",
            hint="give at least 8 characters",
        )
    result = GatherResult(trust_log=trust.log_path)
    candidates: list[_Candidate] = []
    for folder in records:
        result.sources.append(f"records:{folder}")
        candidates.extend(_local_candidates(Path(folder)))
    for folder in wandb_dirs:
        result.sources.append(f"wandb-dir:{folder}")
        candidates.extend(_wandb_dir_candidates(Path(folder)))
    with tempfile.TemporaryDirectory(prefix="benchsuite-wandb-") as tmp:
        for index, project in enumerate(wandb_projects):
            result.sources.append(f"wandb:{project}")
            if api is None:
                api = _default_api()
            found, refused = _api_candidates(project, api, Path(tmp) / f"p{index}")
            candidates.extend(found)
            result.refused.extend(refused)
        verified: list[SourcedRecord] = []
        for source, origin, base_dir, load in candidates:
            try:
                record = load()
            except RecordError as exc:
                result.refused.append(Refusal(source, exc.message))
                continue
            problem = _board_problem(record, harness=harness, fingerprint=fingerprint)
            bad_signature, signer = signature_status(record, trust)
            if problem or bad_signature:
                result.refused.append(Refusal(source, str(problem or bad_signature)))
                continue
            verified.append(annotate(SourcedRecord(record, source, origin, base_dir), trust, signer))
    resolve_conflicts(verified, result)
    for refusal in result.refused:
        log.warning("refused %s", refusal)
    for conflict in result.conflicts:
        log.warning("conflict: %s", conflict)
    return result


def _board_problem(record: dict, *, harness: str, fingerprint: str | None) -> str | None:
    if record["harness_version"] != harness:
        return (
            f"harness version {record['harness_version']} does not match this benchsuite's harness "
            f"{harness} (re-evaluate the model with the installed benchsuite)"
        )
    fp = record["dataset"]["fingerprint"]
    if fingerprint is not None and not fp.startswith(fingerprint.lower()):
        return f"dataset fingerprint {fp[:12]}… does not match the board's fingerprint {fingerprint[:12]}…"
    return None
