"""The primer's experiment as a sequence-set bundle (``benchsuite simulate --profile primer``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchsuite.data.manifest_load import load_manifest
from benchsuite.data.seqset_manifest import SequenceSetManifest
from benchsuite.errors import ConfigError
from benchsuite.io.meme import read_meme
from benchsuite.simulate import bundle_fingerprint, simulate_bundle
from benchsuite.simulate.primer import PRIMER_CONSENSUS, PRIMER_MOTIF, reverse_complement, simulate_primer


@pytest.fixture(scope="module")
def primer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate_primer(tmp_path_factory.mktemp("primer") / "bundle", 0)


def rows(bundle: Path) -> list[dict[str, str]]:
    with open(bundle / "sequences.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_bundle_files_and_manifest(primer):
    assert sorted(p.name for p in primer.iterdir()) == [
        "manifest.yaml",
        "motifs.meme",
        "sequences.tsv",
        "truth.json",
    ]
    manifest = load_manifest(primer)
    assert isinstance(manifest, SequenceSetManifest)
    assert manifest.name == "sim-primer-seed0" and manifest.input_length == 128
    assert manifest.label_target_names == ("bound",) and manifest.coverage_target_names == ("bound",)
    assert manifest.simulator is not None and manifest.simulator["profile"] == "primer"
    assert manifest.simulator["fingerprint"] == bundle_fingerprint(primer)


def test_sequences_counts_and_splits(primer):
    table = rows(primer)
    assert len(table) == 2000 and {len(r["sequence"]) for r in table} == {50}
    assert sum(r["bound"] == "1" for r in table) == 1000
    counts = {(s, b): 0 for s in ("train", "valid", "test") for b in "01"}
    for r in table:
        counts[(r["split"], r["bound"])] += 1
    assert counts == {
        ("train", "0"): 562, ("train", "1"): 563,
        ("valid", "0"): 188, ("valid", "1"): 187,
        ("test", "0"): 250, ("test", "1"): 250,
    }  # fmt: skip


def test_motif_planted_in_exactly_the_bound_class(primer):
    truth = json.loads((primer / "truth.json").read_text())
    rc = reverse_complement(PRIMER_CONSENSUS)
    for r, offset in zip(rows(primer), truth["motif_offsets"], strict=True):
        seq = r["sequence"]
        if r["bound"] == "1":
            assert seq[offset : offset + len(PRIMER_CONSENSUS)] == PRIMER_CONSENSUS
        else:
            assert offset == -1 and PRIMER_CONSENSUS not in seq and rc not in seq


def test_signal_is_higher_for_bound_sequences(primer):
    truth = json.loads((primer / "truth.json").read_text())
    assert truth["mean_signal"]["bound"] > 15 > 5 > truth["mean_signal"]["unbound"]


def test_truth_says_the_motif_is_active_in_the_label_target(primer):
    truth = json.loads((primer / "truth.json").read_text())
    assert truth["motifs"] == [{"name": PRIMER_MOTIF, "consensus": PRIMER_CONSENSUS, "active_in": ["bound"]}]
    assert truth["targets"]["bound"]["motifs"] == [PRIMER_MOTIF]


def test_motif_database_planted_motif_first_then_decoys(primer):
    motifs = read_meme(primer / "motifs.meme")
    assert motifs[0].name == PRIMER_MOTIF
    assert "".join("ACGT"[i] for i in motifs[0].ppm.argmax(axis=1)) == PRIMER_CONSENSUS
    assert len(motifs) == 241 and all(m.name.startswith("DECOY_") for m in motifs[1:])


def test_deterministic_by_seed(primer, tmp_path):
    again = simulate_bundle("primer", tmp_path / "again", 0)
    assert bundle_fingerprint(again) == bundle_fingerprint(primer)
    other = simulate_primer(tmp_path / "other", 1)
    assert bundle_fingerprint(other) != bundle_fingerprint(primer)


def test_non_empty_out_refused(primer):
    with pytest.raises(ConfigError, match="is not empty"):
        simulate_primer(primer, 0)


def test_cli_summary(tmp_path, capsys):
    from benchsuite.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["simulate", "--profile", "primer", "--out", str(tmp_path / "p"), "--no-progress"])
    assert (info.value.code or 0) == 0
    out = capsys.readouterr().out
    assert "sim-primer-seed0: simulated profile primer (sequence set), seed 0" in out
    assert "2000 of 50 bp, 1000 bound; input 128 bp (N-padded); splits train 1125, valid 375, test 500" in out
