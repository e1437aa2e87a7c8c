#!/usr/bin/env python
"""How long does ``benchsuite data prepare`` take on a real-sized genome, and where does the time go?

The script writes a synthetic bundle of ~100 Mb with 15 targets, shaped like the paper's
setting (one bigWig per target, replicate 2, narrowPeak files, excluded regions, chr8 test,
chr9 validation), prepares it in a fresh subprocess for three genome sizes (a quarter, half and
all of ``--mb``: every chromosome grows, the test and validation ones too, so no size shares
its test/valid work with another) and prints

1. time and peak memory per size, with PASS/FAIL: ``prepare`` linear in genome size (time per
   Mb at the largest size <= 1.25x the smallest's) and memory flat (peak RSS growth <= 1.25x);
2. where the time goes at the largest size: hashing the inputs for the fingerprint, reading
   bigWig values, reading the FASTA, masks (N / missing data prefix sums, max over targets),
   selection (excluded regions, thresholding, window copies), writing the arrays, reading
   peaks/BED, and the rest;
3. an extrapolation to hg38 (3.1 Gb, 15 targets with replicate 2): expected time and disk
   size of the cache, from the measured rates.

Excluded from every timing: building the synthetic inputs (printed separately).

Building the inputs cheaply: coverage is piecewise constant over 32-bp bins (like ENCODE
fold-change tracks and the processed realmini tracks, bigWig entries of 32 bp), written in
fixed-step blocks; replicate-2 files hold data on the test chromosome only (prepare reads
replicate 2 for the test split only), so 30 bigWigs write in seconds. The bigWig *reads* that
prepare does are still base-resolution reads of every position, as with real data.

Usage::

    python bench/bench_prepare_scale.py                 # ~100 Mb, 15 targets (a few minutes)
    python bench/bench_prepare_scale.py --mb 40 --keep  # smaller; keep the files in bench/out
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: hg38 primary assembly (chr1-22, X): test chr8, valid chr9, train the others (Mb)
HG38 = {"test": 145.138636, "valid": 138.394717, "total": 3031.042417}
#: genome sizes prepared, as fractions of ``--mb``: all ten chromosomes scale together
SIZES = (0.25, 0.5, 1.0)

#: linear time: the time per Mb at the largest size at most this multiple of the smallest's;
#: flat memory: the peak RSS growth at the largest size at most this multiple of the smallest's
LINEAR_TARGET = 1.25

COMPONENTS = (
    ("fingerprint", "hash inputs (fingerprint)"),
    ("bigwig", "read bigWig values"),
    ("fasta", "read FASTA"),
    ("masks", "masks: N/NaN prefix sums, max over targets"),
    ("select", "select: excluded, threshold, window copies"),
    ("write", "write arrays (float16/32 conversion)"),
    ("intervals", "read peaks / excluded BED"),
    ("other", "other (index, merge windows, meta)"),
)


# ------------------------------------------------------------------------------------------
# inputs


def _write_fasta(path: Path, sizes: dict[str, int], rng: np.random.Generator) -> None:
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
    width = 60
    with open(path, "wb") as handle:
        for chrom, size in sizes.items():
            codes = rng.choice(4, size=size, p=[0.295, 0.205, 0.205, 0.295]).astype(np.uint8)
            codes[:20_000] = 4  # telomere-like N run
            gap = size // 3
            codes[gap : gap + 50_000] = 4  # an assembly gap
            seq = letters[codes]
            handle.write(f">{chrom} synthetic\n".encode())
            full = size // width * width
            lines = np.concatenate(
                [seq[:full].reshape(-1, width), np.full((full // width, 1), ord("\n"), np.uint8)], axis=1
            )
            handle.write(lines.tobytes())
            if full < size:
                handle.write(seq[full:].tobytes() + b"\n")


def _coverage_bins(n_bins: int, peak_bins: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fold-change-like coverage per 32-bp bin: background ~0.8 +- 0.2, peaks 3-40 over ~10 bins.

    With peak sites every ~15 kb, half of them per target, about a fifth of the 3,072-bp chunks
    exceed the threshold of 2 in some target (realmini's DNase tracks: 22% of the chunks with data).
    """
    values = rng.gamma(16.0, 0.05, size=n_bins).astype(np.float32)
    for width in (-4, -3, -2, -1, 0, 1, 2, 3, 4):
        idx = np.clip(peak_bins + width, 0, n_bins - 1)
        values[idx] += (rng.gamma(2.0, 6.0, size=peak_bins.size) * (1.0 - abs(width) / 5)).astype(np.float32)
    return values


