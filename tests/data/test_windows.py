"""Window selection: peak-centred windows by hand, the position hash of the negatives."""

from __future__ import annotations

import numpy as np

from benchsuite.data.prepare import merge_peak_windows
from benchsuite.data.windows import position_uniform


def test_merge_peak_windows_by_hand() -> None:
    starts, dropped = merge_peak_windows(np.array([1090, 1000, 1050, 2000]), 10_000, 300, 200)
    assert starts.tolist() == [1045 - 150, 2000 - 150]
    assert dropped == {"edge": 0, "overlap": 0}
    # 50: the centred window would start at -100; shifted to 0, 50 is still central (50..250)
    # 1150: the previous window ends at 1150, so 1150 can only lie in a flank -> overlap
    # 9990: a window ending at the chromosome end has its central part at 9750..9950 -> edge
    starts, dropped = merge_peak_windows(np.array([50, 1000, 1150, 9990]), 10_000, 300, 200)
    assert starts.tolist() == [0, 850]
    assert dropped == {"edge": 1, "overlap": 1}
    # 1000 -> window 850..1150 (central 900..1100); 1120 lies in its flank -> overlap;
    # 1250 -> centred at 1100 would overlap, shifted right to 1150 (central 1200..1400) it fits
    starts, dropped = merge_peak_windows(np.array([1000, 1120, 1250]), 10_000, 300, 200)
    assert starts.tolist() == [850, 1150]
    assert dropped == {"edge": 0, "overlap": 1}


def test_position_uniform_is_uniform_and_deterministic() -> None:
    u = position_uniform("chr1", np.arange(0, 3_000_000, 300))
    assert ((u >= 0) & (u < 1)).all()
    assert abs(u.mean() - 0.5) < 0.01 and abs((u < 0.25).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(u, position_uniform("chr1", np.arange(0, 3_000_000, 300)))
    assert not np.array_equal(u, position_uniform("chr2", np.arange(0, 3_000_000, 300)))
