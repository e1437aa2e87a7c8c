"""The input files of a cache build: coverage tracks, excluded regions and peaks.

:func:`open_inputs` opens every coverage track (and the replicate-2 tracks when every coverage
target has one), checks their chromosomes against the genome chromosomes in use and reads the
excluded regions and the label targets' peaks. The returned :class:`BuildInputs` owns the open
tracks: close it (it is a context manager) whether the build succeeds or fails. When opening
fails part-way, the tracks opened so far are closed before the error propagates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from benchsuite.data.intervals import Intervals, read_intervals
from benchsuite.data.manifest_model import Manifest

__all__ = ["BuildInputs", "open_inputs"]

log = logging.getLogger(__name__)


@dataclass
class BuildInputs:
    """The opened and read inputs of one build.

    Attributes
    ----------
    tracks, track_maps:
        One open :class:`~benchsuite.io.bigwig.BigWig` per coverage target and its genome ->
        track chromosome names.
    rep2, rep2_maps:
        The same for the replicate-2 tracks; None unless every coverage target has one.
    excluded:
        Excluded regions per genome chromosome (empty without ``excluded``).
    peaks:
        Per label target, its peaks per genome chromosome; None when no target has peaks.
    unavailable:
        Dataset kinds that are not built, with the reason (``{"binary": ...}`` without peaks).
    """

    tracks: list[Any] = field(default_factory=list)
    track_maps: list[dict[str, str]] = field(default_factory=list)
    rep2: list[Any] | None = None
    rep2_maps: list[dict[str, str]] | None = None
    excluded: dict[str, Intervals] = field(default_factory=dict)
    peaks: list[dict[str, Intervals]] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        """Close every open track (replicate 1, then replicate 2)."""
        for bw in [*self.tracks, *(self.rep2 or [])]:
            bw.close()

    def __enter__(self) -> BuildInputs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_inputs(
    manifest: Manifest, used: dict[str, int], genome_sizes: dict[str, int] | None = None
) -> BuildInputs:
    """Open the tracks and read the intervals of a build.

    Parameters
    ----------
    manifest:
        The manifest naming the files.
    used:
        Genome chromosome -> length of every chromosome the split uses, in genome order.
    genome_sizes:
        Every chromosome of the genome (default: ``used``): a peak on a chromosome outside
        it is an error; peaks on genome chromosomes outside ``used`` are left out.

    Returns
    -------
    BuildInputs
        The inputs; the caller closes them.

    Raises
    ------
    InputFileError
        Unreadable files, a track lacking a chromosome in use (or with a different length),
        intervals past chromosome ends, an empty peak file, a peak on a chromosome the genome
        lacks (file and line named), chromosome-name mismatches
        (:class:`~benchsuite.errors.ChromosomeNameError`) unless ``map_chrom_names``.
    """
    inputs = BuildInputs()
    try:
        _open_tracks(manifest, used, inputs)
        if manifest.excluded is not None:
            inputs.excluded = read_intervals(
                manifest.excluded, used, map_names=manifest.map_chrom_names, genome_path=manifest.genome
            )
        _read_peaks(manifest, used, inputs, genome_sizes if genome_sizes is not None else used)
    except BaseException:
        inputs.close()
        raise
    return inputs


def _open_tracks(manifest: Manifest, used: dict[str, int], inputs: BuildInputs) -> None:
    """Open every track into ``inputs`` (as soon as each is open, so a failure can close it)."""
    from benchsuite.io.bigwig import check_track_chroms, open_bigwig

    def open_checked(path: Any, tracks: list[Any], maps: list[dict[str, str]]) -> None:
        bw = open_bigwig(path)
        tracks.append(bw)
        maps.append(
            check_track_chroms(bw, used, map_names=manifest.map_chrom_names, genome_source=manifest.genome)
        )

    coverage_targets = manifest.coverage_targets
    for target in coverage_targets:
        assert target.track is not None
        open_checked(target.track, inputs.tracks, inputs.track_maps)
    with_rep2 = [t.replicate2 is not None for t in coverage_targets]
    if all(with_rep2):
        inputs.rep2, inputs.rep2_maps = [], []
        for target in coverage_targets:
            assert target.replicate2 is not None
            open_checked(target.replicate2, inputs.rep2, inputs.rep2_maps)
    elif any(with_rep2):
        log.warning(
            "%s: only some targets have replicate2 tracks; replicate-2 ceilings are skipped", manifest.path
        )


def called_peaks(manifest: Manifest, target: Any, inputs: BuildInputs, used: dict[str, int]) -> Any:
    """The peaks called on ``target``'s open track (:mod:`benchsuite.data.peakcall`)."""
    from benchsuite.data.peakcall import call_peaks

    i = manifest.coverage_target_names.index(target.name)
    return call_peaks(inputs.tracks[i], inputs.track_maps[i], used, target.peak_call)


def _read_peaks(
    manifest: Manifest, used: dict[str, int], inputs: BuildInputs, genome_sizes: dict[str, int]
) -> None:
    """Read the label targets' peaks into ``inputs`` (or record why there is no binary dataset)."""
    if not manifest.coverage_targets:
        inputs.unavailable["quantitative"] = (
            f"no target has a coverage track in {manifest.path} (a bundle of peak files only: "
            "the quantitative task needs `track:`)"
        )
    if not manifest.label_targets:
        inputs.unavailable["binary"] = (
            f"no target has a peaks file in {manifest.path} (binary labels need `peaks:`)"
        )
        log.info("binary dataset not built: %s", inputs.unavailable["binary"])
        return
    inputs.peaks = [
        called_peaks(manifest, t, inputs, used)  # peaks: {call: ...} on the target's own track
        if t.peak_call is not None
        else read_intervals(
            t.peaks,
            used,
            map_names=manifest.map_chrom_names,
            genome_path=manifest.genome,
            genome_chroms=genome_sizes,
            what="peaks",
        )
        for t in manifest.label_targets
    ]
    lacking = [t.name for t in manifest.targets if not t.has_labels]
    if lacking:
        log.info(
            "binary labels for the %d target(s) with peaks; %s have no peaks file",
            len(inputs.peaks),
            ", ".join(lacking),
        )
