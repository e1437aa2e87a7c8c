"""Motif recovery with decoys: the decoy match rate, and a simulated bundle's database.

The tests that run Tomtom (numba compile on first use) are in the slow tier; the others replace
Tomtom's p-values with fixed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from benchsuite.evaluate.motifs import motif_recovery
from benchsuite.io.meme import Motif, read_meme, write_meme
from benchsuite.simulate.decoys import N_DECOYS, is_decoy, write_motif_database
from benchsuite.simulate.grammar import make_grammar
from tests.evaluate.conftest_motifs import SmallConvNet, embed_motifs, random_motifs, set_log_odds_filters

# ----------------------------------------------------------------------------------------------
# the decoy match rate (Tomtom replaced by fixed p-values: fast tier)


def _decoy_database(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    planted = random_motifs(rng, 2, "P")
    decoys = [Motif(f"DECOY_00{i + 1}", m.ppm, "decoy") for i, m in enumerate(random_motifs(rng, 2, "D"))]
    return write_meme(tmp_path / "db.meme", planted + decoys)


def test_decoy_match_rate_counts_best_matches_below_threshold(monkeypatch, tmp_path):
    # database P0, P1, DECOY_001, DECOY_002; q = BH over the 4 motifs of each filter
    p = np.array(
        [
            [1e-6, 0.5, 0.5, 0.5],  # filter 0: best P0 (q 4e-6)
            [0.5, 1e-4, 1e-6, 0.5],  # filter 1: best DECOY_001 (q 4e-6), also matches P1 (q 2e-4)
            [0.6, 0.6, 0.6, 0.2],  # filter 2: best DECOY_002 but q = 0.8: no match, not a decoy hit
            [1.0, 1.0, 1.0, 1.0],  # filter 3: nothing
        ]
    )
    monkeypatch.setattr("benchsuite.evaluate.motifs.recovery.tomtom_pvalues", lambda ppms, motifs: p)
    torch.manual_seed(0)
    codes = np.random.default_rng(0).integers(0, 4, size=(20, 60), dtype=np.uint8)
    database = _decoy_database(tmp_path)
    result = motif_recovery(
        SmallConvNet(4), None, codes, database, ground_truth=["P0", "P1"], decoys=["DECOY_001", "DECOY_002"]
    )
    assert [m["best_motif"] for m in result.matches[:3]] == ["P0", "DECOY_001", "DECOY_002"]
    assert [m["decoy"] for m in result.matches] == [False, True, False, False]
    assert result.hit_ratio == 0.5 and result.decoy_match_rate == 0.25
    assert result.recovered == ["P0", "P1"] and result.recovery_rate == 1.0
    # decoys matched by alternative name; without decoys named there is no rate
    by_alt = motif_recovery(SmallConvNet(4), None, codes, database, decoys=["decoy"])
    assert by_alt.decoy_match_rate == 0.25
    assert motif_recovery(SmallConvNet(4), None, codes, database).decoy_match_rate is None


def test_family_splits_planted_and_decoys(tmp_path):
    from types import SimpleNamespace

    from benchsuite.evaluate.families.motifs import decoy_motifs, ground_truth_motifs

    database = _decoy_database(tmp_path)
    simulated = SimpleNamespace(simulator={"seed": 0}, motifs=database)
    assert ground_truth_motifs(simulated) == ["P0", "P1"]
    assert decoy_motifs(simulated) == (["DECOY_001", "DECOY_002"], "")
    old = SimpleNamespace(
        simulator={"seed": 0}, motifs=write_meme(tmp_path / "old.meme", read_meme(database)[:2])
    )
    decoys, reason = decoy_motifs(old)
    assert decoys is None and "no decoy motifs" in reason
    real = SimpleNamespace(simulator=None, motifs=tmp_path / "jaspar.meme")
    decoys, reason = decoy_motifs(real)
    assert decoys is None and reason.startswith("real data has no decoy motifs")
    assert ground_truth_motifs(real) is None


def test_family_reports_decoy_match_rate(monkeypatch, small_cache, tmp_path):
    from benchsuite.evaluate.harness import EvalOptions, evaluate_model
    from benchsuite.evaluate.motifs.recovery import MotifResult
    from benchsuite.plugins.spec import TaskSpec
    from tests.evaluate.conftest import FakeManifest
    from tests.evaluate.toys import ConvCoverage

    seen: dict = {}

    def fake_recovery(model, first_layer, codes, database, **kwargs):
        seen.update(kwargs)
        rate = None if kwargs.get("decoys") is None else 0.125
        return MotifResult(0.5, 0.01, 0.75 if kwargs["ground_truth"] else None, 8, decoy_match_rate=rate)

    monkeypatch.setattr("benchsuite.evaluate.motifs.motif_recovery", fake_recovery)
    options = EvalOptions(batch_size=16, robustness_max_sequences=4, spearman="off")
    task = TaskSpec("quantitative", 256, 3, 8)
    names = small_cache.target_names
    sim = FakeManifest(
        "sim", small_cache.geometry, names, motifs=_decoy_database(tmp_path), simulator={"seed": 0}
    )
    res = evaluate_model(ConvCoverage(3, 8), task, small_cache, sim, options=options)
    assert seen["decoys"] == ["DECOY_001", "DECOY_002"] and seen["ground_truth"] == ["P0", "P1"]
    assert res.metrics["motifs.decoy_match_rate"]["mean"] == 0.125
    assert res.tables["motifs"]["n_decoys"] == 2
    seen.clear()
    real = FakeManifest("real", small_cache.geometry, names, motifs=tmp_path / "jaspar.meme")
    res = evaluate_model(ConvCoverage(3, 8), task, small_cache, real, options=options)
    assert "decoys" not in seen and "motifs.decoy_match_rate" not in res.metrics
    assert res.not_applicable["motifs.decoy_match_rate"].startswith("real data has no decoy motifs")


# ----------------------------------------------------------------------------------------------
# the simulator's decoys (Tomtom: slow tier)


@dataclass
class DecoyWorld:
    planted: list[Motif]
    decoys: list[Motif]
    database: Path


@pytest.fixture(scope="module")
def decoy_world(tmp_path_factory: pytest.TempPathFactory) -> DecoyWorld:
    """The simulator's planted motifs and decoys (as ``benchsuite simulate`` writes them)."""
    grammar = make_grammar(3, np.random.default_rng([0, 1]))
    planted = [Motif(m.name, m.ppm, alt_name=m.description.replace(" ", "_")) for m in grammar.motifs]
    database = tmp_path_factory.mktemp("decoys") / "motifs.meme"
    decoys = write_motif_database(database, planted, np.random.default_rng([0, 7])).motifs
    return DecoyWorld(planted=planted, decoys=decoys, database=database)


