"""realmini in other shapes: quantitative-only (no peaks), peak files only (no tracks), split by
regions, a fold file.

Each test writes a manifest next to a temporary copy of ``examples/realmini/manifest.yaml``
(same real files through ``${BENCHSUITE_REAL_DATA}``) and prepares or runs it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from benchsuite.data.prepare import prepare_dataset

from .conftest import EXAMPLE, cli_env, run_cli

pytestmark = pytest.mark.realdata


def _contigs(real_data: Path) -> list[dict[str, str]]:
    with open(real_data / "realmini" / "contigs.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _write(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _realmini() -> dict:
    return yaml.safe_load((EXAMPLE / "manifest.yaml").read_text())


def test_quantitative_only_realmini_skips_binary_cells(real_data_env, realdata_cache_dir, tmp_path) -> None:
    """No peak file: a binary-only model's cell is not applicable, the run exits 0 without training."""
    data = _realmini()
    data["targets"] = [t for t in data["targets"] if "track" in t]
    data.pop("binary_negatives")
    data["name"] = "realmini-quantitative"
    bundle = _write(tmp_path / "bundle", data)
    env = cli_env(real_data_env, realdata_cache_dir)
    args = ["run", "--bundle", str(bundle), "--model", "basset", "--profile", "smoke", "--no-ceilings"]
    process = run_cli([*args, "--out", str(tmp_path / "runs"), "--wandb", "disabled"], env)
    text = process.stdout + process.stderr
    assert process.returncode == 0, text[-3000:]
    assert "not applicable basset/binary: bundle 'realmini-quantitative' has no peak files" in text
    assert "num_targets" not in text and "Traceback" not in text


def test_peak_files_only_realmini_trains_binary_cells(real_data_env, realdata_cache_dir, tmp_path) -> None:
    """The ATAC peaks alone (no coverage track): the binary cell trains on peak-centred chunks and
    genome negatives, the quantitative cell is not applicable, coverage families are NA."""
    data = _realmini()
    data["targets"] = [t for t in data["targets"] if "track" not in t]
    data["binary_negatives"] = {"source": "genome", "fraction": 0.25}
    data["name"] = "realmini-peaks"
    bundle = _write(tmp_path / "bundle", data)
    env = cli_env(real_data_env, realdata_cache_dir)
    args = ["run", "--bundle", str(bundle), "--model", "cnn-baseline", "--profile", "smoke", "--no-ceilings"]
    process = run_cli([*args, "--out", str(tmp_path / "runs"), "--wandb", "disabled"], env)
    text = process.stdout + process.stderr
    assert process.returncode == 0, text[-3000:]
    assert "not applicable cnn-baseline/quantitative: bundle 'realmini-peaks' has no coverage tracks" in text
    (record_path,) = (tmp_path / "runs").glob("*/cnn-baseline/binary/seed0/record.json")
    record = json.loads(record_path.read_text())
    assert record["tables"]["evaluation"]["bundle_kind"] == "peaks"
    assert record["metrics"]["peak.auroc"]["per_target"]["ENCSR356KRQ"] is not None
    assert record["not_applicable"]["wholechrom"].startswith("the bundle has no coverage track")
    assert "Traceback" not in text


def test_region_split_matches_the_contig_split(real_data_env, realdata_cache_dir, tmp_path) -> None:
    """Test/valid given as the data regions of the test/valid contigs: the same held-out chunks."""
    contigs = _contigs(real_data_env)
    for group in ("test", "valid"):
        rows = [r for r in contigs if r["split"] == group]
        (tmp_path / f"{group}.bed").write_text(
            "".join(f"{r['contig']}\t{r['target_start']}\t{r['target_end']}\n" for r in rows)
        )
    data = _realmini()
    data["split"] = {"test_regions": str(tmp_path / "test.bed"), "valid_regions": str(tmp_path / "valid.bed")}
    regions = prepare_dataset(_write(tmp_path / "bundle", data), cache_dir=realdata_cache_dir, progress=False)
    table = prepare_dataset(EXAMPLE, cache_dir=realdata_cache_dir, progress=False)
    assert regions.fingerprint != table.fingerprint
    for kind, split in [("quantitative", "test"), ("quantitative", "valid"), ("wholechrom", "test")]:
        assert regions.count(kind, split) == table.count(kind, split) > 0, (kind, split)
    # the training contigs contribute the same chunks; test/valid contigs have no data outside
    # their regions, so nothing else is added
    assert regions.count("quantitative", "train") == table.count("quantitative", "train")
    leak = regions.meta["kinds"]["quantitative"]["train"]["leakage"]
    assert leak == {"checked": regions.count("quantitative", "train"), "touching_held_out": 0}


def test_fold_file_reproduces_the_contig_split(real_data_env, realdata_cache_dir, tmp_path) -> None:
    contigs = _contigs(real_data_env)
    fold = {g: [r["contig"] for r in contigs if r["split"] == g] for g in ("train", "valid", "test")}
    (tmp_path / "folds").mkdir()
    (tmp_path / "folds" / "fold_0.json").write_text(json.dumps(fold))
    data = _realmini()
    data["split"] = {"folds": str(tmp_path / "folds"), "fold": 0}
    cache = prepare_dataset(_write(tmp_path / "bundle", data), cache_dir=realdata_cache_dir, progress=False)
    table = prepare_dataset(EXAMPLE, cache_dir=realdata_cache_dir, progress=False)
    assert cache.fingerprint == table.fingerprint  # the same chromosome lists: the same dataset


def test_peaks_called_on_a_dnase_track(real_data_env, realdata_cache_dir, tmp_path) -> None:
    """Without any peak file, labels called on one DNase track build a binary dataset."""
    data = _realmini()
    data["targets"] = [t for t in data["targets"] if "track" in t]
    data["targets"][0]["peaks"] = {"call": "threshold", "fold": 4.0}
    data["name"] = "realmini-called"
    cache = prepare_dataset(_write(tmp_path / "bundle", data), cache_dir=realdata_cache_dir, progress=False)
    name = data["targets"][0]["name"]
    assert cache.meta["label_targets"] == [name]
    assert cache.meta["peak_call"][name]["fold"] == 4.0
    for split in ("train", "valid", "test"):
        info = cache.meta["kinds"]["binary"][split]
        assert info["n"] > 0 and info["positives"][name] > 0, (split, info)
