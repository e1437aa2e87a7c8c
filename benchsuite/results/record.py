"""Result records: one JSON file per (model, task, dataset, seed) evaluation.

A record is what the leaderboard is built from, so it carries everything needed to trust and
place a number: the schema, benchsuite and harness versions, the dataset fingerprint, the model
with its plugin distribution and version, the task, hyperparameters and seed, every metric
(mean and per target), the harness tables, figures and not-applicable reasons, timings, the
software/hardware environment, the W&B run reference and a content checksum.

Checksum
    ``"sha256:" + sha256(canonical JSON of every field except "checksum" and "signature")``,
    where the canonical JSON is ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=True,
    allow_nan=False)`` encoded as ASCII. Editing any value by hand breaks it, and
    :func:`read_record` refuses the file. The checksum detects accidental corruption only: anyone
    can recompute it (see ``docs/trust.md``; :mod:`benchsuite.results.provenance` and
    :mod:`benchsuite.results.signing` add provenance hashes and ed25519 signatures).

Records are validated against ``record.schema.json`` (JSON Schema draft 2020-12) both when
written and when read, and are written atomically.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import importlib.metadata
import json
import math
import os
import platform
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from benchsuite import __version__
from benchsuite.errors import RecordError
from benchsuite.io.atomic import atomic_write

__all__ = [
    "SCHEMA_VERSION",
    "FALLBACK_HARNESS_VERSION",
    "MAX_RECORD_BYTES",
    "build_record",
    "write_record",
    "read_record",
    "parse_record",
    "validate_record",
    "record_checksum",
    "canonical_bytes",
    "current_harness_version",
    "environment_info",
    "load_schema",
]

#: version of the record layout (``record.schema.json``)
SCHEMA_VERSION = 1
#: used only when :mod:`benchsuite.evaluate` cannot be imported or does not define HARNESS_VERSION
FALLBACK_HARNESS_VERSION = "1.0"
#: records are small; anything larger is refused before parsing
MAX_RECORD_BYTES = 64 * 1024 * 1024

_EVALUATION_KEYS = ("metrics", "tables", "figures", "not_applicable", "timings", "harness_version")


def current_harness_version() -> str:
    """The harness version of this installation (``benchsuite.evaluate.HARNESS_VERSION``).

    Returns
    -------
    str
        The version string; ``FALLBACK_HARNESS_VERSION`` when the evaluate package is absent.
    """
    try:
        module = importlib.import_module("benchsuite.evaluate")
    except ImportError:
        return FALLBACK_HARNESS_VERSION
    return str(getattr(module, "HARNESS_VERSION", FALLBACK_HARNESS_VERSION))


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema of result records (draft 2020-12), as a dict."""
    text = resources.files("benchsuite.results").joinpath("record.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _jsonable(value: Any, where: str = "record") -> Any:
    """Deep-copy ``value`` into plain JSON types (numpy scalars/arrays, Paths, tuples; NaN -> None)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    # numpy (and torch) scalars and arrays, without importing numpy here
    if hasattr(value, "tolist") and callable(value.tolist):
        return _jsonable(value.tolist(), where)
    if hasattr(value, "item") and callable(value.item):
        return _jsonable(value.item(), where)
    raise RecordError(
        f"value of type {type(value).__name__} at {where} cannot be stored in a JSON record",
        source=where,
        hint="pass numbers, strings, lists or dicts (convert custom objects to plain values)",
    )


#: fields that are not part of the checksummed content
_UNCHECKSUMMED = ("checksum", "signature")


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes the checksum (and a signature) is computed over."""
    body = {k: v for k, v in record.items() if k not in _UNCHECKSUMMED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode(
        "ascii"
    )


def record_checksum(record: Mapping[str, Any]) -> str:
    """The content checksum of a record (every field except ``checksum`` and ``signature``).

    Parameters
    ----------
    record:
        A record dict (with or without its ``checksum`` field).

    Returns
    -------
    str
        ``"sha256:<64 hex digits>"``.
    """
    return "sha256:" + hashlib.sha256(canonical_bytes(record)).hexdigest()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_info() -> dict[str, Any]:
    """The software and hardware this process runs on (stored in every record).

    Returns
    -------
    dict
        ``python``, ``torch``, ``lightning``, ``numpy``, ``platform``, ``cpu`` (``model``,
        ``count``), ``gpu`` (device names, empty without CUDA).
    """
    gpus: list[str] = []
    torch_version = _dist_version("torch")
    if torch_version is not None:
        try:
            import torch

            torch_version = str(torch.__version__)
            if torch.cuda.is_available():
                gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception:  # pragma: no cover - a broken torch install must not block writing a record
            pass
    return {
        "python": platform.python_version(),
        "torch": torch_version,
        "lightning": _dist_version("lightning"),
        "numpy": _dist_version("numpy"),
        "platform": platform.platform(),
        "cpu": {"model": _cpu_model(), "count": os.cpu_count()},
        "gpu": gpus,
    }


def _schema_error_message(error: Any) -> str:
    field = error.json_path if getattr(error, "json_path", None) else "$"
    return f"field {field}: {error.message}"


def validate_record(record: Any, *, source: str | Path = "record") -> None:
    """Validate a record against the JSON schema.

    Parameters
    ----------
    record:
        The parsed record.
    source:
        The file or label to name in the error.

    Raises
    ------
    RecordError
        Naming ``source`` and the first offending field (e.g. ``$.metrics['peak.auroc'].mean``).
    """
    if isinstance(record, Mapping) and record.get("schema_version") not in (None, SCHEMA_VERSION):
        version = record.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise RecordError(
                f"record schema version {version} is newer than this benchsuite supports ({SCHEMA_VERSION})",
                source=source,
                hint="upgrade benchsuite to read this record",
            )
    errors = sorted(_validator().iter_errors(record), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise RecordError(
            f"not a valid result record: {_schema_error_message(errors[0])}{more}",
            source=source,
            hint="records must be written by benchsuite (benchsuite.results.write_record); re-run the cell",
        )


def build_record(
    *,
    kind: str = "model",
    model: str,
    plugin: str,
    distribution: str,
    distribution_version: str,
    task: str,
    dataset_name: str,
    dataset_fingerprint: str,
    profile: str | None,
    hyperparameters: dict,
    seed: int,
    evaluation: dict,
    timings: dict,
    wandb: dict | None,
    provenance: dict | None = None,
) -> dict:
    """Assemble a complete, checksummed result record.

    Parameters
    ----------
    kind:
        ``"model"`` for a trained model, ``"ceiling"`` for a reference (oracle, replicate 2).
    model, plugin, distribution, distribution_version:
        The model name and where it came from (plugin entry point, distribution and its version).
    task:
        ``"binary"`` or ``"quantitative"`` for models (ceilings: the task their numbers refer to).
    dataset_name, dataset_fingerprint, profile:
        The dataset (fingerprint from the dataset cache) and the model size profile (or None).
    hyperparameters:
        Everything that configured training (JSON-serialisable; numpy values are converted).
    seed:
        The training seed.
    evaluation:
        ``EvalResult.to_dict()``: ``metrics``, ``tables``, ``figures``, ``not_applicable``,
        ``timings`` and ``harness_version``; other keys are kept under ``evaluation_info``.
    timings:
        Wall-clock timings of the cell (seconds); the harness timings are added as ``harness``.
    wandb:
        ``WandbRun.reference`` (None when W&B is disabled).
    provenance:
        Plugin and weights hashes (:func:`benchsuite.results.provenance.build_provenance`);
        optional, part of the checksum.

    Returns
    -------
    dict
        The record, valid against the schema, with ``checksum`` set. Non-finite floats become None.

    Raises
    ------
    RecordError
        If the evaluation was produced by a different harness version, or a field is invalid.
    """
    harness = current_harness_version()
    evaluation = dict(evaluation or {})
    eval_harness = evaluation.get("harness_version")
    if eval_harness is not None and str(eval_harness) != harness:
        raise RecordError(
            f"evaluation was produced by harness {eval_harness}, but this benchsuite has harness {harness}",
            source=f"{model}/{task}",
            hint="re-evaluate the model with the installed benchsuite",
        )
    eval_timings = evaluation.get("timings") or {}
    all_timings = dict(timings or {})
    if eval_timings:
        all_timings["harness"] = eval_timings
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "benchsuite_version": __version__,
        "harness_version": harness,
        "kind": kind,
        "dataset": {"name": dataset_name, "fingerprint": dataset_fingerprint, "profile": profile},
        "model": {
            "name": model,
            "plugin": plugin,
            "distribution": distribution,
            "version": distribution_version,
        },
        "task": task,
        "hyperparameters": hyperparameters or {},
        "seed": seed,
        "metrics": evaluation.get("metrics") or {},
        "tables": evaluation.get("tables") or {},
        "figures": evaluation.get("figures") or {},
        "not_applicable": evaluation.get("not_applicable") or {},
        "timings": all_timings,
        "environment": environment_info(),
        "wandb": wandb,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    extra = {k: v for k, v in evaluation.items() if k not in _EVALUATION_KEYS}
    if extra:
        record["evaluation_info"] = extra
    if provenance is not None:
        record["provenance"] = provenance
    record = _jsonable(record)
    record["checksum"] = record_checksum(record)
    validate_record(record, source=f"record of {model}/{task}")
    return record


def write_record(path: str | Path, record: dict) -> Path:
    """Validate a record and write it atomically as indented JSON.

    Parameters
    ----------
    path:
        Target file (conventionally ``record.json`` or ``<name>.record.json``).
    record:
        A record from :func:`build_record`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    RecordError
        If the record violates the schema or its checksum does not match its content.
    """
    path = Path(path)
    validate_record(record, source=path)
    if record_checksum(record) != record["checksum"]:
        raise RecordError(
            "record content does not match its checksum (modified after build_record?)",
            source=path,
            hint="build the record with build_record after the last change",
        )
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def parse_record(text: str | bytes, *, source: str | Path) -> dict:
    """Parse and verify a record from its JSON text (schema and checksum).

    Parameters
    ----------
    text:
        The JSON text.
    source:
        The file or W&B run path named in errors.

    Returns
    -------
    dict
        The verified record (a fresh copy).

    Raises
    ------
    RecordError
        For invalid JSON, a schema violation (naming the field) or a checksum mismatch.
    """
    try:
        record = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(
            f"not valid JSON ({exc})",
            source=source,
            hint="the file is truncated or corrupt; re-run the cell to rewrite it",
        ) from None
    validate_record(record, source=source)
    expected = record_checksum(record)
    if expected != record["checksum"]:
        raise RecordError(
            "checksum mismatch: the record's content does not match its checksum "
            "(edited after it was written?)",
            source=source,
            hint="never edit records by hand; re-run the cell to produce a fresh record",
        )
    return record


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a record")


def read_record(path: str | Path) -> dict:
    """Read a record file and verify its schema and checksum.

    Parameters
    ----------
    path:
        The record file.

    Returns
    -------
    dict
        The verified record.

    Raises
    ------
    RecordError
        Naming the file: missing/unreadable, too large, bad JSON, schema violation (with the
        field), or checksum mismatch ("edited after it was written?").
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise RecordError(
                f"file is {size} bytes, larger than any result record ({MAX_RECORD_BYTES} bytes max)",
                source=path,
                hint="point the leaderboard at record.json files written by benchsuite",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(
            f"cannot read record ({exc.strerror or exc})", source=path, hint="check the path and permissions"
        ) from None
    return parse_record(data, source=path)
