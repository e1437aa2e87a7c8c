"""prepare_dataset on real ENCODE DNase tracks (../shared/data/realmini): NaN is missing, never zero."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

from benchsuite.data.manifest import load_manifest, write_manifest
from benchsuite.data.prepare import prepare_dataset

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def realmini_cache(real_data: Path, tmp_path_factory: pytest.TempPathFactory):
    realmini = real_data / "realmini"
    with open(realmini / "targets.tsv") as handle:
        targets = [
            {
                "name": row["identifier"],
                "track": str(realmini / row["file"]),
                "description": row["description"],
            }
            for row in csv.DictReader(handle, delimiter="\t")
        ]
    folder = tmp_path_factory.mktemp("realmini")
    write_manifest(
        folder / "manifest.yaml",
        {
            "name": "realmini",
            "genome": str(realmini / "genome.fa"),
            "targets": targets,
            "split": {
                "table": str(realmini / "contigs.tsv"),
                "name_column": "contig",
                "split_column": "split",
            },
            "geometry": {
                "chunk_length": 3072,
                "input_length": 2048,
                "bin_sizes": [1, 32, 128],
                "common_bin": 128,
                "coverage_threshold": 2.0,
            },
        },
    )
    manifest = load_manifest(folder)
    cache = prepare_dataset(manifest, cache_dir=folder / "cache", progress=False)
    with open(realmini / "contigs.tsv") as handle:
        contigs = {row["contig"]: row for row in csv.DictReader(handle, delimiter="\t")}
    return manifest, cache, contigs


def test_realmini_chunks_lie_where_tracks_have_data(realmini_cache) -> None:
    manifest, cache, contigs = realmini_cache
    for split in ("train", "valid", "test"):
        arrays = cache.split("quantitative", split)
        info = cache.meta["kinds"]["quantitative"][split]
        assert len(arrays) > 0
        assert info["dropped"]["nan"] > 0  # chunks outside the target regions have no data
        assert not np.isnan(np.asarray(arrays.cov, dtype=np.float32)).any()
        for chrom, start, end in arrays.intervals():
            row = contigs[chrom]
            assert row["split"] == split
            assert int(row["target_start"]) <= start and end <= int(row["target_end"])
        # kept exactly when the max over targets exceeds the threshold (direct pyBigWig reads)
        handles = [pyBigWig.open(str(t.track)) for t in manifest.targets]
        chrom, start, end = arrays.intervals()[0]
        direct = np.stack([np.asarray(h.values(chrom, start, end, numpy=True)) for h in handles])
        assert direct.max() > 2.0
        np.testing.assert_allclose(np.asarray(arrays.cov[0], dtype=np.float64), direct, rtol=1e-3, atol=1e-3)


def test_realmini_wholechrom_covers_data_regions(realmini_cache) -> None:
    _, cache, contigs = realmini_cache
    tiles = cache.split("wholechrom", "test")
    test_contigs = [c for c, row in contigs.items() if row["split"] == "test"]
    span = {c: int(contigs[c]["target_end"]) - int(contigs[c]["target_start"]) for c in test_contigs}
    # every whole tile inside a data region is kept (tiles are 2,048-aligned; data regions 32,768-aligned)
    assert len(tiles) == sum(s // 2048 for s in span.values())
    assert not cache.has("binary", "test")  # no peaks for the DNase targets
