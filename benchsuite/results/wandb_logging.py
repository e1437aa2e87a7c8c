"""Weights & Biases logging for one benchmark cell.

W&B is on by default in **offline** mode: no account is needed and no network connection is
made; everything lands in ``<directory>/wandb/offline-run-<time>-<id>/`` and can be uploaded
later with ``wandb sync``. ``online`` logs to the W&B server (needs ``wandb login`` or
``WANDB_API_KEY``); ``disabled`` makes every method a no-op without importing wandb.

What a run holds: the cell configuration (``config``), per-epoch curves (through the Lightning
logger returned by :meth:`WandbRun.lightning_logger`, attached to the same run), the final
metrics (summary keys ``<metric>`` for the mean and ``<metric>/<target>`` per target), the
harness figures (``figures/<name>`` images) and the result record as a real file of the run,
``files/record.json``, so the run folder (or the run on the server) alone is enough to rebuild
the leaderboard.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchsuite.errors import ConfigError

__all__ = ["WANDB_MODES", "WandbRun", "flatten_metrics", "wandb_settings", "RECORD_FILE_NAME"]

log = logging.getLogger(__name__)

#: accepted values of ``--wandb``
WANDB_MODES = ("online", "offline", "disabled")
#: name of the result record inside a run's files (unless the record file is ``*.record.json``)
RECORD_FILE_NAME = "record.json"
#: seconds wandb.init may take before we give up (offline starts in well under a second)
OFFLINE_INIT_TIMEOUT = 60.0
ONLINE_INIT_TIMEOUT = 120.0


def wandb_settings(mode: str) -> Any:
    """``wandb.Settings`` for a benchsuite run in ``mode`` ("online" or "offline").

    Offline runs collect no system metrics or machine metadata (those probe cloud metadata
    endpoints and GPUs), capture no console, code or git state, and have a bounded init timeout,
    so they never touch the network and never hang. Online runs keep W&B's system metrics.

    Parameters
    ----------
    mode:
        ``"online"`` or ``"offline"``.

    Returns
    -------
    wandb.Settings
    """
    import wandb

    common: dict[str, Any] = {
        "mode": mode,
        "silent": True,
        "console": "off",
        "save_code": False,
        "disable_code": True,
        "disable_job_creation": True,
        "x_save_requirements": False,
    }
    if mode == "offline":
        common.update(
            init_timeout=OFFLINE_INIT_TIMEOUT,
            x_disable_stats=True,
            x_disable_meta=True,
            x_disable_machine_info=True,
            disable_git=True,
        )
    else:
        common.update(init_timeout=ONLINE_INIT_TIMEOUT)
    return wandb.Settings(**common)


def flatten_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Flatten harness metrics into W&B summary keys.

    Parameters
    ----------
    metrics:
        ``EvalResult.metrics``: ``name -> {"mean": float | None, "per_target": {target: float}}``.

    Returns
    -------
    dict
        ``{name: mean, f"{name}/{target}": value}``; None and non-finite values are left out.
    """
    flat: dict[str, float] = {}

    def put(key: str, value: Any) -> None:
        if value is None:
            return
        try:
            number = float(value)
        except (TypeError, ValueError):
            return
        if math.isfinite(number):
            flat[key] = number

    for name, entry in metrics.items():
        if isinstance(entry, Mapping):
            put(name, entry.get("mean"))
            for target, value in (entry.get("per_target") or {}).items():
                put(f"{name}/{target}", value)
        else:
            put(name, entry)
    return flat


