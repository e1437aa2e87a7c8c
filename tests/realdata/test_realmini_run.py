"""The real CLI on real data: `benchsuite run` on examples/realmini, then `benchsuite evaluate`.

One smoke-profile run trains cnn-baseline (binary + quantitative) and residualbind-32
(quantitative) on realmini through the runner, and scores them with the fixed harness:
whole-chromosome metrics on the 10 DNase tracks, AUROC against the label-only keratinocyte
ATAC peaks, the real CAGI5 set (15 elements; 40 variants per element and 4 shifts in the
smoke budget) and motif recovery against JASPAR 2024.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from benchsuite.results.record import read_record

from .conftest import EXAMPLE, run_cli

pytestmark = pytest.mark.realdata

CELLS = {("cnn-baseline", "binary"), ("cnn-baseline", "quantitative"), ("residualbind-32", "quantitative")}
ELEMENTS = 15


def _records(out: Path) -> dict[tuple[str, str], tuple[Path, dict]]:
    found = {}
    for path in sorted(out.glob("*/*/*/seed0/record.json")):
        record = read_record(path)  # schema + checksum
        found[record["model"]["name"], record["task"]] = (path, record)
    return found


def _mean(record: dict, name: str) -> float | None:
    entry = record["metrics"].get(name)
    return None if entry is None else entry["mean"]


def _mismatched_refs(real_data: Path) -> int:
    """CAGI5 rows whose ref allele differs from the element window (direct count)."""
    seqs, name = {}, None
    with open(real_data / "cagi5" / "elements.fa") as handle:
        for line in handle:
            if line.startswith(">"):
                name = line[1:].split()[0]
                seqs[name] = []
            else:
                seqs[name].append(line.strip())
    windows = {k: "".join(v).upper() for k, v in seqs.items()}
    with open(real_data / "cagi5" / "variants.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return sum(windows[r["element"]][int(r["window_offset"])] != r["ref"].upper() for r in rows)


def test_run_writes_valid_records(realmini_run) -> None:
    records = _records(realmini_run.out)
    assert set(records) == CELLS, realmini_run.process.stderr[-3000:]
    fingerprints = {r["dataset"]["fingerprint"] for _, r in records.values()}
    assert len(fingerprints) == 1
    for (_model, task), (_path, record) in records.items():
        assert record["dataset"]["name"] == "realmini" and record["dataset"]["profile"] == "smoke"
        auroc = record["metrics"]["peak.auroc"]
        assert set(auroc["per_target"]) == {"ENCSR356KRQ"}
        assert auroc["mean"] is not None and 0.0 <= auroc["mean"] <= 1.0
        assert "task_conversion" in record["not_applicable"]
        if task == "quantitative":
            r = _mean(record, "wholechrom.pearson")
            assert r is not None and math.isfinite(r)
            assert len(record["metrics"]["wholechrom.pearson"]["per_target"]) == 10
            assert _mean(record, "robustness.variation") is not None
        else:
            # cell-type-agnostic conversion: the keratinocyte logit against the mean DNase coverage
            assert set(record["metrics"]["wholechrom.pearson"]["per_target"]) == {"cell-type-agnostic"}
            assert "perseq" in record["not_applicable"]
    # no replicate 2 and no simulator truth: no ceiling records
    assert not list(realmini_run.out.glob("*/ceilings/*/record.json"))


def test_real_cagi5_and_jaspar_families_ran(realmini_run, real_data_env: Path) -> None:
    mismatched = _mismatched_refs(real_data_env)
    assert mismatched > 0
    for (_model, _task), (_path, record) in _records(realmini_run.out).items():
        table = record["tables"]["cagi5"]
        rows = table["per_element"]
        assert len(rows) == ELEMENTS
        assert {row["element"] for row in rows} >= {"F9", "HBB", "TERT-GBM", "ZFAND3", "MYCrs6983267"}
        for row in rows:
            assert "standard" in row and "robust" in row and row["n_variants"] > 0
        assert _mean(record, "cagi5.standard") is not None and _mean(record, "cagi5.robust") is not None
        assert table["n_mismatched"] <= mismatched  # the smoke budget scores a subset
        motifs = record["tables"]["motifs"]
        assert record["metrics"]["motifs.hit_ratio"]["mean"] is not None
        assert set(motifs["excluded"]) == {"MA1929.1", "MA0615.1", "MA1929.2", "MA1930.2", "MA1978.2"}
        assert len(motifs["matches"]) == motifs["n_filters"] > 0
        excluded = ("MA1929", "MA1930", "MA0615", "MA1978")
        assert all(not (m["best_motif"] or "").startswith(excluded) for m in motifs["matches"])
        assert "no ground truth" in record["not_applicable"]["motifs.recovery_rate"]


def test_rerun_skips_finished_cells(realmini_run) -> None:
    before = {k: p.stat().st_mtime_ns for k, (p, _) in _records(realmini_run.out).items()}
    args = ["run", "--bundle", str(EXAMPLE), "--profile", "smoke", "--model", "cnn-baseline,residualbind-32"]
    process = run_cli([*args, "--out", str(realmini_run.out), "--wandb", "disabled"], realmini_run.env)
    assert process.returncode == 0, process.stderr[-3000:]
    after = {k: p.stat().st_mtime_ns for k, (p, _) in _records(realmini_run.out).items()}
    assert after == before


def test_evaluate_checkpoint_on_the_real_cagi5_set(realmini_run, tmp_path: Path) -> None:
    records = _records(realmini_run.out)
    path, trained = records["residualbind-32", "quantitative"]
    checkpoint = path.parent / "checkpoint.ckpt"
    process = run_cli(
        [
            "evaluate",
            "--checkpoint",
            str(checkpoint),
            "--bundle",
            str(EXAMPLE),
            "--out",
            str(tmp_path),
            "--json",
        ],
        realmini_run.env,
    )
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-3000:]
    record = read_record(tmp_path / "record.json")
    assert record["dataset"]["fingerprint"] == trained["dataset"]["fingerprint"]
    rows = record["tables"]["cagi5"]["per_element"]
    assert len(rows) == ELEMENTS and all("standard" in r and "robust" in r for r in rows)
    # the same harness on the same weights: the same whole-chromosome Pearson
    assert _mean(record, "wholechrom.pearson") == pytest.approx(
        _mean(trained, "wholechrom.pearson"), abs=1e-6
    )
    json.dumps(record)
