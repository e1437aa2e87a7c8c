#!/usr/bin/env python
"""Benchmark the training data pipeline against the project's performance bars (loader >= 30x
a naive loader, prepare memory flat in genome size; measured here, not in timed tests, see
CONTRIBUTING.md, "Tests").

1. **Loader throughput**: samples/s of the :class:`~benchsuite.data.QuantitativeDataModule`
   training loader (random shift + reverse complement, batch 64) against a naive per-sample
   loader that reads each sample with pyfaidx and pyBigWig and applies the same
   augmentations, on the same bundle and chunks, in the same run (target: ratio >= 30x), and
   against the fastest fair per-sample baseline, slices of the genome and tracks preloaded in
   memory (target >= 1x; the preload is excluded from its timing, as the dataset cache's
   ``prepare`` is from ours). Each ratio is printed with its target and PASS/FAIL.
2. **prepare peak memory**: peak memory of ``prepare_dataset`` (tracemalloc peak of Python /
   numpy allocations, and the growth of the resident set size, ``ru_maxrss`` minus the RSS
   after imports) in a fresh subprocess, for the bundle and for a 4x larger genome built by
   concatenating 4 copies of every chromosome (FASTA, bigWig entries, peaks and excluded
   regions shifted alike). Target: flat in genome size.

Usage::

    python bench/bench_loader.py --profile default            # simulate the bundle first
    python bench/bench_loader.py --bundle path/to/bundle --seconds 10
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

# ------------------------------------------------------------------------------------------
# naive baseline


class NaiveDataset:
    """Per-sample reads with pyfaidx + pyBigWig (what a first implementation would do).

    ``vectorised=False``: one-hot by a Python loop over bases (the naive baseline);
    ``vectorised=True``: one-hot by a numpy lookup (a careful per-sample loader).
    """

    def __init__(
        self,
        genome: Path,
        tracks: list[Path],
        chunks: list[tuple[str, int]],
        chunk: int,
        length: int,
        vectorised: bool = False,
    ):
        import pyBigWig
        import pyfaidx

        self.fasta = pyfaidx.Fasta(str(genome), as_raw=True, sequence_always_upper=True)
        self.tracks = [pyBigWig.open(str(t)) for t in tracks]
        self.chunks = chunks
        self.chunk = chunk
        self.length = length
        self.rng = np.random.default_rng(0)
        self.lookup = {b: i for i, b in enumerate("ACGT")}
        self.vectorised = vectorised
        self.table = np.zeros((256, 4), dtype=np.float32)
        for i, b in enumerate(b"ACGT"):
            self.table[b, i] = 1.0

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, i: int):
        import torch

        chrom, start = self.chunks[i]
        s = start + int(self.rng.integers(0, self.chunk - self.length + 1))
        seq = self.fasta[chrom][s : s + self.length]
        if self.vectorised:
            x = np.ascontiguousarray(self.table[np.frombuffer(seq.encode(), dtype=np.uint8)].T)
        else:
            x = np.zeros((4, self.length), dtype=np.float32)
            for j, base in enumerate(seq):
                k = self.lookup.get(base)
                if k is not None:
                    x[k, j] = 1.0
        y = np.stack(
            [
                np.asarray(bw.values(chrom, s, s + self.length, numpy=True), dtype=np.float32)
                for bw in self.tracks
            ]
        )
        if self.rng.random() < 0.5:
            x = x[::-1, ::-1].copy()  # A,C,G,T rows reversed = complement
            y = y[:, ::-1].copy()
        return torch.from_numpy(x), torch.from_numpy(np.nan_to_num(y))


class PreloadedDataset:
    """The fastest fair per-sample baseline: the genome (one-hot) and the tracks of the chunks'
    chromosomes read into memory once (excluded from the timing), then per-sample slices with
    the same augmentations."""

    def __init__(
        self, genome: Path, tracks: list[Path], chunks: list[tuple[str, int]], chunk: int, length: int
    ):
        import pyBigWig
        import pyfaidx

        table = np.zeros((256, 4), dtype=np.float32)
        for i, b in enumerate(b"ACGT"):
            table[b, i] = 1.0
        fasta = pyfaidx.Fasta(str(genome), as_raw=True, sequence_always_upper=True)
        chroms = sorted({c for c, _ in chunks})
        self.onehot = {
            c: np.ascontiguousarray(table[np.frombuffer(str(fasta[c][:]).encode(), np.uint8)].T)
            for c in chroms
        }
        handles = [pyBigWig.open(str(t)) for t in tracks]
        self.values = {
            c: np.nan_to_num(
                np.stack(
                    [np.asarray(bw.values(c, 0, bw.chroms(c), numpy=True), np.float32) for bw in handles]
                )
            )
            for c in chroms
        }
        self.chunks, self.chunk, self.length = chunks, chunk, length
        self.rng = np.random.default_rng(0)

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, i: int):
        import torch

        chrom, start = self.chunks[i]
        s = start + int(self.rng.integers(0, self.chunk - self.length + 1))
        x = self.onehot[chrom][:, s : s + self.length]
        y = self.values[chrom][:, s : s + self.length]
        if self.rng.random() < 0.5:
            x, y = x[::-1, ::-1], y[:, ::-1]
        return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())


def measure(loader, seconds: float, warmup_batches: int = 2) -> tuple[float, int]:
    """Samples/s of iterating ``loader`` for about ``seconds`` (restarting epochs as needed)."""
    it = iter(loader)
    for _ in range(warmup_batches):
        next(it, None)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = next(it, None)
        if batch is None:
            it = iter(loader)
            continue
        n += batch[0].shape[0]
    elapsed = time.perf_counter() - start
    return n / elapsed, n


def bench_loaders(bundle: Path, cache_dir: Path, seconds: float, batch_size: int) -> dict:
    import torch
    from torch.utils.data import DataLoader

    from benchsuite.data import QuantitativeDataModule, load_manifest

    torch.set_num_threads(1)
    manifest = load_manifest(bundle)
    dm = QuantitativeDataModule(manifest, cache_dir=cache_dir, batch_size=batch_size, progress=False)
    dm.prepare_data()
    dm.setup("fit")
    fast_rate, fast_n = measure(dm.train_dataloader(), seconds)

    arrays = dm.cache.split("quantitative", "train")
    chunks = [(arrays.chroms[int(c)], int(s)) for c, s in arrays.coords]
    g = manifest.geometry
    tracks = [t.track for t in manifest.targets]
    rates = {}
    for vectorised in (False, True):
        naive = NaiveDataset(manifest.genome, tracks, chunks, g.chunk_length, g.input_length, vectorised)
        loader = DataLoader(naive, batch_size=batch_size, shuffle=True, num_workers=0)
        rates[vectorised] = measure(loader, seconds, warmup_batches=1)
    naive_rate, naive_n = rates[False]
    preloaded = PreloadedDataset(manifest.genome, tracks, chunks, g.chunk_length, g.input_length)
    preloaded_rate, _ = measure(DataLoader(preloaded, batch_size=batch_size, shuffle=True), seconds, 1)
    return {
        "preloaded_samples_per_s": preloaded_rate,
        "ratio_vs_preloaded": fast_rate / preloaded_rate,
        "bundle": str(bundle),
        "train_chunks": len(arrays),
        "targets": len(manifest.targets),
        "input_length": g.input_length,
        "batch_size": batch_size,
        "fast_samples_per_s": fast_rate,
        "naive_samples_per_s": naive_rate,
        "ratio": fast_rate / naive_rate,
        "per_sample_numpy_samples_per_s": rates[True][0],
        "ratio_vs_per_sample_numpy": fast_rate / rates[True][0],
        "fast_samples": fast_n,
        "naive_samples": naive_n,
    }


# ------------------------------------------------------------------------------------------
# prepare memory (child process)


def _status_bytes(field: str) -> int:
    """``VmRSS`` / ``VmHWM`` (peak RSS) of this process from /proc (Linux)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak measures prepare only."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _child_prepare(bundle: str, cache: str, trace: bool) -> None:
    import benchsuite.io.bigwig  # noqa: F401  (imports, torch included, before the baseline)
    import benchsuite.io.fasta  # noqa: F401
    from benchsuite.data import prepare_dataset

    _reset_peak_rss()
    baseline = _status_bytes("VmRSS")
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    cache_obj = prepare_dataset(bundle, cache_dir=cache, progress=False, force=True)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    # VmHWM, not ru_maxrss: after fork + exec ru_maxrss can report the parent's peak
    maxrss = max(_status_bytes("VmHWM"), _status_bytes("VmRSS"))
    counts = {
        f"{k}/{s}": cache_obj.count(k, s)
        for k in ("quantitative", "binary", "wholechrom")
        for s in ("train", "valid", "test")
        if cache_obj.has(k, s)
    }
    genome = sum(cache_obj.meta["chrom_sizes"].values())
    print(
        json.dumps(
            {
                "seconds": seconds,
                "tracemalloc_peak": peak,
                "rss_baseline": baseline,
                "maxrss": maxrss,
                "counts": counts,
                "genome_bp_used": genome,
            }
        )
    )