class WandbRun:
    """One W&B run per benchmark cell; a no-op when the mode is ``disabled``.

    Create it with :meth:`start`, never directly.
    """

    def __init__(self, mode: str, run: Any = None, *, directory: Path | None = None, project: str = ""):
        self.mode = mode
        self._run = run
        self._directory = directory
        self._project = project
        self._finished = run is None
        self._logger: Any = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def start(
        cls,
        *,
        mode: str,
        directory: Path,
        project: str,
        name: str,
        group: str,
        config: dict,
    ) -> WandbRun:
        """Start a run (or a no-op stand-in when ``mode == "disabled"``).

        Parameters
        ----------
        mode:
            ``"online"``, ``"offline"`` (default of the CLI) or ``"disabled"``.
        directory:
            Folder under which W&B writes ``wandb/`` (the run output folder).
        project:
            W&B project (``ENTITY/PROJECT`` also accepted online).
        name:
            Run name, e.g. ``"<model>/<task>/seed<seed>"``.
        group:
            Run group, e.g. the dataset name and fingerprint prefix.
        config:
            The cell configuration (model, task, dataset, hyperparameters, seed).

        Returns
        -------
        WandbRun

        Raises
        ------
        ConfigError
            For an unknown mode, or when wandb cannot start (with the way out: ``--wandb disabled``).
        """
        if mode not in WANDB_MODES:
            raise ConfigError(
                f"unknown W&B mode {mode!r}",
                source="--wandb",
                hint=f"use one of {', '.join(WANDB_MODES)}",
            )
        if mode == "disabled":
            return cls("disabled")
        directory = Path(directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        entity = None
        if "/" in project:
            entity, project = project.split("/", 1)
        try:
            import wandb

            run = wandb.init(
                dir=str(directory),
                project=project,
                entity=entity,
                name=name,
                group=group,
                config=_plain(config),
                settings=wandb_settings(mode),
                reinit="create_new",
            )
        except ConfigError:
            raise
        except Exception as exc:
            hint = (
                "run `wandb login` or set WANDB_API_KEY, or use --wandb offline (no account needed)"
                if mode == "online"
                else "check that the output folder is writable, or use --wandb disabled"
            )
            raise ConfigError(
                f"could not start a W&B {mode} run: {exc}", source="--wandb", hint=hint
            ) from exc
        log.debug("W&B %s run %s in %s", mode, run.id, run.dir)
        return cls(mode, run, directory=directory, project=project)

    # ------------------------------------------------------------------ properties
    @property
    def enabled(self) -> bool:
        """Whether a real W&B run is attached."""
        return self._run is not None

    @property
    def run(self) -> Any:
        """The underlying ``wandb`` run (None when disabled)."""
        return self._run

    @property
    def files_dir(self) -> Path | None:
        """The run's ``files/`` folder (what W&B uploads; holds ``record.json``)."""
        return Path(self._run.dir) if self._run is not None else None

    @property
    def reference(self) -> dict | None:
        """Where to find this run: ``{"mode", "project", "id", "dir", "url"}`` (None when disabled).

        ``dir`` is the run folder (``.../wandb/offline-run-*``); ``url`` is None offline.
        """
        if self._run is None:
            return None
        files = Path(self._run.dir)
        url = None
        if self.mode == "online":
            url = getattr(self._run, "url", None)
        entity = getattr(self._run, "entity", None) if self.mode == "online" else None
        project = getattr(self._run, "project", None) or self._project
        ref = {
            "mode": self.mode,
            "project": f"{entity}/{project}" if entity else project,
            "id": str(self._run.id),
            "dir": str(files.parent),
            "url": url,
        }
        return ref

    # ------------------------------------------------------------------ logging
    def lightning_logger(self) -> Any:
        """A ``lightning.pytorch.loggers.WandbLogger`` writing to this run (None when disabled).

        Per-epoch curves logged by the LightningModule are plotted against
        ``trainer/global_step``.
        """
        if self._run is None:
            return None
        if self._logger is None:
            from lightning.pytorch.loggers import WandbLogger

            self._logger = WandbLogger(experiment=self._run, log_model=False)
            try:
                self._run.define_metric("trainer/global_step")
                self._run.define_metric("*", step_metric="trainer/global_step", step_sync=True)
            except Exception as exc:  # pragma: no cover - cosmetic (x axis of the curves)
                log.debug("define_metric failed: %s", exc)
        return self._logger

    def log_final(self, metrics: dict, figures: dict[str, str]) -> None:
        """Log the final metrics (run summary) and the harness figures (images).

        Parameters
        ----------
        metrics:
            ``EvalResult.metrics`` (``name -> {"mean", "per_target"}``); stored flattened, see
            :func:`flatten_metrics`.
        figures:
            ``name -> path``; PNGs are logged (missing ones skipped with a warning), figure data
            files (``.json``, drawn on demand by ``benchsuite figures``) are not.
        """
        if self._run is None:
            return
        import wandb

        flat = flatten_metrics(metrics)
        self._run.summary.update(flat)
        images = {}
        for fig_name, path in (figures or {}).items():
            if Path(path).suffix.lower() != ".png":  # figure data (drawn on demand), not an image
                continue
            if not Path(path).is_file():
                log.warning("W&B: figure %s (%s) does not exist; not logged", fig_name, path)
                continue
            images[f"figures/{fig_name}"] = wandb.Image(str(path), caption=str(fig_name))
        if images:
            self._run.log(images)

    def save_record(self, path: Path) -> None:
        """Store the result record as a file of the run (``files/record.json``).

        The file is copied (not linked) into the run's ``files/`` folder, so an offline run
        folder stays complete when the output folder is moved, and it is uploaded with policy
        ``"now"`` online.

        Parameters
        ----------
        path:
            The record file written by :func:`benchsuite.results.record.write_record`.
        """
        if self._run is None:
            return
        path = Path(path)
        files = Path(self._run.dir)
        name = path.name if path.name.endswith(".record.json") else RECORD_FILE_NAME
        dest = files / name
        from benchsuite.io.atomic import atomic_write

        with atomic_write(dest, "wb") as handle, path.open("rb") as source:
            shutil.copyfileobj(source, handle)
        self._run.save(str(dest), base_path=str(files), policy="now")

    def finish(self) -> None:
        """Close the run (idempotent); offline runs are then complete on disk."""
        if self._run is None or self._finished:
            return
        self._finished = True
        self._run.finish()

    def __enter__(self) -> WandbRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def __repr__(self) -> str:
        ident = getattr(self._run, "id", None)
        return f"WandbRun(mode={self.mode!r}, id={ident!r})"


def _plain(value: Any) -> Any:
    """Config values as plain JSON-like types (Paths and tuples converted)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
