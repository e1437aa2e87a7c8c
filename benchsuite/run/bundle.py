"""The bundle a run scores on: ``--bundle``, or the profile's simulated bundle (made once, then reused)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from benchsuite.errors import BenchsuiteError, ConfigError
from benchsuite.run.context import is_main_process

if TYPE_CHECKING:
    from benchsuite.run.runner import RunOptions

__all__ = ["resolve_bundle"]

log = logging.getLogger(__name__)


def _bundle_matches(bundle_dir: Path, profile: str, seed: int) -> bool:
    """True when ``bundle_dir`` holds an intact simulated bundle of (profile, seed) by this simulator.

    Intact: the fingerprint recorded in the manifest equals the fingerprint of the files now.
    """
    from benchsuite.data.manifest import load_manifest
    from benchsuite.simulate.bundle import SIMULATOR_VERSION, bundle_fingerprint

    try:
        manifest = load_manifest(bundle_dir)
    except BenchsuiteError as exc:
        log.warning("ignoring the unreadable bundle in %s: %s", bundle_dir, exc)
        return False
    sim = manifest.simulator or {}
    if str(sim.get("profile")) != profile or sim.get("seed") != seed:
        return False
    if str(sim.get("version")) != SIMULATOR_VERSION:
        log.info("bundle %s was made by simulator %s; simulating again", bundle_dir, sim.get("version"))
        return False
    if sim.get("fingerprint") != bundle_fingerprint(manifest.root):
        log.warning("bundle %s does not match its recorded fingerprint; simulating again", bundle_dir)
        return False
    return True


def resolve_bundle(options: RunOptions, console: Console | None = None) -> Path:
    """The bundle to run on: ``--bundle``, or the profile's simulated bundle (made once).

    The simulated bundle lives in ``<out>/bundles/<profile>-seed<seed>/``; it is reused when
    present and its simulator fingerprint matches, else simulated (again) there, atomically.

    Returns
    -------
    pathlib.Path
        The bundle folder or manifest file.

    Raises
    ------
    ManifestError
        ``--bundle`` is not a readable bundle.
    ConfigError
        The simulated bundle is missing in an extra DDP process (only the main one simulates).
    """
    from benchsuite.data.manifest import load_manifest

    if options.bundle is not None:
        load_manifest(options.bundle)  # fail early with a ManifestError naming the file
        return Path(options.bundle)
    target = Path(options.out) / "bundles" / f"{options.profile}-seed{options.seed}"
    if target.exists() and _bundle_matches(target, options.profile, options.seed):
        log.info("reusing the simulated bundle %s", target)
        return target
    if not is_main_process():
        raise ConfigError(
            f"simulated bundle {target} is missing in a DDP worker process",
            source="--bundle",
            hint="simulate the bundle first (`benchsuite simulate`) and pass it with --bundle",
        )
    from benchsuite.simulate.bundle import simulate_bundle

    if console is not None:
        console.print(
            f"simulating the [bold]{options.profile}[/] bundle (seed {options.seed}) "
            f"into {escape(str(target))}",
            highlight=False,
        )
    started = time.perf_counter()
    # atomic: the bundle appears complete or not at all; force replaces a stale one
    simulate_bundle(options.profile, target, options.seed, force=True, progress=options.progress)
    log.info("simulated %s in %.1f s", target, time.perf_counter() - started)
    return target
