"""Write a complete simulated benchmark bundle (``benchsuite simulate``).

A bundle is a folder readable by the same loaders as real data::

    manifest.yaml                 the bundle manifest (docs/ARCHITECTURE.md, "Bundle manifest")
    genome.fa, genome.fa.fai      the simulated genome (chr1..chr9[, ...]; chr8 test, chr9 valid)
    tracks/<celltype>.rep1.bw     fold-change coverage, replicate 1 (the training target)
    tracks/<celltype>.rep2.bw     replicate 2 (the experimental ceiling)
    peaks/<celltype>.narrowPeak   peaks called from replicate 1
    excluded.bed                  N runs (unmappable gaps)
    motifs.meme                   the planted motifs, then the decoys (decoys.py)
    variants/elements.fa(.fai)    CAGI5-like element windows
    variants/variants.tsv         their saturation mutagenesis (CAGI5 columns)
    truth.json                    grammar, oracle parameters, planted elements and motif
                                  sites, strong motif hits, replicate correlations, statistics

The bundle is built in a temporary folder next to ``out`` and renamed into place, so a
reader never sees half a bundle. It is a deterministic function of (profile, seed,
benchsuite version): the same inputs give byte-identical files and the same *fingerprint*
(sha256 over the sorted relative paths and content hashes of every file but the manifest,
which records it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchsuite import __version__
from benchsuite.data.manifest import write_manifest
from benchsuite.errors import ConfigError
from benchsuite.io.atomic import atomic_directory, atomic_write
from benchsuite.io.bed import Intervals, write_bed, write_narrowpeak
from benchsuite.io.bigwig import write_bigwig
from benchsuite.io.fasta import write_fasta
from benchsuite.io.meme import Motif
from benchsuite.io.stale import remove_stale_temporaries

from .decoys import write_motif_database
from .genome import SimGenome, make_genome
from .grammar import make_grammar
from .oracle import Oracle, SparseChannels, make_oracle_params
from .primer import PRIMER_PROFILE, simulate_primer
from .profiles import SimProfile, get_profile
from .tracks import TrackNoise, call_peaks, chunk_max, pearson_streaming, simulate_celltype
from .variants import VariantSet, make_variant_set, write_variant_set

__all__ = ["simulate_bundle", "bundle_fingerprint", "TRUTH_FORMAT", "MANIFEST_FILE", "SIMULATOR_VERSION"]

log = logging.getLogger(__name__)

#: format tag and version of ``truth.json``
TRUTH_FORMAT = ("benchsuite-simulator-truth", 1)
#: the manifest's file name (excluded from the fingerprint it records)
MANIFEST_FILE = "manifest.yaml"
#: simulator version recorded in the manifest (the benchsuite version)
SIMULATOR_VERSION = __version__
#: motif hits at least this strong are listed in truth.json
_HIT_MIN_STRENGTH = 0.5

# independent random streams: (seed, stream, ...) -> numpy generator
_GRAMMAR, _ORACLE, _GENOME, _BIO, _REP, _VARIANTS = range(1, 7)
_DECOYS = 7


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def bundle_fingerprint(folder: str | os.PathLike[str]) -> str:
    """sha256 over the sorted ``(relative path, sha256 of content)`` of every file of a bundle.

    The manifest (``manifest.yaml``, which records the fingerprint) is left out.

    Parameters
    ----------
    folder:
        The bundle folder.

    Returns
    -------
    str
        Hex digest.
    """
    folder = Path(folder)
    entries = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        if rel == MANIFEST_FILE:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        entries.append((rel, digest.hexdigest()))
    total = hashlib.sha256()
    for rel, hexdigest in sorted(entries):
        total.update(f"{rel}\0{hexdigest}\n".encode())
    return total.hexdigest()


def _check_out(out: Path, force: bool) -> None:
    """Refuse an ``out`` that is a file (or lies under one) or a non-empty folder without ``force``."""
    from benchsuite.io.paths import require_directory

    require_directory(out, option="--out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ConfigError(
            f"output folder {out} is not empty",
            source=out,
            hint="choose another --out, or pass --force to replace the folder",
        )


class _Progress:
    """A rich progress bar (or nothing) with named steps."""

    def __init__(self, enabled: bool, total: int, label: str):
        self.enabled = enabled
        self._bar = None
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(), transient=False,
            )  # fmt: skip
            self._task = self._bar.add_task(label, total=total)

    @contextmanager
    def running(self) -> Iterator[_Progress]:
        if self._bar is None:
            yield self
            return
        with self._bar:
            yield self

    def step(self, description: str, advance: float = 1.0) -> None:
        log.debug(description)
        if self._bar is not None:
            self._bar.update(self._task, advance=advance, description=description)


def _columns_json(obj: dict) -> str:
    """JSON with one line per top-level key (big tables stay compact, the file stays skimmable)."""
    lines = [
        f" {json.dumps(k)}: {json.dumps(v, sort_keys=True, separators=(',', ':'), allow_nan=False)}"
        for k, v in obj.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def simulate_bundle(
    profile: str | SimProfile,
    out: str | os.PathLike[str],
    seed: int,
    *,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Simulate a benchmark bundle and write it to ``out`` atomically.

    Parameters
    ----------
    profile:
        ``"smoke"``, ``"default"``, ``"paper"`` or a :class:`~.profiles.SimProfile`; ``"primer"``
        writes the primer's sequence-set bundle instead (:func:`~.primer.simulate_primer`).
    out:
        Output folder; must not exist or be empty unless ``force``.
    seed:
        Random seed (>= 0). Same profile + seed + benchsuite version -> identical bundle.
    force:
        Replace a non-empty ``out``.
    progress:
        Show a rich progress bar.

    Returns
    -------
    pathlib.Path
        The bundle folder.

    Raises
    ------
    ConfigError
        For an unknown profile, a negative seed, an ``out`` that is a file (or lies under
        one), or a non-empty ``out`` without ``force``.

    Notes
    -----
    The bundle is built in a temporary sibling of ``out`` carrying this process's host and
    PID; temporary siblings left by killed runs (owner PID gone) are removed first.
    """
    if profile == PRIMER_PROFILE:  # a sequence-set bundle, not a genome
        return simulate_primer(out, seed, force=force)
    prof = get_profile(profile)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"the seed must be a non-negative integer, got {seed!r}", source="--seed")
    seed = int(seed)
    out = Path(out)
    _check_out(out, force)
    remove_stale_temporaries(out.absolute().parent)
    t0 = time.perf_counter()
    T = prof.n_celltypes
    chroms = [c for c, _ in prof.chrom_sizes]
    bar = _Progress(progress, total=3 + len(chroms) + T + 2, label=f"simulate {prof.name}")
    with bar.running(), atomic_directory(out) as tmp:
        # ---- grammar, oracle, genome
        grammar = make_grammar(T, _rng(seed, _GRAMMAR))
        params = make_oracle_params(T, _rng(seed, _ORACLE))
        oracle = Oracle.from_dict(json.loads(json.dumps(Oracle(grammar, params).to_dict())))
        bar.step("grammar")
        genome = make_genome(prof, grammar, _rng(seed, _GENOME))
        bar.step("genome")
        write_fasta(tmp / "genome.fa", ((c, genome.sequences[c]) for c in chroms))
        bar.step("genome.fa")
        # ---- oracle hit channels per chromosome (sparse) and local GC
        (tmp / "tracks").mkdir()
        (tmp / "peaks").mkdir()
        channels, gcs = {}, {}
        for c in chroms:
            channels[c] = oracle.sparse_channels(genome.sequences[c])
            gcs[c] = oracle.gc_content(genome.sequences[c])
            bar.step(f"oracle {c}")
        gaps = {c: genome.sequences[c] >= 4 for c in chroms}
        # ---- tracks, peaks, replicate correlation per cell type
        noise = TrackNoise()
        results = []
        for t in range(T):
            results.append(_write_celltype(tmp, oracle, t, genome, channels, gcs, gaps, noise, prof, seed))
            bar.step(f"tracks {grammar.celltypes[t]}")
        # ---- excluded regions, motifs, variants
        write_bed(
            tmp / "excluded.bed",
            Intervals(
                chrom=np.array([g[0] for g in genome.gaps], dtype=str),
                start=np.array([g[1] for g in genome.gaps], dtype=np.int64),
                end=np.array([g[2] for g in genome.gaps], dtype=np.int64),
                name=np.array(["gap"] * len(genome.gaps), dtype=str),
            ),
        )
        planted = [Motif(m.name, m.ppm, alt_name=m.description.replace(" ", "_")) for m in grammar.motifs]
        decoys = write_motif_database(tmp / "motifs.meme", planted, _rng(seed, _DECOYS))
        variants = make_variant_set(oracle, genome, prof, _rng(seed, _VARIANTS))
        write_variant_set(tmp / "variants", variants)
        bar.step("variants")
        # ---- truth, fingerprint, manifest
        truth = _truth(prof, seed, oracle, noise, genome, channels, results, variants)
        truth["decoys"] = decoys.to_truth()
        with atomic_write(tmp / "truth.json", "w", newline="\n") as handle:
            handle.write(_columns_json(truth))
        fingerprint = bundle_fingerprint(tmp)
        write_manifest(tmp / MANIFEST_FILE, _manifest(prof, seed, grammar, fingerprint))
        bar.step("done")
    log.info("simulated bundle %s (%s, seed %d) in %.1f s", out, prof.name, seed, time.perf_counter() - t0)
    return out


