"""examples/realmini on the real files: manifest fields, prepared arrays, NaN never becomes zero.

Expected values are read directly from the real files (targets.tsv, contigs.tsv, pyBigWig,
the narrowPeak file), never from benchsuite's readers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
from benchsuite.data.manifest import load_manifest
from benchsuite.data.prepare import prepare_dataset

from .conftest import EXAMPLE

pytestmark = pytest.mark.realdata

LABEL_TARGET = "ENCSR356KRQ"


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def realmini(real_data_env: Path, realdata_cache_dir: Path):
    manifest = load_manifest(EXAMPLE)
    cache = prepare_dataset(manifest, cache_dir=realdata_cache_dir, progress=False)
    contigs = {row["contig"]: row for row in _tsv(real_data_env / "realmini" / "contigs.tsv")}
    peaks = []
    with open(real_data_env / "realmini" / "peaks" / "keratinocyte_atac_ENCSR356KRQ.narrowPeak") as handle:
        for line in handle:
            f = line.split("\t")
            peaks.append((f[0], int(f[1]), int(f[2])))
    return manifest, cache, contigs, peaks


def test_manifest_names_the_real_files(realmini, real_data_env: Path) -> None:
    manifest, _, contigs, _ = realmini
    rows = _tsv(real_data_env / "realmini" / "targets.tsv")
    assert manifest.coverage_target_names == tuple(r["identifier"] for r in rows)
    for target, row in zip(manifest.coverage_targets, rows, strict=True):
        assert target.track == (real_data_env / "realmini" / row["file"]).resolve()
        assert target.description == row["description"] and target.peaks is None
    assert manifest.label_target_names == (LABEL_TARGET,)
    assert manifest.targets[-1].track is None
    assert manifest.genome == (real_data_env / "realmini" / "genome.fa").resolve()
    for split in ("train", "valid", "test"):
        assert set(getattr(manifest.split, split)) == {c for c, r in contigs.items() if r["split"] == split}
    assert (len(manifest.split.train), len(manifest.split.valid), len(manifest.split.test)) == (45, 10, 10)
    g = manifest.geometry
    assert (g.chunk_length, g.input_length, g.bin_sizes, g.common_bin, g.coverage_threshold) == (
        3072,
        2048,
        (1, 32, 128),
        128,
        2.0,
    )
    assert manifest.variants is not None and manifest.variants.table.name == "variants.tsv"
    assert manifest.motifs is not None and "JASPAR2024" in manifest.motifs.name
    assert manifest.motif_exclude is None  # the harness's JASPAR default applies


def test_quantitative_chunks_hold_real_values_and_no_missing_data(realmini) -> None:
    manifest, cache, contigs, _ = realmini
    handles = [pyBigWig.open(str(t.track)) for t in manifest.coverage_targets]
    try:
        for split in ("train", "valid", "test"):
            arrays = cache.split("quantitative", split)
            info = cache.meta["kinds"]["quantitative"][split]
            assert len(arrays) >= 50 and info["dropped"]["nan"] > 0
            cov = np.asarray(arrays.cov, dtype=np.float32)
            assert cov.shape[1] == 10 and not np.isnan(cov).any()
            for i, (chrom, start, end) in enumerate(arrays.intervals()):
                row = contigs[chrom]
                assert row["split"] == split
                assert int(row["target_start"]) <= start and end <= int(row["target_end"])
                if i % 7 == 0:  # direct reads of a sample of chunks
                    direct = np.stack([np.asarray(h.values(chrom, start, end, numpy=True)) for h in handles])
                    assert not np.isnan(direct).any() and direct.max() > 2.0
                    np.testing.assert_allclose(cov[i], direct, rtol=2e-3, atol=2e-3)
        # NaN is missing, not zero: the positions without data are NaN in the tracks, and the
        # cache holds none of them (a zero-filled loader would have kept chunks there)
        chrom = next(iter(contigs))
        outside = np.asarray(handles[0].values(chrom, 0, int(contigs[chrom]["target_start"]), numpy=True))
        assert np.isnan(outside).all()
        tiles = cache.split("wholechrom", "test")
        test_contigs = [c for c, r in contigs.items() if r["split"] == "test"]
        spans = {c: int(contigs[c]["target_end"]) - int(contigs[c]["target_start"]) for c in test_contigs}
        assert len(tiles) == sum(s // 2048 for s in spans.values())
        for chrom, start, end in tiles.intervals():
            assert int(contigs[chrom]["target_start"]) <= start and end <= int(contigs[chrom]["target_end"])
    finally:
        for h in handles:
            h.close()


def test_binary_chunks_label_only_target_and_negatives(realmini) -> None:
    manifest, cache, contigs, peaks = realmini
    assert cache.label_target_names == (LABEL_TARGET,) and len(cache.target_names) == 10
    flank = (3072 - 2048) // 2
    for split in ("train", "valid", "test"):
        arrays = cache.split("binary", split)
        labels = np.asarray(arrays.labels)
        assert labels.shape == (len(arrays), 1) and arrays.cov.shape[1] == 10
        assert not np.isnan(np.asarray(arrays.cov, dtype=np.float32)).any()
        for (chrom, start, end), label in zip(arrays.intervals(), labels[:, 0], strict=True):
            assert contigs[chrom]["split"] == split
            central = any(c == chrom and a < end - flank and b > start + flank for c, a, b in peaks)
            touching = any(c == chrom and a < end and b > start for c, a, b in peaks)
            assert label == int(central)
            if not label:  # a negative: no peak anywhere in the chunk, on the 3,072 grid
                assert not touching and start % 3072 == 0
        # both classes in every split: AUROC and training are defined
        assert 0 < labels.sum() < labels.size
        negatives = cache.meta["kinds"]["binary"][split]["negatives"]
        assert negatives["kept"] == int((labels == 0).sum())
    qdm = QuantitativeDataModule(manifest, cache_dir=cache.root.parent, bin_size=32, progress=False)
    bdm = BinaryDataModule(manifest, cache_dir=cache.root.parent, progress=False)
    assert qdm.task_spec().num_targets == 10 and qdm.task_spec().num_bins == 64
    assert bdm.task_spec().num_targets == 1 and bdm.task_spec().target_names == (LABEL_TARGET,)
    bdm.setup("fit")
    x, y = next(iter(bdm.train_dataloader()))
    assert tuple(x.shape[1:]) == (4, 2048) and tuple(y.shape[1:]) == (1,)
