"""The threshold peak caller (``peaks: {call: threshold}``): the algorithm, the manifest, a build."""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.data.manifest import load_manifest
from benchsuite.data.peakcall import PEAKCALL_VERSION, PeakCall, call_chrom_peaks, call_peaks
from benchsuite.data.prepare import prepare_dataset
from benchsuite.errors import ManifestError
from benchsuite.io.bigwig import open_bigwig

from .conftest import TinyBundle, expect_manifest_error

NO_SMOOTH = PeakCall(fold=4.0, smooth=1, merge_gap=10, min_width=20)


def _peaks(iv) -> list[tuple[int, int, int]]:
    return list(zip(iv.start.tolist(), iv.end.tolist(), iv.summit.tolist(), strict=True))


def test_threshold_merge_min_width_and_summit():
    x = np.ones(1_000)
    x[100:150] = 10.0  # a peak: 50 bp
    x[120] = 12.0  # its summit
    x[155:180] = 8.0  # 5 bp later: merged into the first
    x[400:410] = 10.0  # 10 bp: shorter than min_width, dropped
    x[600:640] = 5.0  # 5 x the median (1): a peak
    assert _peaks(call_chrom_peaks(x, NO_SMOOTH)) == [(100, 180, 120), (600, 640, 600)]


def test_missing_data_is_never_a_peak_and_the_median_ignores_it():
    x = np.full(1_000, np.nan)
    x[:500] = 1.0
    x[200:260] = 6.0
    assert _peaks(call_chrom_peaks(x, NO_SMOOTH)) == [(200, 260, 200)]
    assert _peaks(call_chrom_peaks(np.full(50, np.nan), NO_SMOOTH)) == []


def test_sparse_track_uses_the_median_of_positive_values():
    x = np.zeros(1_000)
    x[::10] = 1.0  # median of the track 0, of the positive values 1
    x[300:340] = 5.0
    assert _peaks(call_chrom_peaks(x, NO_SMOOTH)) == [(300, 340, 300)]
    assert _peaks(call_chrom_peaks(np.zeros(100), NO_SMOOTH)) == []


def test_smoothing_is_a_centred_mean():
    x = np.zeros(200)
    x[100] = 1.0
    x[::50] += 0.01
    called = call_chrom_peaks(x, PeakCall(fold=4.0, smooth=5, merge_gap=0, min_width=5))
    assert _peaks(called) == [(98, 103, 98)]  # the 5 positions whose window holds base 100


def _call(bundle: TinyBundle, peaks: object) -> None:
    data = bundle.manifest_data()
    data["targets"][1]["peaks"] = peaks
    bundle.write_manifest_data(data)


CALL = {"call": "threshold", "fold": 4, "smooth": 16, "merge_gap": 16, "min_width": 30}


def test_called_peaks_label_the_binary_dataset(tiny_bundle: TinyBundle, tmp_path) -> None:
    _call(tiny_bundle, CALL)
    manifest = load_manifest(tiny_bundle.root)
    target = manifest.targets[1]
    assert target.peaks is None and target.peak_call == PeakCall("threshold", 4.0, 16, 16, 30)
    assert manifest.label_target_names == ("A", "B")
    cache = prepare_dataset(manifest, cache_dir=tmp_path / "cache", progress=False)
    expected = {"method": "threshold", "fold": 4.0, "smooth": 16, "merge_gap": 16, "min_width": 30}
    assert cache.meta["peak_call"] == {"B": {**expected, "version": 1}}
    assert cache.meta["kinds"]["binary"]["test"]["positives"]["B"] > 0
    # the planted strong peaks of B (height 3-10) are found: every one overlaps a called peak
    with open_bigwig(tiny_bundle.tracks["B"]) as bw:
        sizes = {"chr8": bw.chrom_sizes["chr8"]}
        called = call_peaks(bw, {"chr8": "chr8"}, sizes, target.peak_call)["chr8"]
    planted = [p for p in tiny_bundle.peak_intervals["B"] if p[0] == "chr8"]
    strong = [(s, e) for i, (_, s, e, _) in enumerate(planted) if (i + 1) % 3]
    found = [bool(((called.start < e) & (called.end > s)).any()) for s, e in strong]
    assert len(strong) > 10 and all(found)


def test_caller_parameters_are_in_the_fingerprint(tiny_bundle: TinyBundle, tmp_path) -> None:
    _call(tiny_bundle, CALL)
    first = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False)
    _call(tiny_bundle, {**CALL, "fold": 5})
    second = prepare_dataset(tiny_bundle.root, cache_dir=tmp_path / "cache", progress=False)
    assert first.fingerprint != second.fingerprint
    assert PEAKCALL_VERSION == 1


@pytest.mark.parametrize(
    ("peaks", "drop_track", "fragments"),
    [
        ({"call": "macs2"}, False, ("targets[1].peaks.call", "unknown peak caller 'macs2'")),
        ({"call": "threshold", "fold": 0}, False, ("targets[1].peaks.fold", "expected a number > 0")),
        ({"call": "threshold", "smooth": 0}, False, ("targets[1].peaks.smooth",)),
        ({"call": "threshold", "k": 2}, False, ("targets[1].peaks", "k")),
        ({"call": "threshold"}, True, ("targets[1].peaks.call", "peak calling needs the target's")),
    ],
)
def test_bad_peak_call(tiny_bundle: TinyBundle, peaks, drop_track, fragments) -> None:
    data = tiny_bundle.manifest_data()
    data["targets"][1]["peaks"] = peaks
    if drop_track:
        data["targets"][1].pop("track")
        data["targets"][1].pop("replicate2")
    tiny_bundle.write_manifest_data(data)
    error = expect_manifest_error(tiny_bundle, *fragments)
    assert isinstance(error, ManifestError)