@dataclass
class _CelltypeResult:
    name: str
    replicate_pearson: float
    replicate_pearson_test: float | None
    n_peaks: int
    fraction_above: float
    chunk_max: dict[str, np.ndarray]  # chromosome -> max of replicate 1 per chunk (NaN: has a gap)


def _write_celltype(
    tmp: Path,
    oracle: Oracle,
    t: int,
    genome: SimGenome,
    channels: dict[str, SparseChannels],
    gcs: dict[str, np.ndarray],
    gaps: dict[str, np.ndarray],
    noise: TrackNoise,
    prof: SimProfile,
    seed: int,
) -> _CelltypeResult:
    """Simulate, write and summarise both replicates and the peaks of cell type ``t``."""
    name = oracle.target_names[t]
    rep1, rep2, counts1, cmax = {}, {}, {}, {}
    r_all, r_test = pearson_streaming(), pearson_streaming()
    for i, c in enumerate(genome.chrom_sizes):
        bio_rng = _rng(seed, _BIO, t, i)
        rep_rngs = (_rng(seed, _REP, t, i, 1), _rng(seed, _REP, t, i, 2))
        (a, b), counts = simulate_celltype(
            oracle, t, channels[c], gcs[c], genome.sequences[c], noise, bio_rng, rep_rngs
        )
        rep1[c], rep2[c], counts1[c] = a, b, counts
        r_all.add(a, b)
        if c == "chr8":
            r_test.add(a, b)
        cmax[c] = chunk_max(a, prof.chunk_length)
    write_bigwig(tmp / "tracks" / f"{name}.rep1.bw", genome.chrom_sizes, rep1)
    write_bigwig(tmp / "tracks" / f"{name}.rep2.bw", genome.chrom_sizes, rep2)
    peaks = call_peaks(counts1, gaps, name)
    write_narrowpeak(tmp / "peaks" / f"{name}.narrowPeak", peaks)
    maxima = np.concatenate(list(cmax.values()))
    maxima = maxima[~np.isnan(maxima)]
    return _CelltypeResult(
        name=name,
        replicate_pearson=round(r_all.value, 6),
        replicate_pearson_test=round(r_test.value, 6) if r_test.n else None,
        n_peaks=len(peaks),
        fraction_above=round(float(np.mean(maxima > prof.coverage_threshold)) if maxima.size else 0.0, 6),
        chunk_max=cmax,
    )