def _recovery(motifs: list[Motif], world: DecoyWorld, n_seqs: int, per_seq: int):
    torch.set_num_threads(1)
    width = max(m.width for m in motifs) | 1  # odd: symmetric 'same' padding
    model = SmallConvNet(len(motifs), width=width)
    set_log_odds_filters(model.conv1, motifs)
    codes = embed_motifs(np.random.default_rng(4), motifs, n_seqs, 200, per_seq=per_seq)
    database = read_meme(world.database)
    return motif_recovery(
        model,
        "act",
        codes,
        world.database,
        ground_truth=[m.name for m in database if not is_decoy(m)],
        decoys=[m.name for m in database if is_decoy(m)],
        max_sequences=None,
    )


@pytest.mark.slow
def test_planted_filters_recover_planted_motifs_and_no_decoy(decoy_world):
    result = _recovery(decoy_world.planted, decoy_world, 400, 2)
    assert result.recovery_rate >= 0.9 and result.hit_ratio >= 0.9
    assert result.decoy_match_rate == 0.0
    names = [m.name for m in decoy_world.planted]
    assert sum(m["best_motif"] == n for m, n in zip(result.matches, names, strict=True)) >= 9
    assert not any(m["decoy"] for m in result.matches)


@pytest.mark.slow
def test_decoy_filters_recover_no_planted_motif(decoy_world):
    assert len(decoy_world.decoys) == N_DECOYS
    result = _recovery(decoy_world.decoys, decoy_world, 1500, 4)
    assert result.recovery_rate == 0.0 and result.recovered == []
    assert result.decoy_match_rate == 1.0 and result.hit_ratio == 1.0
    assert all(m["decoy"] and m["best_motif"].startswith("DECOY_") for m in result.matches)
    # most filters find their own decoy first
    names = [m.name for m in decoy_world.decoys]
    assert np.mean([m["best_motif"] == n for m, n in zip(result.matches, names, strict=True)]) > 0.9