def build_inputs(root: Path, total_mb: float, n_targets: int, seed: int = 0) -> dict[str, object]:
    """Write the synthetic bundle files; returns sizes and counts."""
    import pyBigWig

    rng = np.random.default_rng(seed)
    n_chrom = 10
    size = int(total_mb * 1e6 / n_chrom) // 3072 * 3072
    sizes = {f"chr{i}": size for i in range(1, n_chrom + 1)}
    root.mkdir(parents=True, exist_ok=True)
    (root / "tracks").mkdir(exist_ok=True)
    (root / "peaks").mkdir(exist_ok=True)
    t0 = time.perf_counter()
    _write_fasta(root / "genome.fa", sizes, rng)
    # peaks shared across cell types at a rate like ATAC-seq (~1 per 20-30 kb per target)
    shared = {c: np.sort(rng.choice(s // 32, size=s // 15_000, replace=False)) for c, s in sizes.items()}
    names = [f"cell{t:02d}" for t in range(n_targets)]
    for name in names:
        rep1 = pyBigWig.open(str(root / "tracks" / f"{name}.rep1.bw"), "w")
        rep2 = pyBigWig.open(str(root / "tracks" / f"{name}.rep2.bw"), "w")
        for bw in (rep1, rep2):
            bw.addHeader(list(sizes.items()))
        with open(root / "peaks" / f"{name}.narrowPeak", "w") as peaks:
            for chrom, s in sizes.items():
                n_bins = s // 32
                own = shared[chrom][rng.random(shared[chrom].size) < 0.5]  # half of the shared sites
                values = _coverage_bins(n_bins, own, rng)
                values[: 20_000 // 32] = 0.0
                rep1.addEntries(chrom, 0, values=values.astype(np.float64), span=32, step=32)
                if chrom == "chr8":  # replicate 2: the test chromosome only
                    noisy = values * rng.gamma(8.0, 1 / 8.0, size=n_bins).astype(np.float32)
                    rep2.addEntries(chrom, 0, values=noisy.astype(np.float64), span=32, step=32)
                for b in own:
                    start = int(b) * 32 - 96
                    if start > 20_000 and start + 256 < s:
                        peaks.write(f"{chrom}\t{start}\t{start + 256}\t.\t100\t.\t8.0\t5.0\t3.0\t128\n")
        rep1.close()
        rep2.close()
    with open(root / "excluded.bed", "w") as handle:
        for chrom, s in sizes.items():
            for start in np.sort(rng.choice(s - 20_000, size=40, replace=False)):
                handle.write(f"{chrom}\t{start}\t{start + int(rng.integers(2_000, 20_000))}\n")
    build_s = time.perf_counter() - t0
    input_bytes = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return {"sizes": sizes, "targets": names, "build_s": build_s, "input_bytes": input_bytes}


def write_manifest(root: Path, info: dict, n_train: int, name: str) -> Path:
    from benchsuite.data.manifest import write_manifest as write

    train = [c for c in info["sizes"] if c not in ("chr8", "chr9")][:n_train]
    targets = [
        {
            "name": t,
            "track": f"tracks/{t}.rep1.bw",
            "replicate2": f"tracks/{t}.rep2.bw",
            "peaks": f"peaks/{t}.narrowPeak",
        }
        for t in info["targets"]
    ]
    return write(
        root / f"{name}.yaml",
        {
            "name": name,
            "genome": "genome.fa",
            "targets": targets,
            "split": {"test": ["chr8"], "valid": ["chr9"], "train": train, "exclude": []},
            "excluded": "excluded.bed",
            "geometry": {
                "chunk_length": 3072,
                "input_length": 2048,
                "bin_sizes": [1, 32, 128],
                "common_bin": 128,
                "coverage_threshold": 2.0,
            },
        },
    )


# ------------------------------------------------------------------------------------------
# one instrumented prepare (child process)


def _child(manifest: str, cache_dir: str) -> None:
    """Run prepare_dataset with timing wrappers; print one JSON line."""
    import benchsuite.data.builder as builder_mod
    import benchsuite.data.cache as cache_mod
    import benchsuite.data.inputs as inputs_mod
    import benchsuite.data.prepare as prep
    import benchsuite.data.reuse as reuse_mod
    import benchsuite.io.bigwig as bigwig
    import benchsuite.io.fasta as fasta

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    spent = dict.fromkeys(k for k, _ in COMPONENTS if k != "other")
    spent = {k: 0.0 for k in spent}
    stack: list[float] = []  # time of nested timed calls, to subtract from the enclosing one

    def timed(owner, attr: str, key: str, exclusive: bool = False):
        original = getattr(owner, attr)

        def wrapper(*args, **kwargs):
            stack.append(0.0)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                nested = stack.pop()
                spent[key] += dt - nested if exclusive else dt
                if stack:
                    stack[-1] += dt

        setattr(owner, attr, wrapper)

    timed(reuse_mod, "dataset_fingerprint", "fingerprint")
    timed(bigwig.BigWig, "values", "bigwig")
    timed(fasta.Genome, "fetch_codes", "fasta")
    timed(cache_mod.SplitWriter, "append", "write")
    timed(builder_mod.ChunkBuilder, "_read_block", "masks", exclusive=True)
    timed(builder_mod.ChunkBuilder, "_emit", "select", exclusive=True)
    timed(inputs_mod, "read_intervals", "intervals")
    t0 = time.perf_counter()
    cache = prep.prepare_dataset(manifest, cache_dir=cache_dir, progress=False)
    total = time.perf_counter() - t0
    spent["other"] = total - sum(spent.values())
    disk = {}
    for kind in ("quantitative", "binary", "wholechrom"):
        folder = cache.root / kind
        disk[kind] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
    counts = {
        f"{k}/{s}": cache.count(k, s)
        for k in ("quantitative", "binary", "wholechrom")
        for s in ("train", "valid", "test")
        if cache.has(k, s)
    }
    candidates = {
        f"quantitative/{s}": cache.meta["kinds"]["quantitative"][s]["candidates"]
        for s in ("train", "valid", "test")
    }
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "total_s": total,
                "spent": spent,
                "peak_rss_mb": peak_rss / 1024,
                "rss_growth_mb": (peak_rss - base_rss) / 1024,
                "disk": disk,
                "counts": counts,
                "candidates": candidates,
                "genome_bp": sum(cache.meta["chrom_sizes"].values()),
            }
        )
    )


def run_prepare(manifest: Path, cache_dir: Path) -> dict:
    shutil.rmtree(cache_dir, ignore_errors=True)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(manifest), str(cache_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    shutil.rmtree(cache_dir, ignore_errors=True)  # measured; free the disk
    if out.returncode != 0:
        raise SystemExit(f"prepare failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------
# report


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} TB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=100.0, help="genome size in Mb (default 100)")
    parser.add_argument("--targets", type=int, default=15, help="number of targets (default 15)")
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    work = args.out or Path(tempfile.mkdtemp(prefix="bench-prepare-"))
    try:
        print(f"building a {args.mb:g} Mb genome with {args.targets} targets in {work} ...", flush=True)
        results = []
        for fraction in SIZES:  # every chromosome grows (train, valid and test alike)
            folder = work / f"bundle-{fraction:g}"
            info = build_inputs(folder, args.mb * fraction, args.targets)
            print(
                f"  {args.mb * fraction:g} Mb inputs written in {info['build_s']:.0f} s "
                f"({_fmt_bytes(info['input_bytes'])}: FASTA, {2 * args.targets} bigWigs, "
                f"{args.targets} narrowPeak, excluded BED; not timed)",
                flush=True,
            )
            manifest = write_manifest(folder, info, 8, f"scale-{fraction:g}")
            res = run_prepare(manifest, work / f"cache-{fraction:g}")
            res["mb"] = res["genome_bp"] / 1e6
            results.append(res)
            print(
                f"  prepare {res['mb']:6.1f} Mb: {res['total_s']:6.1f} s, "
                f"peak RSS {res['peak_rss_mb']:.0f} MB",
                flush=True,
            )
        report(results, info, args.targets)
        if args.json:
            args.json.write_text(json.dumps({"results": results, "inputs": info}, indent=1, default=str))
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(work, ignore_errors=True)


def report(results: list[dict], info: dict, n_targets: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    scale = Table(title="prepare vs genome size (fresh process, cold hash memo, inputs in the page cache)")
    for col in ("genome", "time", "time / Mb", "w/o hashing / Mb", "peak RSS", "RSS growth", "cache size"):
        scale.add_column(col, justify="right")
    for r in results:
        no_hash = r["total_s"] - r["spent"]["fingerprint"]
        scale.add_row(
            f"{r['mb']:.0f} Mb",
            f"{r['total_s']:.1f} s",
            f"{r['total_s'] / r['mb']:.3f} s",
            f"{no_hash / r['mb']:.3f} s",
            f"{r['peak_rss_mb']:.0f} MB",
            f"{r['rss_growth_mb']:.0f} MB",
            _fmt_bytes(sum(r["disk"].values())),
        )
    console.print(scale)
    first, last = results[0], results[-1]
    per_mb = (last["total_s"] / last["mb"]) / (first["total_s"] / first["mb"])
    growth = max(last["rss_growth_mb"], 1.0) / max(first["rss_growth_mb"], 1.0)
    for label, ratio in (("time per Mb", per_mb), ("peak RSS growth", growth)):
        verdict = "PASS" if ratio <= LINEAR_TARGET else "FAIL"
        console.print(
            f"{label}, {last['mb']:.0f} Mb vs {first['mb']:.0f} Mb: {ratio:.2f}x "
            f"(target <= {LINEAR_TARGET}x) {verdict}",
            highlight=False,
        )

    big = results[-1]
    parts = Table(title=f"where the time goes at {big['mb']:.0f} Mb, {n_targets} targets")
    parts.add_column("component")
    parts.add_column("seconds", justify="right")
    parts.add_column("share", justify="right")
    for key, label in COMPONENTS:
        parts.add_row(label, f"{big['spent'][key]:.1f}", f"{100 * big['spent'][key] / big['total_s']:.0f}%")
    parts.add_row("[bold]total[/]", f"{big['total_s']:.1f}", "100%")
    console.print(parts)

    # ---- extrapolation: per-Mb processing rate from the two largest sizes (slope), hashing
    # from its throughput over the input bytes
    (a, b) = results[-2], results[-1]
    proc = lambda r: r["total_s"] - r["spent"]["fingerprint"]  # noqa: E731
    slope = (proc(b) - proc(a)) / (b["mb"] - a["mb"])  # s per Mb of genome (test share 10% here)
    fixed = max(0.0, proc(b) - slope * b["mb"])  # constant overhead
    hash_rate = info["input_bytes"] / max(b["spent"]["fingerprint"], 1e-9)  # bytes / s
    hg38_proc = slope * HG38["total"] + fixed
    # inputs: the FASTA (~1 byte/bp) + 2 bigWigs per target; bigWig bytes per Mb as in this bundle
    fasta_b = HG38["total"] * 1e6
    per_track_mb = (
        (info["input_bytes"] - sum(info["sizes"].values()))
        / (2 * n_targets)
        / (sum(info["sizes"].values()) / 1e6)
    )
    bigwig_b_synth = 2 * n_targets * per_track_mb * HG38["total"]
    hg38_hash_synth = (fasta_b + bigwig_b_synth) / hash_rate
    hg38_hash_encode = (fasta_b + 2 * n_targets * 1.5e9) / hash_rate  # ENCODE-sized tracks, ~1.5 GB each

    # ---- disk: bytes per chunk measured, chunk counts scaled by the kept fraction
    kept = {
        s: b["counts"][f"quantitative/{s}"] / b["candidates"][f"quantitative/{s}"] for s in ("train", "test")
    }
    chunk = 3072
    t, bytes_f16, bytes_f32 = n_targets, 2, 4
    q_train_valid = (
        (HG38["total"] - HG38["test"]) * 1e6 / chunk * kept["train"] * (chunk + t * chunk * bytes_f16 + 16)
    )
    q_test = HG38["test"] * 1e6 / chunk * kept["test"] * (chunk + 2 * t * chunk * bytes_f32 + t + 16)
    whole = HG38["test"] * 1e6 * (1 + 2 * t * bytes_f32)  # seq + rep1 + rep2 at base resolution
    binary_ratio = b["disk"]["binary"] / max(1, b["disk"]["quantitative"])
    binary = binary_ratio * (q_train_valid + q_test)

    ext = Table(
        title=f"extrapolation to hg38 (3.1 Gb; chr8 test 145 Mb; {n_targets} targets with replicate 2)"
    )
    ext.add_column("quantity")
    ext.add_column("estimate", justify="right")
    ext.add_column("from", justify="left")
    ext.add_row(
        "prepare without hashing",
        f"{hg38_proc / 60:.0f} min",
        f"{slope:.3f} s/Mb (slope of the two largest sizes) + {fixed:.0f} s constant",
    )
    ext.add_row(
        "hashing, inputs like this bundle",
        f"{hg38_hash_synth / 60:.1f} min",
        f"{hash_rate / 1e6:.0f} MB/s over {_fmt_bytes(fasta_b + bigwig_b_synth)}",
    )
    ext.add_row(
        "hashing, ENCODE-sized tracks",
        f"{hg38_hash_encode / 60:.1f} min",
        f"assumes ~1.5 GB per bigWig ({_fmt_bytes(fasta_b + 2 * n_targets * 1.5e9)}); once per file (memo)",
    )
    ext.add_row(
        "total (first prepare)",
        f"{(hg38_proc + hg38_hash_encode) / 60:.0f} min",
        "single process, local disk",
    )
    ext.add_row(
        "cache: coverage-threshold train+valid",
        _fmt_bytes(q_train_valid),
        f"{100 * kept['train']:.0f}% of chunks kept here; float16",
    )
    ext.add_row(
        "cache: coverage-threshold test",
        _fmt_bytes(q_test),
        f"{100 * kept['test']:.0f}% kept; float32 + rep2",
    )
    ext.add_row(
        "cache: whole-chromosome tiles (chr8)", _fmt_bytes(whole), "float32, rep1 + rep2, base resolution"
    )
    ext.add_row(
        "cache: peak-centred", _fmt_bytes(binary), f"{binary_ratio:.2f} x coverage-threshold size here"
    )
    ext.add_row("[bold]cache total[/]", _fmt_bytes(q_train_valid + q_test + whole + binary), "")
    console.print(ext)
    console.print(
        "Kept fractions depend on the data: the cache size scales with the fraction of 3,072-bp chunks whose "
        "max coverage over the 15 targets exceeds the threshold (real ATAC fold change: measure it with "
        "`benchsuite data prepare` on one chromosome first).",
        highlight=False,
    )


if __name__ == "__main__":
    main()
