"""Probe benchsuite as a careless or hostile user would: malformed bundles, bad options, bad files.

Every case runs the installed ``benchsuite`` command in a subprocess on a corrupted copy of a
simulated smoke bundle (or with a bad option) and is classified:

- ``clear``: non-zero exit, no traceback, and the message names what is wrong (the file,
  option or value the case corrupted: the case's ``token``);
- ``vague``: non-zero exit, no traceback, but the token is not in the message;
- ``traceback``: a Python traceback reached the user;
- ``accepted``: exit 0 although the input is bad (wrongly accepted).

Usage::

    python scripts/probe_inputs.py [--work DIR] [--json FILE] [--only SUBSTRING]

Prints one line per case and the totals; exits 1 when any case is a traceback or accepted.
The cases need no network and take a few minutes on two cores (each is one short command).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

BS = [sys.executable, "-m", "benchsuite.cli.main"]


@dataclass
class Case:
    """One probe: ``setup(bundle)`` corrupts a fresh bundle copy, then ``argv`` runs."""

    name: str
    argv: list[str]
    token: str
    setup: Callable[[Path], None] | None = None
    needs_bundle: bool = True
    ok_exit: bool = False  # the right answer is exit 0 with ``token`` reported (e.g. a refused figure)


def _manifest(bundle: Path, edit: Callable[[dict], None]) -> None:
    path = bundle / "manifest.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _append(path: Path, text: str) -> Callable[[Path], None]:
    return lambda b: (b / path).open("a").write(text)


def _write(path: str, content: bytes | str) -> Callable[[Path], None]:
    def setup(b: Path) -> None:
        target = b / path
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)

    return setup


def _bigwig(path: str, values: list[float]) -> Callable[[Path], None]:
    """Replace a track by one whose first chromosome starts with ``values`` (rest 1.0)."""

    def setup(b: Path) -> None:
        import numpy as np
        import pyBigWig

        sizes = [(line.split("\t")[0], int(line.split("\t")[1])) for line in (b / "genome.fa.fai").open()]
        target = b / path
        target.unlink()
        bw = pyBigWig.open(str(target), "w")
        bw.addHeader(sizes)
        for chrom, size in sizes:
            vals = np.ones(size, dtype=np.float64)
            if chrom == sizes[0][0]:
                vals[1000 : 1000 + len(values)] = values
            bw.addEntries(chrom, 0, values=vals.tolist(), span=1, step=1)
        bw.close()

    return setup


def _all_n(b: Path) -> None:
    lines = (b / "genome.fa").read_text().splitlines()
    out, in_test = [], False
    for line in lines:
        if line.startswith(">"):
            in_test = line[1:].split()[0] == "chr8"
            out.append(line)
        else:
            out.append("N" * len(line) if in_test else line)
    (b / "genome.fa").write_text("\n".join(out) + "\n")


def _cases(work: Path) -> list[Case]:
    prep = ["data", "prepare", "{bundle}", "--cache", "{cache}", "--no-progress"]
    run = [
        "run",
        "--all",
        "--profile",
        "smoke",
        "--bundle",
        "{bundle}",
        "--out",
        "{out}",
        "--cache",
        "{cache}",
    ]
    run += ["--wandb", "disabled", "--no-cagi5", "--no-motifs", "--no-ceilings", "--max-epochs", "1"]
    tuned_run = [run[0], *run[2:], "--tuned"]  # `run` without --all
    a_file = work / "a-file"
    a_file.write_text("x\n")
    peak_a = Path("peaks/celltype_A.narrowPeak")
    cases = [
        # --- bundle contents (prepare) ---
        Case(
            "peak on a chromosome the genome lacks",
            prep,
            "chrZZ",
            _append(peak_a, "chrZZ\t10\t200\tp\t1\t.\t1\t1\t1\t50\n"),
        ),
        Case("empty peak file", prep, "celltype_A.narrowPeak", _write(str(peak_a), "")),
        Case(
            "peak line with a non-numeric start",
            prep,
            "celltype_A.narrowPeak",
            _append(peak_a, "chr1\tabc\t200\tp\t1\t.\t1\t1\t1\t50\n"),
        ),
        Case(
            "peak with end before start",
            prep,
            "celltype_A.narrowPeak",
            _append(peak_a, "chr1\t500\t100\tp\t1\t.\t1\t1\t1\t50\n"),
        ),
        Case(
            "negative coverage", prep, "celltype_A.rep1.bw", _bigwig("tracks/celltype_A.rep1.bw", [1.0, -3.0])
        ),
        Case(
            "+inf coverage", prep, "celltype_A.rep1.bw", _bigwig("tracks/celltype_A.rep1.bw", [float("inf")])
        ),
        Case(
            "bigBed file as a track",
            prep,
            "bigBed",
            _write("tracks/celltype_A.rep1.bw", struct.pack("<I", 0x8789F2EB) + b"\0" * 60),
        ),
        Case(
            "text file as a track",
            prep,
            "celltype_A.rep1.bw",
            _write("tracks/celltype_A.rep1.bw", "chr1\t0\t10\t1\n"),
        ),
        Case(
            "missing track file",
            prep,
            "celltype_B.rep1.bw",
            lambda b: (b / "tracks/celltype_B.rep1.bw").unlink(),
        ),
        Case("missing genome", prep, "genome.fa", lambda b: (b / "genome.fa").unlink()),
        Case(
            "genome that is not FASTA",
            prep,
            "genome.fa",
            lambda b: ((b / "genome.fa").write_bytes(b"\x00\x01binary"), (b / "genome.fa.fai").unlink()),
        ),
        Case(
            "manifest YAML syntax error",
            prep,
            "manifest.yaml",
            _append(Path("manifest.yaml"), "targets: [\n"),
        ),
        Case(
            "manifest unknown key", prep, "colour", lambda b: _manifest(b, lambda d: d.update(colour="blue"))
        ),
        Case(
            "manifest without targets",
            prep,
            "targets",
            lambda b: _manifest(b, lambda d: d.update(targets=[])),
        ),
        Case(
            "duplicate target names",
            prep,
            "celltype_A",
            lambda b: _manifest(b, lambda d: d["targets"][1].update(name="celltype_A")),
        ),
        Case(
            "test chromosome the genome lacks",
            prep,
            "chr42",
            lambda b: _manifest(b, lambda d: d["split"].update(test=["chr42"])),
        ),
        Case(
            "chromosome in two splits",
            prep,
            "chr9",
            lambda b: _manifest(b, lambda d: d["split"].update(test=["chr8", "chr9"])),
        ),
        Case("all-N test chromosome", prep, "N", _all_n),
        Case(
            "input_length > chunk_length",
            prep,
            "input_length",
            lambda b: _manifest(b, lambda d: d["geometry"].update(input_length=4096)),
        ),
        Case(
            "bin size that does not divide the input",
            prep,
            "bin",
            lambda b: _manifest(b, lambda d: d["geometry"].update(bin_sizes=[1, 33])),
        ),
        Case(
            "negative coverage threshold",
            prep,
            "coverage_threshold",
            lambda b: _manifest(b, lambda d: d["geometry"].update(coverage_threshold=-1)),
        ),
        Case(
            "common bin not among bin sizes",
            prep,
            "common_bin",
            lambda b: _manifest(b, lambda d: d["geometry"].update(common_bin=64)),
        ),
        Case(
            "variants table missing a column",
            prep,
            "variants.tsv",
            _write("variants/variants.tsv", "element\tsplit\tchrom_hg19\nSIM01\tx\tchr8\n"),
        ),
        Case("motif file that is not MEME", prep, "motifs.meme", _write("motifs.meme", "hello\n")),
        Case("bundle folder without a manifest", prep, "manifest", lambda b: (b / "manifest.yaml").unlink()),
        # --- paths ---
        Case("prepare --cache is a file", ["data", "prepare", "{bundle}", "--cache", str(a_file)], "--cache"),
        Case(
            "simulate --out is a file",
            ["simulate", "--profile", "smoke", "--out", str(a_file)],
            "--out",
            needs_bundle=False,
        ),
        Case(
            "simulate unknown profile",
            ["simulate", "--profile", "nosuch", "--out", str(work / "s")],
            "nosuch",
            needs_bundle=False,
        ),
        Case("run --out is a file", [*run[:7], str(a_file), *run[8:]], "--out"),
        Case(
            "run --bundle missing",
            ["run", "--all", "--bundle", str(work / "nowhere"), "--out", "{out}"],
            "nowhere",
            needs_bundle=False,
        ),
        # --- run options ---
        Case("--devices 0", [*run, "--devices", "0"], "--devices"),
        Case("--precision 7", [*run, "--precision", "7"], "--precision"),
        Case("--strategy nosuch", [*run, "--strategy", "nosuch"], "--strategy"),
        Case("--accelerator gpu without a GPU", [*run, "--accelerator", "gpu"], "--accelerator"),
        Case("--num-nodes 0", [*run, "--num-nodes", "0"], "--num-nodes"),
        Case("--model nosuch", ["run", "--model", "nosuch", *run[2:]], "nosuch"),
        Case("--shard 3/2", [*run, "--shard", "3/2"], "--shard"),
        Case("--task regression", [*run, "--task", "regression"], "--task"),
        Case(
            "--profile nosuch",
            ["run", "--all", "--profile", "nosuch", "--out", "{out}"],
            "--profile",
            needs_bundle=False,
        ),
        Case("--wandb sometimes", [*run, "--wandb", "sometimes"], "--wandb"),
        Case("--max-epochs 0", [*run, "--max-epochs", "0"], "--max-epochs"),
        Case("--num-workers -1", [*run, "--num-workers", "-1"], "--num-workers"),
        Case("--isolate thread", [*run, "--isolate", "thread"], "--isolate"),
        Case("--cell-timeout -5", [*run, "--isolate", "process", "--cell-timeout", "-5"], "--cell-timeout"),
        # --- evaluate / leaderboard / verify ---
        Case(
            "evaluate a missing checkpoint",
            ["evaluate", "--checkpoint", str(work / "no.ckpt")],
            "no.ckpt",
            needs_bundle=False,
        ),
        Case(
            "evaluate a file that is not a checkpoint",
            ["evaluate", "--checkpoint", str(a_file)],
            "a-file",
            needs_bundle=False,
        ),
        Case(
            "leaderboard of a missing folder",
            ["leaderboard", "--records", str(work / "none"), "--out", str(work / "lb")],
            "none",
            needs_bundle=False,
        ),
        Case(
            "leaderboard of records that are all invalid",
            ["leaderboard", "--records", str(work / "bad-records"), "--out", str(work / "lb2")],
            "record.json",
            needs_bundle=False,
        ),
        Case("verify a missing record", ["verify", str(work / "none.json")], "none.json", needs_bundle=False),
        Case("run --tuned a missing file", [*tuned_run, str(work / "no-tuned.json")], "no-tuned.json"),
        Case("run --tuned a file that is not a tuned profile", [*tuned_run, str(a_file)], "a-file"),
        Case("run --tuned with --all", [*run, "--tuned", str(a_file)], "--tuned"),
        Case(
            "figures of a folder without figure data",
            ["figures", str(work / "no-cell")],
            "no-cell",
            needs_bundle=False,
        ),
        Case(
            "search --threads 0",
            ["search", "--threads", "0", "--out", str(work / "s0"), "--bundle", "{bundle}"],
            "--threads",
        ),
        Case(
            "verify a record that is not JSON",
            ["verify", str(work / "bad-records" / "record.json")],
            "record.json",
            needs_bundle=False,
        ),
    ]
    cases += _record_cases(work)
    (work / "bad-records").mkdir(exist_ok=True)
    (work / "bad-records" / "record.json").write_text('{"kind": "model", "checksum": "sha256:00"')
    return cases


def _trained_record(work: Path) -> Path:
    """One smoke-trained cell (cnn-baseline, quantitative) of the pristine bundle; its record."""
    out = work / "trained"
    found = sorted(out.glob("*/cnn-baseline/quantitative/seed0/record.json"))
    if not found:
        argv = ["run", "--model", "cnn-baseline", "--task", "quantitative", "--profile", "smoke"]
        argv += ["--bundle", str(work / "pristine"), "--out", str(out), "--cache", str(work / "cache")]
        argv += ["--wandb", "disabled", "--no-cagi5", "--no-motifs", "--no-ceilings"]
        subprocess.run([*BS, *argv], check=True, capture_output=True, env=_env())
        found = sorted(out.glob("*/cnn-baseline/quantitative/seed0/record.json"))
    return found[0]


def _record_cases(work: Path) -> list[Case]:
    """Tampered copies of a genuine record, and options on a genuine checkpoint."""
    from benchsuite.results.record import read_record, record_checksum

    genuine = _trained_record(work)
    edited, escaping = work / "edited" / "record.json", work / "escaping" / "record.json"
    for path in (edited, escaping):
        path.parent.mkdir(parents=True, exist_ok=True)
    record = read_record(genuine)
    text = genuine.read_text()
    mean = record["metrics"]["wholechrom_common.pearson"]["mean"]
    edited.write_text(text.replace(json.dumps(mean), "0.999", 1))  # value edited, checksum stale
    record["figures"] = {"logo": "../../../../etc/hostname"}
    record["checksum"] = record_checksum(record)
    escaping.write_text(json.dumps(record))
    lb = ["leaderboard", "--out", str(work / "lb-tamper")]
    return [
        Case(
            "record edited after writing (--strict)",
            [*lb, "--records", str(edited.parent), "--strict"],
            "checksum",
            needs_bundle=False,
        ),
        Case(
            "record whose figure path leaves its folder",
            [*lb, "--records", str(escaping.parent)],
            "figure",
            needs_bundle=False,
            ok_exit=True,
        ),
        Case(
            "evaluate --accelerator gpu without a GPU",
            [
                "evaluate",
                "--checkpoint",
                str(genuine.parent / "checkpoint.ckpt"),
                "--accelerator",
                "gpu",
                "--out",
                str(work / "ev"),
            ],
            "--accelerator",
            needs_bundle=False,
        ),
    ]


def _env() -> dict[str, str]:
    return dict(os.environ, WANDB_MODE="disabled", COLUMNS="200", NO_COLOR="1")


def _classify(proc: subprocess.CompletedProcess, case: Case) -> str:
    text = proc.stdout + proc.stderr
    if "Traceback (most recent call last)" in text:
        return "traceback"
    named = case.token.lower() in text.lower()
    if case.ok_exit:
        return ("clear" if named else "accepted") if proc.returncode == 0 else "vague"
    if proc.returncode == 0:
        return "accepted"
    return "clear" if named else "vague"


def _message(proc: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
    picked = [line for line in lines if "error" in line.lower() or "traceback" in line.lower()]
    return (picked or lines or [""])[-1][:200]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="benchsuite-probe-"))
    work.mkdir(parents=True, exist_ok=True)
    env = _env()
    pristine = work / "pristine"
    if not (pristine / "manifest.yaml").exists():
        subprocess.run(
            [*BS, "simulate", "--profile", "smoke", "--out", str(pristine), "--no-progress"],
            check=True,
            env=env,
            capture_output=True,
        )
    results = []
    for i, case in enumerate(c for c in _cases(work) if args.only in c.name):
        bundle, cache, out = work / f"case{i}", work / f"cache{i}", work / f"out{i}"
        for path in (bundle, cache, out):
            shutil.rmtree(path, ignore_errors=True)
        if case.needs_bundle:
            shutil.copytree(pristine, bundle)
            if case.setup:
                case.setup(bundle)
        argv_case = [a.format(bundle=bundle, cache=cache, out=out) for a in case.argv]
        proc = subprocess.run([*BS, *argv_case], env=env, capture_output=True, text=True, timeout=900)
        verdict = _classify(proc, case)
        results.append(
            {"case": case.name, "verdict": verdict, "exit": proc.returncode, "message": _message(proc)}
        )
        print(f"{verdict:9s} exit={proc.returncode:<3d} {case.name}: {results[-1]['message']}", flush=True)
        for path in (bundle, cache, out):
            shutil.rmtree(path, ignore_errors=True)
    totals = Counter(r["verdict"] for r in results)
    print(
        f"\n{len(results)} cases: "
        + ", ".join(f"{k} {totals.get(k, 0)}" for k in ("clear", "vague", "traceback", "accepted"))
    )
    if args.json:
        args.json.write_text(json.dumps({"totals": dict(totals), "cases": results}, indent=2))
    return 1 if totals.get("traceback") or totals.get("accepted") else 0


if __name__ == "__main__":
    sys.exit(main())
