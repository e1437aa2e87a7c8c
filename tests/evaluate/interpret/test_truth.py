"""truth.json reading and the per-position site classes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchsuite.errors import InputFileError
from benchsuite.evaluate.interpret.truth import FAR_BP, load_truth, site_masks
from tests.evaluate.interpret.world import CHUNK, LENGTH, SITE_OFFSET, World


def test_window_sites_are_relative_and_complete(world: World) -> None:
    truth = load_truth(world.truth_path.parent)
    off = (CHUNK - LENGTH) // 2
    sites = truth.window_sites("chr8", CHUNK + off, LENGTH)
    motif = world.site_rows[1][2]
    width = world.site_rows[1][1] - world.site_rows[1][0]
    np.testing.assert_array_equal(
        sites, [[SITE_OFFSET, SITE_OFFSET + width, truth.grammar.motif_index(motif)]]
    )
    assert truth.window_sites("chrX", 0, LENGTH).shape == (0, 3)
    np.testing.assert_array_equal(truth.near_hits("chr8", CHUNK + off, LENGTH), [SITE_OFFSET + width // 2])


def test_site_masks() -> None:
    sites = np.array([[10, 15, 0], [40, 45, 1], [70, 75, 2]])
    activity = np.array([0.5, 0.0, 0.05])  # active, inactive, neither
    active, inactive, far = site_masks(sites, np.array([100]), activity, 150)
    assert np.flatnonzero(active).tolist() == list(range(10, 15))
    assert np.flatnonzero(inactive).tolist() == list(range(40, 45))
    near = np.zeros(150, bool)
    for s, e in ((10, 15), (40, 45), (70, 75)):
        near[max(s - FAR_BP, 0) : e + FAR_BP] = True
    near[100 - FAR_BP : 100 + FAR_BP + 1] = True
    np.testing.assert_array_equal(far, ~near)


def test_truth_without_sites_is_one_clear_error(world: World, tmp_path: Path) -> None:
    data = json.loads(world.truth_path.read_text())
    del data["sites"]
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputFileError, match="lacks the planted sites or hits") as info:
        load_truth(path)
    assert "benchsuite simulate --force" in (info.value.hint or "")
