"""Building blocks of the tracks: pileup, peak calling, streaming Pearson, chunk maxima."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benchsuite.simulate.tracks import _draw_cuts, _pileup, call_peaks, chunk_max, pearson_streaming


def test_pileup_is_a_box_sum() -> None:
    cuts = np.random.default_rng(0).poisson(0.3, size=5000).astype(np.int32)
    got = _pileup(cuts, 150)
    # count of cuts y with x - 75 <= y < x + 75
    expected = np.convolve(cuts, np.ones(150, dtype=np.int64), mode="full")[74 : 74 + 5000]
    np.testing.assert_array_equal(got, expected)


def test_binned_cuts_keep_the_rate() -> None:
    rate = np.full(200_000, 0.05)
    cuts = _draw_cuts(rate, 10, np.random.default_rng(1))
    assert cuts.sum() == pytest.approx(rate.sum(), rel=0.03)
    assert np.all(cuts[np.arange(200_000) % 10 != 5] == 0)  # cuts sit at bin centres


def test_call_peaks_finds_a_planted_peak_with_correct_statistics() -> None:
    rng = np.random.default_rng(2)
    n = 60_000
    counts = rng.poisson(10, size=n).astype(np.int32)
    counts[30_000:30_300] = rng.poisson(60, size=300)
    gaps = np.zeros(n, dtype=bool)
    gaps[50_000:52_000] = True
    counts[gaps] = 0
    peaks = call_peaks({"chrA": counts}, {"chrA": gaps}, "cell")
    assert len(peaks) == 1
    s, e = int(peaks.start[0]), int(peaks.end[0])
    assert abs(s - 30_000) <= 20 and abs(e - 30_300) <= 20
    summit = s + int(peaks.peak[0])
    assert counts[summit] == counts[s:e].max()
    assert peaks.name[0] == "cell_peak_1" and peaks.strand[0] == "."
    # independent p-value: Poisson upper tail at the summit against the local lambda
    valid = ~gaps
    lam = max(
        counts[valid].mean(),
        *(
            counts[max(0, summit - w // 2) : summit + w // 2 + 1][
                valid[max(0, summit - w // 2) : summit + w // 2 + 1]
            ].mean()
            for w in (5001, 10001)
        ),
    )
    expected_p = -np.log10(stats.poisson.sf(counts[summit] - 1, lam))
    assert peaks.pvalue[0] == pytest.approx(expected_p, rel=1e-3)
    assert peaks.signal[0] == pytest.approx(counts[summit] / lam, rel=1e-3)
    assert 2.0 <= peaks.qvalue[0] <= peaks.pvalue[0]
    # background alone gives no peak
    assert len(call_peaks({"chrA": rng.poisson(10, size=n).astype(np.int32)}, {"chrA": gaps}, "x")) == 0


def test_pearson_streaming_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=10_000)
    y = 0.7 * x + rng.normal(size=10_000)
    x[::97] = np.nan
    y[::89] = np.nan
    acc = pearson_streaming()
    for i in range(0, 10_000, 1234):
        acc.add(x[i : i + 1234], y[i : i + 1234])
    ok = ~(np.isnan(x) | np.isnan(y))
    assert acc.value == pytest.approx(np.corrcoef(x[ok], y[ok])[0, 1], rel=1e-9)
    assert np.isnan(pearson_streaming().value)


def test_chunk_max() -> None:
    v = np.arange(10, dtype=np.float32)
    v[7] = np.nan
    out = chunk_max(v, 3)
    assert out.shape == (3,)
    assert out[0] == 2 and out[1] == 5 and np.isnan(out[2])