def _manifest(prof: SimProfile, seed: int, grammar, fingerprint: str) -> dict:
    """The bundle manifest (docs/ARCHITECTURE.md, "Bundle manifest")."""
    targets = []
    for t, name in enumerate(grammar.celltypes):
        active = [m.name for m, a in zip(grammar.motifs, grammar.activity[t], strict=True) if a > 0]
        label = name.split("_", 1)[-1]
        targets.append(
            {
                "name": name,
                "track": f"tracks/{name}.rep1.bw",
                "replicate2": f"tracks/{name}.rep2.bw",
                "peaks": f"peaks/{name}.narrowPeak",
                "description": f"simulated cell type {label} (active factors: {', '.join(active)})",
            }
        )
    return {
        "benchsuite_manifest": 1,
        "name": f"sim-{prof.name}-seed{seed}",
        "genome": "genome.fa",
        "targets": targets,
        "split": {"test": ["chr8"], "valid": ["chr9"], "train": None, "exclude": []},
        "excluded": "excluded.bed",
        "map_chrom_names": False,
        "variants": {"sequences": "variants/elements.fa", "table": "variants/variants.tsv"},
        "motifs": "motifs.meme",
        "truth": "truth.json",
        "geometry": prof.geometry(),
        "simulator": {
            "profile": prof.name,
            "seed": seed,
            "version": SIMULATOR_VERSION,
            "fingerprint": fingerprint,
        },
    }


