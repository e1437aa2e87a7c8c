"""End to end on sequence-set bundles: prepare, train, the harness's not-applicable reasons, records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchsuite.data.manifest_load import load_manifest
from benchsuite.data.prepare import prepare_dataset
from benchsuite.evaluate.families.base import SEQUENCE_SET_REASONS
from benchsuite.results.record import read_record
from tests.run.conftest import by_cell, run_and_print, run_options

GENOME_ONLY = ("wholechrom", "wholechrom_common", "thresholded", "peak_genome", "robustness", "perseq")


def write_set(root: Path, *, n: int = 96, values: bool = True) -> Path:
    """A small sequence set: 40-bp sequences, the positives carrying GATTACAGATTACA, 64-bp input."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    lines = ["id\tsequence\tbound\tsignal\tsplit"]
    for i in range(n):
        seq = list("".join("ACGT"[c] for c in rng.integers(0, 4, 40)))
        if i % 2:
            seq[10:24] = "GATTACAGATTACA"
        split = ("train", "train", "train", "train", "valid", "test")[(i // 2) % 6]
        lines.append(f"s{i}\t{''.join(seq)}\t{i % 2}\t{1 + 9 * (i % 2)}\t{split}")
    (root / "seqs.tsv").write_text("\n".join(lines) + "\n")
    manifest = [
        "kind: sequences",
        "name: tiny-seqset",
        "sequences: {file: seqs.tsv, id_column: id}",
        "labels: [{name: bound, column: bound}]",
        "split: {column: split}",
        "input_length: 64",
    ]
    if values:
        manifest.insert(4, "values: [{name: bound, column: signal}]")
    (root / "manifest.yaml").write_text("\n".join(manifest) + "\n")
    return root


def test_run_both_tasks_records_and_reasons(tmp_path, registry):
    bundle = write_set(tmp_path / "set")
    options = run_options(bundle, tmp_path / "runs", tmp_path / "cache", models=("fake-conv",))
    summary, text = run_and_print(options, registry)
    cells = by_cell(summary)
    assert {k: o.status for k, o in cells.items()} == {
        ("fake-conv", "binary"): "trained",
        ("fake-conv", "quantitative"): "trained",
    }
    assert summary.exit_code == 0, text
    for (model, task), outcome in cells.items():
        record = read_record(outcome.record)
        assert record["dataset"]["name"] == "tiny-seqset"
        for key in GENOME_ONLY:
            reason = record["not_applicable"][key]
            assert reason == SEQUENCE_SET_REASONS.get(key, SEQUENCE_SET_REASONS["wholechrom"]), (
                model,
                task,
                key,
            )
        assert set(record["metrics"]) >= {"peak.auroc", "peak.aupr", "peak.pearson"}
        assert not any(m.startswith(("wholechrom", "perseq", "thresholded")) for m in record["metrics"])
        expected = (
            "a binary model predicts one value per sequence: within-sequence Pearson is undefined"
            if task == "binary"
            else "sequence-set bundle: one value per sequence, so within-sequence Pearson is undefined"
        )
        assert record["not_applicable"]["peak.pearson_perseq"] == expected


def test_run_labels_only_set_sets_the_quantitative_cell_aside(tmp_path, registry):
    bundle = write_set(tmp_path / "set", values=False)
    options = run_options(bundle, tmp_path / "runs", tmp_path / "cache", models=("fake-conv",))
    summary, text = run_and_print(options, registry)
    cells = by_cell(summary)
    assert cells[("fake-conv", "binary")].status == "trained"
    assert cells[("fake-conv", "quantitative")].status == "not-applicable"
    assert summary.exit_code == 0, text


def test_harness_on_a_labels_only_set(tmp_path):
    """No values: peak.pearson is not applicable; motif recovery scans the peak-centred test split."""
    import torch

    from benchsuite.evaluate import EvalOptions, evaluate_model
    from benchsuite.io.meme import Motif, write_meme
    from benchsuite.plugins import TaskSpec
    from tests.run.conftest import FakeConv

    bundle = write_set(tmp_path / "set", values=False)
    ppm = np.eye(4)[["ACGT".index(b) for b in "GATTACAGATTACA"]] * 0.97 + 0.0075
    write_meme(bundle / "motifs.meme", [Motif("GATTACA2", ppm)])
    with open(bundle / "manifest.yaml", "a") as handle:
        handle.write("motifs: motifs.meme\n")
    manifest = load_manifest(bundle)
    cache = prepare_dataset(manifest, cache_dir=tmp_path / "cache", progress=False)
    assert cache.meta["kinds"]["quantitative"] is None
    task = TaskSpec(kind="binary", input_length=64, num_targets=1, target_names=("bound",))
    torch.manual_seed(0)
    model = FakeConv(task).eval()
    result = evaluate_model(
        model, task, cache, manifest, first_layer="act", options=EvalOptions(progress=False)
    )
    assert result.not_applicable["peak.pearson"] == (
        "sequence-set bundle without `values:`: no quantitative value to correlate"
    )
    for key in ("wholechrom", "thresholded", "peak_genome", "robustness", "perseq"):
        assert result.not_applicable[key] == SEQUENCE_SET_REASONS[key]
    assert result.metrics["peak.auroc"]["per_target"]["bound"] is not None
    assert "peak.pearson" not in result.metrics
    assert result.tables["motifs"]["n_filters"] == 8  # scanned the 16 binary test sequences
    assert "motifs" not in result.not_applicable
    assert result.tables["evaluation"]["bundle_kind"] == "sequences"  # the board ranks it by peak.auroc


@pytest.mark.slow
def test_primer_profile_run_all_learns_and_recovers_the_motif(tmp_path):
    """`benchsuite run --all --profile primer`: simulates the primer bundle, every baseline cell
    of both tasks trains 200 steps, the models separate the classes and recover the motif."""
    from benchsuite.plugins import load_plugins

    options = run_options(
        None, tmp_path / "runs", tmp_path / "cache", all_models=True, profile="primer", motifs=True
    )
    options.max_epochs = None
    summary, text = run_and_print(options, load_plugins())
    assert summary.exit_code == 0, text
    assert (tmp_path / "runs" / "bundles" / "primer-seed0" / "sequences.tsv").is_file()
    cells = by_cell(summary)
    assert {task for _, task in cells} == {"binary", "quantitative"} and len(cells) >= 15
    records = [json.loads(Path(o.record).read_text()) for o in cells.values()]
    assert {r["hyperparameters"]["global_steps"] for r in records} == {200}
    key = {id(r): (r["model"]["name"], r["task"]) for r in records}
    auroc = {key[id(r)]: r["metrics"]["peak.auroc"]["mean"] for r in records}
    recovery = {key[id(r)]: r["metrics"]["motifs.recovery_rate"]["mean"] for r in records}
    assert min(auroc.values()) > 0.9, auroc  # measured: 0.952 (bpnet) to 1.000
    assert sum(v == 1.0 for v in recovery.values()) >= 12, recovery  # measured: 14 of 15
