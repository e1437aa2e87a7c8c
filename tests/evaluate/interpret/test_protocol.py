"""The fixed plan of a dataset and the oracle's stored readout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchsuite.evaluate import EvalOptions
from benchsuite.evaluate.interpret import protocol
from benchsuite.evaluate.interpret.truth import load_truth
from tests.evaluate.interpret.world import LENGTH, World

OPTIONS = EvalOptions(
    interpret_sequences=5,
    interpret_ism_sequences=1,
    interpret_ism_span=40,
    interpret_gia_backgrounds=2,
    interpret_distance_step=20,
    interpret_max_distance=40,
)


def test_plan_is_seeded_and_holds_only_windows_with_sites(world: World) -> None:
    truth = load_truth(world.truth_path)
    split = world.cache.split("quantitative", "test")
    a = protocol.make_plan(truth, split, LENGTH, OPTIONS)
    b = protocol.make_plan(truth, split, LENGTH, OPTIONS)
    assert a.key() == b.key()
    assert a.codes.shape == (5, LENGTH) and all(len(s) for s in a.sites)
    assert [p[2] for p in a.pairs] == [True] * len(truth.grammar.coop) + [False]
    assert a.flank_motifs == [m.name for m in truth.grammar.motifs if m.flank is not None]
    assert a.ism_starts[0] <= a.sites[0][0, 0] and a.sites[0][0, 1] <= a.ism_starts[0] + 40


def test_oracle_readout_is_stored_and_read_back(world: World, tmp_path: Path) -> None:
    truth = load_truth(world.truth_path)
    plan = protocol.make_plan(truth, world.cache.split("quantitative", "test"), LENGTH, OPTIONS)
    first = protocol.oracle_readout(truth, plan, tmp_path)
    (stored,) = tmp_path.glob("oracle-*.npz")
    protocol._ORACLE_CACHE.clear()
    again = protocol.oracle_readout(truth, plan, tmp_path)
    np.testing.assert_array_equal(first.ism, again.ism)
    np.testing.assert_array_equal(first.motif_gi, again.motif_gi)
    assert first.curves.keys() == again.curves.keys() and first.flank_gi.keys() == again.flank_gi.keys()
    for k in first.curves:
        np.testing.assert_array_equal(first.curves[k], again.curves[k])
    assert stored.stat().st_size > 0
