"""CLI: ``benchsuite simulate`` — write the embedded default benchmark (a simulated bundle).

``benchsuite simulate --profile smoke|default|paper --out DIR --seed N [--force]`` simulates
a genome, coverage tracks (two replicates per cell type), peaks, motifs, a CAGI5-like variant
set and the ground truth, writes them as a bundle folder and prints a summary: per cell type
the replicate-2 vs replicate-1 Pearson correlation (genome-wide and on the test chromosome),
the number of peaks and the fraction of chunks above the coverage threshold, plus file sizes
and the bundle fingerprint. ``--profile primer`` writes the primer's experiment as a
sequence-set bundle (:mod:`benchsuite.simulate.primer`) and prints its own short summary.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

_PROFILES = ("smoke", "default", "paper", "primer")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def render_summary(bundle: Path, console: Console, *, seconds: float | None = None) -> None:
    """Print the summary of a simulated bundle (read from its manifest and ``truth.json``).

    Parameters
    ----------
    bundle:
        The bundle folder.
    console:
        Where to print.
    seconds:
        Wall time of the simulation, if known.
    """
    import yaml
    from rich.table import Table

    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text(encoding="utf-8"))
    truth = json.loads((bundle / "truth.json").read_text(encoding="utf-8"))
    if manifest.get("kind") == "sequences":
        _render_sequence_set(bundle, manifest, truth, console, seconds)
        return
    sim = manifest["simulator"]
    stats = truth["stats"]
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    console.print(
        f"[bold]{manifest['name']}[/]: simulated profile [bold]{sim['profile']}[/], seed {sim['seed']}{took}",
        soft_wrap=True,
    )
    console.print(f"bundle       {bundle.resolve()}", soft_wrap=True, highlight=False)
    console.print(f"fingerprint  {sim['fingerprint']}", soft_wrap=True, highlight=False)
    g = manifest["geometry"]
    sizes = truth["chrom_sizes"]
    console.print(
        f"genome       {len(sizes)} chromosomes, {stats['genome_length'] / 1e6:.2f} Mb "
        f"({stats['n_gap_bases'] / 1e3:.1f} kb in N gaps); test chr8 {sizes.get('chr8', 0) / 1e6:.2f} Mb, "
        f"valid chr9 {sizes.get('chr9', 0) / 1e6:.2f} Mb",
        soft_wrap=True,
    )
    console.print(
        f"elements     {stats['n_elements']} planted elements, {stats['n_sites']} motif sites; "
        f"{stats['n_strong_hits']} strong motif hits ({stats['n_strong_hits_planted']} planted)",
        soft_wrap=True,
    )
    chunks = stats["chunks"]
    console.print(
        f"geometry     chunk {g['chunk_length']} bp, input {g['input_length']} bp, bins {g['bin_sizes']}; "
        f"{chunks['above_threshold']} / {chunks['total']} chunks ({100 * chunks['fraction_above']:.1f}%) "
        f"above coverage {g['coverage_threshold']:g}",
        soft_wrap=True,
    )
    console.print(
        f"variants     {stats['n_variants']} variants in {stats['n_variant_elements']} held-out elements",
        soft_wrap=True,
    )
    table = Table(title="cell types (targets)", title_justify="left")
    table.add_column("target", no_wrap=True)
    table.add_column("rep2 vs rep1 r", justify="right")
    table.add_column("r (chr8)", justify="right")
    table.add_column("peaks", justify="right")
    table.add_column("chunks > thr", justify="right")
    table.add_column("active factors")
    per_target = chunks.get("fraction_above_per_target", {})
    for target in manifest["targets"]:
        name = target["name"]
        r = truth["replicate_pearson"].get(name)
        r8 = truth.get("replicate_pearson_test", {}).get(name)
        desc = target.get("description", "")
        active = desc.split("active factors: ", 1)[-1].rstrip(")") if "active factors" in desc else ""
        table.add_row(
            name,
            "-" if r is None else f"{r:.3f}",
            "-" if r8 is None else f"{r8:.3f}",
            str(stats["n_peaks"].get(name, "-")),
            f"{100 * per_target[name]:.1f}%" if name in per_target else "-",
            active,
        )
    console.print(table)
    files = Table(title="files", title_justify="left")
    files.add_column("file")
    files.add_column("size", justify="right")
    groups: dict[str, int] = {}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle).as_posix()
        key = rel
        if rel.startswith("tracks/"):
            key = "tracks/*.rep1.bw" if rel.endswith(".rep1.bw") else "tracks/*.rep2.bw"
        elif rel.startswith("peaks/"):
            key = "peaks/*.narrowPeak"
        groups[key] = groups.get(key, 0) + path.stat().st_size
    for key, n in groups.items():
        files.add_row(key, _size(n))
    files.add_row("[bold]total[/]", f"[bold]{_size(sum(groups.values()))}[/]")
    console.print(files)


def _render_sequence_set(
    bundle: Path, manifest: dict, truth: dict, console: Console, seconds: float | None
) -> None:
    """The summary of a simulated sequence-set bundle (``--profile primer``)."""
    sim = manifest["simulator"]
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    console.print(
        f"[bold]{manifest['name']}[/]: simulated profile [bold]{sim['profile']}[/] (sequence set), "
        f"seed {sim['seed']}{took}",
        soft_wrap=True,
    )
    console.print(f"bundle       {bundle.resolve()}", soft_wrap=True, highlight=False)
    console.print(f"fingerprint  {sim['fingerprint']}", soft_wrap=True, highlight=False)
    motifs = ", ".join(
        f"{m['name']} {m['consensus']} (in {', '.join(m['active_in'])})" for m in truth["motifs"]
    )
    console.print(
        f"sequences    {truth['n_sequences']} of {truth['sequence_length']} bp, {truth['n_bound']} bound; "
        f"input {truth['input_length']} bp (N-padded); splits "
        + ", ".join(f"{k} {v}" for k, v in truth["splits"].items()),
        soft_wrap=True,
    )
    console.print(f"motif        {motifs}; {len(truth['decoys']['names'])} decoys", soft_wrap=True)
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    console.print(f"files        {_size(size)} in all", soft_wrap=True)


def simulate(
    profile: str = typer.Option(
        "default", "--profile", "-p", help=f"Size profile: {', '.join(_PROFILES)}.", show_default=True
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default: ./sim-<profile>-seed<seed>)."
    ),
    seed: int = typer.Option(
        0, "--seed", "-s", help="Random seed (same seed + profile + version = same bundle)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty output folder."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Simulate a benchmark bundle (genome, tracks, peaks, motifs, variants, ground truth).

    ``--profile primer`` writes the primer's sequence-set bundle instead (labelled 50-bp
    sequences, the bound ones carrying CGACCGAACTCC; docs/real-data.md, "Sequence sets").
    """
    from rich.console import Console

    from benchsuite.simulate import simulate_bundle

    if out is None:
        out = Path(f"sim-{profile}-seed{seed}")
    t0 = time.perf_counter()
    bundle = simulate_bundle(profile, out, seed, force=force, progress=progress)
    render_summary(bundle, Console(), seconds=time.perf_counter() - t0)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite simulate`` to the root app."""
    app.command("simulate")(simulate)
