"""CLI: ``benchsuite data`` — build and inspect dataset caches.

``benchsuite data prepare BUNDLE`` builds the on-disk dataset cache of a bundle once (or
reuses it when the inputs are unchanged) and prints a summary: chunks per split for each
dataset kind, positives per target, chunks dropped (excluded regions, N bases, missing
coverage, below threshold), the fingerprint and the cache folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from benchsuite.data.cache import DatasetCache

data_app = typer.Typer(
    name="data",
    help="Prepare datasets (coverage-threshold, peak-centred, whole-chromosome) from a bundle.",
    no_args_is_help=True,
    add_completion=False,
)

_SPLITS = ("train", "valid", "test")


def render_summary(cache: DatasetCache, console: Console, *, status: str | None = None) -> None:
    """Print the summary tables of a dataset cache.

    Parameters
    ----------
    cache:
        A prepared cache.
    console:
        Where to print.
    status:
        First-line status (default: whether the cache was built or reused).
    """
    from rich.markup import escape
    from rich.table import Table

    meta = cache.meta
    kinds = meta.get("kinds", {})
    if status is None:
        status = "reused the existing cache (inputs unchanged)" if cache.reused else "built a new cache"
    console.print(f"[bold]{meta['manifest']['name']}[/]: {status}", soft_wrap=True)
    console.print(f"fingerprint  {cache.fingerprint}", soft_wrap=True, highlight=False)
    console.print(f"cache        {cache.root}", soft_wrap=True, highlight=False)
    g = cache.geometry
    console.print(
        f"geometry     chunk {g.chunk_length} bp, input {g.input_length} bp, bins {list(g.bin_sizes)}, "
        f"coverage threshold {g.coverage_threshold:g}",
        soft_wrap=True,
    )
    split = meta.get("split", {})
    console.print(
        "split        "
        + "; ".join(f"{s}: {len(split.get(s, []))} chromosome(s)" for s in _SPLITS)
        + (f" (test: {', '.join(split.get('test', [])[:4])})" if split.get("test") else ""),
        soft_wrap=True,
    )
    regions = meta.get("split_regions")
    if regions:
        console.print(
            f"             by regions: test {regions['test']}, validation {regions['valid']} "
            "(training chunks outside both)",
            soft_wrap=True,
            highlight=False,
        )
    if meta.get("split_fold"):
        console.print(f"             fold file {meta['split_fold']}", soft_wrap=True, highlight=False)

    table = Table(
        title="chunks per split (and chunks dropped, all splits)",
        title_justify="left",
        caption="quantitative: coverage-threshold chunks; binary: peak-centred chunks; "
        "wholechrom: input-length tiles of the test chromosomes. Dropped: excl. = touches an excluded "
        "region, N = N bases, NaN = missing coverage, <thr = max coverage not above the threshold",
        caption_justify="left",
    )
    table.add_column("dataset", no_wrap=True)
    for s in _SPLITS:
        table.add_column(s, justify="right")
    drop_columns: tuple[tuple[str, str], ...] = (
        ("excluded", "excl."),
        ("n_bases", "N"),
        ("nan", "NaN"),
        ("below_threshold", "<thr"),
    )
    if regions:  # a region split drops windows touching another split's regions
        drop_columns = (drop_columns[0], ("other_split", "other split"), *drop_columns[1:])
    for _, title in drop_columns:
        table.add_column(title, justify="right", style="dim")
    for kind in ("quantitative", "binary", "wholechrom"):
        label = kind
        entry = kinds.get(kind)
        if entry is None:
            reason = meta.get("unavailable", {}).get(kind, "not built")
            table.add_row(label, "-", "-", "-", *(["-"] * len(drop_columns)))
            console.print(f"[yellow]{label} dataset not built:[/] {reason}", soft_wrap=True)
            continue
        counts = [str(entry[s]["n"]) if s in entry else "-" for s in _SPLITS]
        drops = []
        for key, _ in drop_columns:
            values = [info["dropped"][key] for info in entry.values() if key in info["dropped"]]
            drops.append(str(sum(values)) if values else "-")
        table.add_row(label, *counts, *drops)
    console.print(table)
    _print_leakage(kinds, g.chunk_length, g.input_length, console)
    summits = [
        info["peak_summits"] for info in (kinds.get("binary") or {}).values() if "peak_summits" in info
    ]
    if summits:
        total = sum(x["total"] for x in summits)
        flank = sum(x["outside_overlap"] for x in summits)
        edge = sum(x["outside_edge"] for x in summits)
        console.print(
            f"peak summits (all targets) outside every central window: {flank + edge:,} of {total:,} "
            f"({flank:,} in the flank of a neighbouring window, {edge:,} at a chromosome end)",
            soft_wrap=True,
        )

    negatives = [info["negatives"] for info in (kinds.get("binary") or {}).values() if "negatives" in info]
    if negatives:
        console.print(
            f"binary negatives (peak-free chunks, manifest binary_negatives): "
            f"{sum(x['kept'] for x in negatives):,} kept of {sum(x['candidates'] for x in negatives):,} "
            f"candidates ({sum(x['below_threshold'] for x in negatives):,} below the coverage threshold)",
            soft_wrap=True,
        )
    label_only = [n for n in cache.label_target_names if n not in cache.target_names]
    if label_only:
        console.print(
            f"label-only targets (peaks, no coverage track): {', '.join(label_only)}", soft_wrap=True
        )

    targets = Table(title="positives per target (peak overlaps the central window)", title_justify="left")
    targets.add_column("target")
    columns = [
        (kind, s)
        for kind in ("binary", "quantitative")
        for s in _SPLITS
        if "positives" in ((kinds.get(kind) or {}).get(s) or {})
    ]
    for kind, s in columns:
        targets.add_column(f"{'peak' if kind == 'binary' else 'coverage'} {s}", justify="right")
    if columns:
        for name in cache.label_target_names:  # the labels' targets: those with a peak file
            targets.add_row(
                name, *(f"{kinds[k][s]['positives'][name]} / {kinds[k][s]['n']}" for k, s in columns)
            )
        console.print(targets)
    for warning in cache.meta.get("label_warnings") or []:
        console.print(f"[yellow]warning[/] {escape(warning)}", soft_wrap=True, highlight=False)


def _print_leakage(kinds: dict, chunk: int, length: int, console: Console) -> None:
    """The leakage check line: training/validation chunks touching a held-out split (always 0)."""
    checked = {"train": 0, "valid": 0}
    touching = 0
    for entry in kinds.values():
        for s in checked:
            leak = ((entry or {}).get(s) or {}).get("leakage")
            if leak:
                checked[s] += int(leak["checked"])
                touching += int(leak["touching_held_out"])
    if not any(checked.values()):
        return
    console.print(
        f"leakage check: {touching} of {checked['train']:,} training and {checked['valid']:,} validation "
        f"chunks overlap a test (or, for training, validation) region; a {chunk:,}-bp chunk holds every "
        f"shifted {length:,}-bp input",
        soft_wrap=True,
        highlight=False,
    )


@data_app.command("prepare")
def prepare(
    bundle: Path = typer.Argument(..., help="Bundle folder or manifest file (YAML/JSON)."),
    cache: Path | None = typer.Option(
        None,
        "--cache",
        help="Dataset cache folder (default: $BENCHSUITE_CACHE or ~/.cache/benchsuite/datasets).",
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Coverage threshold (default: the manifest's geometry.coverage_threshold)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Rebuild even if a cache with the same fingerprint exists."
    ),
    map_chrom_names: bool = typer.Option(
        False,
        "--map-chrom-names",
        help="Map chr1 <-> 1 (chrM <-> MT) between files (overrides the manifest).",
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Build (or reuse) the dataset cache of BUNDLE and print a summary."""
    from dataclasses import replace

    from rich.console import Console

    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.evaluate.bundle_inputs import check_evaluation_inputs
    from benchsuite.io.paths import require_directory

    if cache is not None:
        require_directory(cache, option="--cache")
    manifest = load_manifest(bundle)
    if map_chrom_names:
        manifest = replace(manifest, map_chrom_names=True)
    check_evaluation_inputs(manifest)
    result = prepare_dataset(
        manifest, cache_dir=cache, coverage_threshold=threshold, force=force, progress=progress
    )
    render_summary(result, Console())


@data_app.command("info")
def info(
    cache_folder: Path = typer.Argument(..., help="A dataset cache folder (<cache>/<fingerprint>)."),
) -> None:
    """Print the summary of an existing dataset cache."""
    from rich.console import Console

    from benchsuite.data.cache import open_dataset_cache

    cache = open_dataset_cache(cache_folder)
    render_summary(cache, Console(), status=f"dataset cache built {cache.meta.get('created', '')}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-app to the root app."""
    app.add_typer(data_app, name="data")
