"""The interpret family end to end on a tiny simulated world (oracle ceiling, chance, NA)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from benchsuite.evaluate import EvalOptions, OraclePredictor, TorchPredictor
from benchsuite.evaluate.families.interpret import NO_TRUTH, NOT_DIFFERENTIABLE, Interpret
from benchsuite.evaluate.harness import run_families
from benchsuite.evaluate.interpret import protocol
from benchsuite.evaluate.interpret.attributions import corrected_saliency, position_magnitude
from benchsuite.evaluate.interpret.outputs import torch_scalar
from benchsuite.evaluate.interpret.truth import load_truth, site_masks
from benchsuite.evaluate.result import EvalResult
from benchsuite.evaluate.sources import PredictorSource
from benchsuite.io.onehot import one_hot
from benchsuite.simulate.oracle import Oracle
from tests.evaluate.interpret.world import LENGTH, World

OPTIONS = EvalOptions(
    interpret_sequences=12,
    interpret_ism_sequences=2,
    interpret_ism_span=72,
    interpret_gia_backgrounds=3,
    interpret_distance_step=10,
    interpret_max_distance=60,
    bootstrap=50,
)


def _run(world: World, predictor, model=None, manifest=None) -> EvalResult:
    source = PredictorSource(predictor, 2)
    return run_families(
        source, world.cache, manifest or world.manifest, OPTIONS, model=model, families=[Interpret()]
    )


class _Task:
    kind, input_length, num_targets, bin_size = "quantitative", LENGTH, 2, 32
    target_names = ("celltype_A", "celltype_B")


def _random_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv1d(4, 8, 9, padding=4),
        torch.nn.Softplus(),
        torch.nn.Conv1d(8, 2, 1),
        torch.nn.Softplus(),
        torch.nn.AvgPool1d(32),
    )


def test_the_oracle_scores_the_ceiling(world: World) -> None:
    res = _run(world, OraclePredictor(world.oracle, LENGTH, 32, target_names=world.cache.target_names))
    for name in (
        "interpret.ism_pearson",
        "interpret.gia_spearman",
        "interpret.coop_spearman",
        "interpret.flank_spearman",
    ):
        assert res.mean(name) == pytest.approx(1.0), name
    assert res.mean("interpret.coop_distance_error") == 0.0
    assert res.mean("interpret.ism_auroc") > 0.9
    assert res.not_applicable["interpret.saliency_auroc"] == NOT_DIFFERENTIABLE
    assert "ci95" in res.metrics["interpret.ism_pearson"]
    assert res.tables["interpret"]["n_windows"] == 12


def test_random_weights_score_near_chance_and_match_sklearn(world: World) -> None:
    model = _random_model(0)
    res = _run(world, TorchPredictor(model, _Task(), name="random"), model=model)
    assert abs(res.mean("interpret.saliency_auroc") - 0.5) < 0.2
    # direct recomputation with sklearn on the same windows
    truth = load_truth(world.truth_path)
    plan = protocol.make_plan(truth, world.cache.split("quantitative", "test"), LENGTH, OPTIONS)
    x = one_hot(plan.codes)
    mag = position_magnitude(corrected_saliency(torch_scalar(model, "quantitative"), x), x)
    for t, cell in enumerate(world.cache.target_names):
        values = []
        for i in range(len(plan.codes)):
            hits = truth.near_hits(plan.chroms[i], int(plan.starts[i]), LENGTH)
            active, _, far = site_masks(plan.sites[i], hits, truth.activity(cell), LENGTH)
            if active.any():
                keep = active | far
                values.append(roc_auc_score(active[keep], mag[i, t][keep]))
        assert res.metrics["interpret.saliency_auroc"]["per_target"][cell] == pytest.approx(
            np.mean(values), abs=1e-9
        )


def test_a_model_that_ignores_a_cooperative_pair_shows_no_interaction_for_it(world: World) -> None:
    grammar = world.oracle.grammar
    dropped = grammar.coop[0]
    additive = Oracle(dataclasses.replace(grammar, coop=grammar.coop[1:]), world.oracle.params)
    res = _run(world, OraclePredictor(additive, LENGTH, 32, target_names=world.cache.target_names))
    rows = [
        r for r in res.tables["interpret"]["pairs"] if (r["a"], r["b"]) == (dropped.motif_a, dropped.motif_b)
    ]
    assert rows
    for row in rows:
        assert row["strength"] < 0.01
        assert max(np.abs(row["oracle"])) > 0.1  # the truth has an interaction there


def test_no_truth_is_not_applicable_with_the_reason(world: World) -> None:
    manifest = dataclasses.replace(world.manifest, truth=None)
    res = _run(
        world,
        OraclePredictor(world.oracle, LENGTH, 32, target_names=world.cache.target_names),
        manifest=manifest,
    )
    assert res.not_applicable["interpret"] == (
        f"{NO_TRUTH}; attribution seqlets: no torch model: seqlets need gradient attributions"
    )
    assert not any(k.startswith("interpret.") for k in res.metrics)
    assert "interpret" in res.timings


def test_disabled_by_option(world: World) -> None:
    source = PredictorSource(
        OraclePredictor(world.oracle, LENGTH, 32, target_names=world.cache.target_names), 2
    )
    res = run_families(
        source, world.cache, world.manifest, EvalOptions(interpret=False), families=[Interpret()]
    )
    assert res.not_applicable["interpret"] == "disabled by the interpret option"


def test_figure_data_is_written_and_no_png_when_an_output_folder_is_given(
    world: World, tmp_path: Path
) -> None:
    from benchsuite.evaluate.figures_render import render_cell_figures

    model = _random_model(1)
    source = PredictorSource(TorchPredictor(model, _Task(), name="random"), 2)
    res = run_families(
        source, world.cache, world.manifest, OPTIONS, model=model, out_dir=tmp_path, families=[Interpret()]
    )
    folder = tmp_path / "interpret"
    assert res.figures == {
        "interpret.pairs": str(folder / "pairs.json"),
        "interpret.attribution": str(folder / "attribution.json"),
    }
    assert sorted(p.name for p in folder.iterdir()) == ["attribution.json", "attribution.npz", "pairs.json"]
    table = res.tables["interpret"]
    pairs = json.loads((folder / "pairs.json").read_text(encoding="utf-8"))["curves"]
    assert [(c["a"], c["b"], c["model"]) for c in pairs] == [
        (r["a"], r["b"], r["model"]) for r in table["pairs"]
    ]
    attribution = json.loads((folder / "attribution.json").read_text(encoding="utf-8"))
    with np.load(folder / "attribution.npz") as data:
        maps = data["maps"]
    # saliency x input, the model's ISM and the oracle's ISM over the first ISM window
    assert maps.shape == (3, table["ism_span"], 4) and len(attribution["titles"]) == 3
    assert attribution["titles"][0].startswith("random: corrected saliency x input")
    assert attribution["titles"][2].startswith("oracle: ISM")
    assert ((maps != 0).sum(axis=2) <= 1).all()  # one base per position (the observed one)
    written = render_cell_figures(tmp_path)
    assert sorted(written) == ["interpret.attribution", "interpret.pairs"]
    for path in written.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_attribution_logos_shade_only_the_sites_in_view(tmp_path: Path) -> None:
    from benchsuite.evaluate.figures import plot_attribution_logos

    values = np.zeros((10, 4))
    values[np.arange(10), np.arange(10) % 4] = np.linspace(-1, 1, 10)
    path = plot_attribution_logos(
        [values], ["m"], [(0, 3, "gone"), (25, 28, "in")], tmp_path / "a.png", start=20
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="1 maps but 2 titles"):
        plot_attribution_logos([values], ["a", "b"], [], tmp_path / "b.png")


def _fake_tomtom(ppms, motifs):  # noqa: ANN001, ANN202 - stands in for memelite (no numba compile)
    """p = 1e-6 when the seqlet's consensus holds the motif's consensus, else 0.5."""
    p = np.full((len(ppms), len(motifs)), 0.5)
    for i, q in enumerate(ppms):
        seq = "".join("ACGT"[b] for b in np.asarray(q).argmax(axis=1))
        for j, m in enumerate(motifs):
            if "".join("ACGT"[b] for b in m.ppm.argmax(axis=1)) in seq:
                p[i, j] = 1e-6
    return p


def test_without_truth_seqlets_are_matched_to_the_database(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchsuite.io.meme import Motif, write_meme

    monkeypatch.setattr("benchsuite.evaluate.motifs.tomtom.tomtom_pvalues", _fake_tomtom)
    database = write_meme(tmp_path / "db.meme", [Motif(m.name, m.ppm) for m in world.oracle.grammar.motifs])
    manifest = dataclasses.replace(world.manifest, truth=None, motifs=database, simulator={"profile": "x"})
    model = _random_model(2)
    res = _run(world, TorchPredictor(model, _Task(), name="random"), model=model, manifest=manifest)
    assert res.not_applicable["interpret.saliency_auroc"] == NO_TRUTH
    assert res.not_applicable["interpret.gia_spearman"] == NO_TRUTH
    rate = res.metrics["interpret.seqlet_match_rate"]["per_target"]
    table = res.tables["interpret_seqlets"]
    for cell in world.cache.target_names:
        assert rate[cell] == pytest.approx(sum(table["matches"][cell].values()) / table["k"])
    assert 0.0 <= res.mean("interpret.seqlet_recovery") <= 1.0
    assert set(table["best"]) == set(world.cache.target_names)