def run_child(bundle: Path, cache: Path, trace: bool) -> dict:
    cmd = [sys.executable, __file__, "--_child-prepare", str(bundle), str(cache)] + (
        ["--_trace"] if trace else []
    )
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------
# a 4x larger genome by concatenating every chromosome with itself


def build_tiled_bundle(bundle: Path, out: Path, copies: int = 4) -> Path:
    """Write a bundle whose chromosomes are ``copies`` concatenated copies of the original ones."""
    import pyBigWig

    from benchsuite.data import load_manifest, write_manifest
    from benchsuite.io.fasta import open_genome
    from benchsuite.io.onehot import decode_codes

    m = load_manifest(bundle)
    out.mkdir(parents=True, exist_ok=True)
    genome = open_genome(m.genome)
    sizes = dict(genome.chrom_sizes)
    with open(out / "genome.fa", "w") as handle:
        for chrom in sizes:
            text = decode_codes(genome.fetch_chrom_codes(chrom)) * copies
            handle.write(f">{chrom}\n")
            for i in range(0, len(text), 60):
                handle.write(text[i : i + 60] + "\n")
            del text
    new_sizes = {c: s * copies for c, s in sizes.items()}

    def tile_bigwig(src: Path, dst: Path) -> None:
        bw = pyBigWig.open(str(src))
        header = [(c, int(s) * copies) for c, s in bw.chroms().items()]
        w = pyBigWig.open(str(dst), "w")
        w.addHeader(header, maxZooms=10)
        for chrom, size in bw.chroms().items():
            entries = bw.intervals(chrom) or ()
            if not entries:
                continue
            starts = np.array([e[0] for e in entries], dtype=np.int64)
            ends = np.array([e[1] for e in entries], dtype=np.int64)
            values = [float(e[2]) for e in entries]
            for k in range(copies):
                w.addEntries(
                    [chrom] * len(entries),
                    (starts + k * size).tolist(),
                    ends=(ends + k * size).tolist(),
                    values=values,
                )
        w.close()
        bw.close()

    def tile_bed(src: Path, dst: Path) -> None:
        lines = [
            ln.rstrip("\n").split("\t")
            for ln in src.read_text().splitlines()
            if ln.strip() and not ln.startswith(("#", "track", "browser"))
        ]
        with open(dst, "w") as handle:
            for k in range(copies):
                for f in lines:
                    size = sizes.get(f[0])
                    if size is None:
                        continue
                    g = list(f)
                    g[1], g[2] = str(int(f[1]) + k * size), str(int(f[2]) + k * size)
                    handle.write("\t".join(g) + "\n")

    targets = []
    (out / "tracks").mkdir(exist_ok=True)
    (out / "peaks").mkdir(exist_ok=True)
    for t in m.targets:
        entry = {"name": t.name, "track": f"tracks/{t.name}.rep1.bw"}
        tile_bigwig(t.track, out / entry["track"])
        if t.replicate2 is not None:
            entry["replicate2"] = f"tracks/{t.name}.rep2.bw"
            tile_bigwig(t.replicate2, out / entry["replicate2"])
        if t.peaks is not None:
            entry["peaks"] = f"peaks/{t.name}.bed"
            tile_bed(t.peaks, out / entry["peaks"])
        targets.append(entry)
    data = {
        "name": f"{m.name}-x{copies}",
        "genome": "genome.fa",
        "targets": targets,
        "split": {
            "test": list(m.split.test),
            "valid": list(m.split.valid),
            "train": list(m.split.train) if m.split.train else None,
            "exclude": list(m.split.exclude),
        },
        "map_chrom_names": m.map_chrom_names,
        "geometry": m.geometry.to_dict(),
    }
    if m.excluded is not None:
        tile_bed(m.excluded, out / "excluded.bed")
        data["excluded"] = "excluded.bed"
    genome.close()
    assert sum(new_sizes.values()) == copies * sum(sizes.values())
    return write_manifest(out / "manifest.yaml", data)


# ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--bundle", type=Path, help="an existing bundle folder or manifest")
    source.add_argument("--profile", default="default", help="simulate this profile into a temporary folder")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed")
    parser.add_argument("--seconds", type=float, default=10.0, help="time per loader measurement")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--copies", type=int, default=4, help="genome scale factor for the memory test")
    parser.add_argument("--skip-memory", action="store_true", help="only measure the loaders")
    parser.add_argument("--workdir", type=Path, help="keep bundles and caches here (default: a temp folder)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--_child-prepare", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--_trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child_prepare:
        _child_prepare(*args._child_prepare, trace=args._trace)
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 130))
    with tempfile.TemporaryDirectory(prefix="bench-loader-") as tmp_name:
        work = args.workdir or Path(tmp_name)
        work.mkdir(parents=True, exist_ok=True)
        if args.bundle is not None:
            bundle = args.bundle
        else:
            from benchsuite.simulate.bundle import simulate_bundle

            bundle = work / f"sim-{args.profile}"
            if not (bundle / "manifest.yaml").exists():
                console.print(f"simulating profile {args.profile!r} (seed {args.seed}) into {bundle}")
                t0 = time.perf_counter()
                simulate_bundle(args.profile, bundle, args.seed)
                console.print(f"  done in {time.perf_counter() - t0:.1f} s")
        results: dict = {"loader": bench_loaders(bundle, work / "cache", args.seconds, args.batch_size)}
        lo = results["loader"]
        table = Table(
            title=f"train loader throughput ({lo['train_chunks']} chunks, {lo['targets']} targets, "
            f"L={lo['input_length']}, batch {lo['batch_size']}, shift + RC)"
        )
        table.add_column("loader")
        table.add_column("samples/s", justify="right")
        table.add_row("QuantitativeDataModule (memmap, vectorised)", f"{lo['fast_samples_per_s']:,.0f}")
        table.add_row("naive per-sample pyfaidx + pyBigWig", f"{lo['naive_samples_per_s']:,.0f}")
        table.add_row(
            "per-sample pyfaidx + pyBigWig, numpy one-hot", f"{lo['per_sample_numpy_samples_per_s']:,.0f}"
        )
        table.add_row(
            "per-sample slices of the preloaded genome + tracks (load excluded)",
            f"{lo['preloaded_samples_per_s']:,.0f}",
        )
        for label, ratio, target in (
            ("ratio vs naive", lo["ratio"], 30.0),
            ("ratio vs per-sample numpy", lo["ratio_vs_per_sample_numpy"], 1.0),
            ("ratio vs preloaded per-sample (fastest fair)", lo["ratio_vs_preloaded"], 1.0),
        ):
            verdict = "PASS" if ratio >= target else "FAIL"
            table.add_row(f"[bold]{label}[/] (target >= {target:g}x)", f"[bold]{ratio:.1f}x {verdict}[/]")
        console.print(table)

        if not args.skip_memory:
            big = work / f"x{args.copies}"
            if not (big / "manifest.yaml").exists():
                console.print(f"building the {args.copies}x genome in {big}")
                build_tiled_bundle(bundle, big, args.copies)
            mem = Table(title="prepare_dataset peak memory (fresh subprocess each)")
            for col in (
                "bundle",
                "genome bp",
                "seconds",
                "tracemalloc peak",
                "peak RSS growth",
                "peak RSS",
                "chunks (q train/valid/test)",
            ):
                mem.add_column(col, justify="right" if col != "bundle" else "left")
            results["memory"] = {}
            for label, path in (("default", bundle), (f"{args.copies}x", big)):
                plain = run_child(path, work / f"cache-mem-{label}", trace=False)
                traced = run_child(path, work / f"cache-mem-{label}", trace=True)
                row = {**plain, "tracemalloc_peak": traced["tracemalloc_peak"]}
                results["memory"][label] = row
                c = row["counts"]
                mem.add_row(
                    label,
                    f"{row['genome_bp_used']:,}",
                    f"{row['seconds']:.1f}",
                    f"{row['tracemalloc_peak'] / 2**20:.1f} MiB",
                    f"{(row['maxrss'] - row['rss_baseline']) / 2**20:.1f} MiB",
                    f"{row['maxrss'] / 2**20:.0f} MiB",
                    f"{c.get('quantitative/train')}/{c.get('quantitative/valid')}/{c.get('quantitative/test')}",
                )
            console.print(mem)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
