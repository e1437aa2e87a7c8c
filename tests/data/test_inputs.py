"""The input tracks of a build: chromosome checks, name mapping, closing on failure."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import ChromosomeNameError, InputFileError

from .conftest import CHROM_SIZES, GEOMETRY, TRACK_CHROMS, TinyBundle, coords_of, write_bigwig_direct

C = GEOMETRY["chunk_length"]


def test_track_lacking_a_chromosome(tiny_bundle: TinyBundle, tmp_path) -> None:
    sizes = {c: CHROM_SIZES[c] for c in TRACK_CHROMS if c != "chr2"}
    write_bigwig_direct(tiny_bundle.tracks["A"], sizes, {c: tiny_bundle.cov["A", c] for c in sizes})
    with pytest.raises(InputFileError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    message = str(info.value)
    assert "A.rep1.bw" in message and "chr2" in message
    assert info.value.hint


def test_chromosome_name_mismatch(tiny_bundle: TinyBundle, tmp_path) -> None:
    sizes = {c.removeprefix("chr"): CHROM_SIZES[c] for c in TRACK_CHROMS}
    values = {c.removeprefix("chr"): tiny_bundle.cov["B", c] for c in TRACK_CHROMS}
    write_bigwig_direct(tiny_bundle.tracks["B"], sizes, values)
    with pytest.raises(ChromosomeNameError) as info:
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert "B.rep1.bw" in str(info.value) and "map_chrom_names" in str(info.value)
    # opting into name mapping reads the same data
    data = tiny_bundle.manifest_data()
    data["map_chrom_names"] = True
    tiny_bundle.write_manifest_data(data)
    mapped = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    arrays = mapped.split("quantitative", "test")
    assert len(arrays) > 0
    for i, (chrom, start) in enumerate(coords_of(arrays)):
        np.testing.assert_array_equal(arrays.cov[i, 1], tiny_bundle.cov["B", chrom][start : start + C])


def test_tracks_opened_before_a_failure_are_closed(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    from benchsuite.io.bigwig import BigWig

    closed: list[str] = []
    original = BigWig.close

    def close(self) -> None:
        closed.append(self.path.name)
        original(self)

    monkeypatch.setattr(BigWig, "close", close)
    # B's replicate-1 track lacks chr2: A's track is open already, B's fails its check
    sizes = {c: CHROM_SIZES[c] for c in TRACK_CHROMS if c != "chr2"}
    write_bigwig_direct(tiny_bundle.tracks["B"], sizes, {c: tiny_bundle.cov["B", c] for c in sizes})
    with pytest.raises(InputFileError, match="chr2"):
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert sorted(closed) == sorted([tiny_bundle.tracks["A"].name, tiny_bundle.tracks["B"].name])


def test_open_inputs_reads_intervals_and_closes(tiny_bundle: TinyBundle) -> None:
    from benchsuite.data.inputs import open_inputs
    from benchsuite.data.manifest import load_manifest

    m = load_manifest(tiny_bundle.root)
    used = {c: CHROM_SIZES[c] for c in TRACK_CHROMS}
    with open_inputs(m, used) as inputs:
        assert [bw.path.name for bw in inputs.tracks] == [tiny_bundle.tracks[t].name for t in ("A", "B")]
        assert inputs.rep2 is not None and len(inputs.rep2) == 2
        assert inputs.track_maps == [{c: c for c in TRACK_CHROMS}] * 2
        assert set(inputs.excluded) == {"chr1", "chr8"}
        assert inputs.peaks is not None and len(inputs.peaks) == 2 and inputs.unavailable == {}
        assert inputs.tracks[0].values("chr1", 0, 10).shape == (10,)
    assert all(bw._bw is None for bw in [*inputs.tracks, *inputs.rep2])