def _truth(
    prof: SimProfile,
    seed: int,
    oracle: Oracle,
    noise: TrackNoise,
    genome: SimGenome,
    channels: dict[str, SparseChannels],
    results: list[_CelltypeResult],
    variants: VariantSet,
) -> dict:
    """Content of ``truth.json``: everything needed to rebuild the oracle and score against truth."""
    # a chunk passes when any target's replicate 1 exceeds the threshold; chunks with a gap are dropped
    union = {c: np.fmax.reduce([r.chunk_max[c] for r in results]) for c in genome.chrom_sizes}
    for c in union:
        union[c][np.any([np.isnan(r.chunk_max[c]) for r in results], axis=0)] = np.nan
    maxima = np.concatenate(list(union.values()))
    maxima = maxima[~np.isnan(maxima)]
    above = int((maxima > prof.coverage_threshold).sum())
    hits = _strong_hits(oracle, channels, genome)

    def columns(rows: list[tuple], names: tuple[str, ...]) -> dict[str, list]:
        return {n: [row[i] for row in rows] for i, n in enumerate(names)}

    return {
        "format": TRUTH_FORMAT[0],
        "format_version": TRUTH_FORMAT[1],
        "benchsuite_version": __version__,
        "profile": prof.to_dict(),
        "seed": seed,
        "target_names": list(oracle.target_names),
        "chrom_sizes": genome.chrom_sizes,
        **oracle.to_dict(),
        "noise": noise.to_dict(),
        "replicate_pearson": {r.name: r.replicate_pearson for r in results},
        "replicate_pearson_test": {r.name: r.replicate_pearson_test for r in results},
        "stats": {
            "genome_length": prof.genome_length,
            "n_gap_bases": int(sum(g[2] - g[1] for g in genome.gaps)),
            "n_elements": len(genome.elements["id"]),
            "n_sites": len(genome.sites["start"]),
            "n_strong_hits": len(hits["position"]),
            "n_strong_hits_planted": int(sum(hits["planted"])),
            "n_peaks": {r.name: r.n_peaks for r in results},
            "chunks": {
                "chunk_length": prof.chunk_length,
                "threshold": prof.coverage_threshold,
                "total": int(maxima.size),
                "above_threshold": above,
                "fraction_above": round(above / max(int(maxima.size), 1), 6),
                "fraction_above_per_target": {r.name: r.fraction_above for r in results},
            },
            "n_variants": len(variants.table["value"]),
            "n_variant_elements": len(variants.elements),
        },
        "gaps": columns(genome.gaps, ("chrom", "start", "end")),
        "gc_domains": columns(genome.gc_domains, ("chrom", "start", "end", "gc")),
        "elements": genome.elements,
        "sites": genome.sites,
        "hits": hits,
        "variants": {
            "elements": [{k: v for k, v in e.items() if k != "sequence"} for e in variants.elements],
            "oracle_effect": variants.table["oracle_effect"],
        },
    }


def _strong_hits(oracle: Oracle, channels: dict, genome) -> dict[str, list]:
    """Every motif hit with strength >= 0.5 (chance or planted), from the oracle's channels."""
    names = oracle.grammar.motif_names
    planted = set()
    for chrom, start, motif in zip(
        genome.sites["chrom"], genome.sites["start"], genome.sites["motif"], strict=True
    ):
        planted.add((chrom, start + oracle.grammar.motif(motif).width // 2, motif))
    cols: dict[str, list] = {"chrom": [], "position": [], "motif": [], "strength": [], "planted": []}
    for chrom, ch in channels.items():
        rows = []
        for m, name in enumerate(names):
            keep = ch.values[m] >= _HIT_MIN_STRENGTH
            for p, v in zip(ch.positions[m][keep].tolist(), ch.values[m][keep].tolist(), strict=True):
                rows.append((p, name, v))
        rows.sort()
        for p, name, v in rows:
            cols["chrom"].append(chrom)
            cols["position"].append(p)
            cols["motif"].append(name)
            cols["strength"].append(round(v, 4))
            cols["planted"].append((chrom, p, name) in planted)
    return cols
