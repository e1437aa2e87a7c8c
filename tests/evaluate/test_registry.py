"""The metric registry is the one list of metrics: harness output, board and docs agree with it."""

from __future__ import annotations

import json
from pathlib import Path

from benchsuite.evaluate.registry import (
    METRICS,
    RANKING_METRIC,
    board_metrics,
    headline_metrics,
    higher_is_better,
    metric_spec,
    metrics_markdown,
)
from benchsuite.leaderboard.tables import LOWER_IS_BETTER, MAIN_METRICS, describe_metric

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "regression" / "expected.json"
FAMILY_OF_PREFIX = {
    "wholechrom": "wholechrom",
    "wholechrom_common": "wholechrom",
    "perseq": "perseq",
    "thresholded": "perseq",
    "peak": "peak",
    "peak_genome": "peak_genome",
    "robustness": "robustness",
    "cagi5": "cagi5",
    "motifs": "motifs",
    "interpret": "interpret",
}


def test_docs_metrics_md_is_generated_from_the_registry() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert text == metrics_markdown(), "regenerate: benchsuite list --metrics --markdown > docs/metrics.md"
    for m in METRICS:
        assert f"| `{m.name}` | {m.family} | {m.definition} |" in text


def test_architecture_points_to_the_registry_not_a_copy() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert "metrics.md" in text
    # no second hand-written list of metric definitions that could disagree
    assert "| `wholechrom.pearson` / `.spearman` / `.mse` |" not in text


def test_every_metric_the_harness_produced_is_registered() -> None:
    expected = json.loads(FIXTURE.read_text())
    produced = {name for rec in expected["records"].values() for name in rec["metrics"]}
    assert len(produced) > 20
    for name in produced:
        spec = metric_spec(name)
        assert spec is not None, f"{name} is missing from benchsuite/evaluate/registry.py"
        assert spec.family == FAMILY_OF_PREFIX[name.split(".")[0]]
    # and every registered metric is produced by the harness on the regression cells
    for m in METRICS:
        if m.name.endswith("@{t}"):
            assert any(n.startswith("thresholded.pearson@") for n in produced)
        else:
            assert m.name in produced, f"registered metric {m.name} is never produced"


def test_threshold_names_resolve_and_directions() -> None:
    assert metric_spec("thresholded.pearson@16") is metric_spec("thresholded.pearson@2")
    assert metric_spec("no.such_metric") is None
    assert higher_is_better("wholechrom.pearson")
    assert not higher_is_better("robustness.variation")
    assert not higher_is_better("motifs.mean_best_q")
    assert higher_is_better("no.such_metric")


def test_board_and_summary_read_the_registry() -> None:
    assert board_metrics() == MAIN_METRICS
    assert MAIN_METRICS[0] == RANKING_METRIC == "wholechrom_common.pearson"
    assert "thresholded.pearson@*" in MAIN_METRICS
    assert {m.name for m in METRICS if not m.higher_is_better} == LOWER_IS_BETTER
    for m in METRICS:
        name = m.name.replace("{t}", "2")
        assert describe_metric(name).startswith(m.definition)
    # the board's peak.pearson tooltip describes peak.pearson (across sequences), not perseq
    assert "across peak-centred test chunks" in describe_metric("peak.pearson")
    assert set(headline_metrics()) == {
        "wholechrom_common.pearson",
        "wholechrom.pearson",
        "peak.auroc",
        "cagi5.robust",
        "robustness.variation",
        "motifs.recovery_rate",
    }


def test_registry_entries_are_complete_sentences() -> None:
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for m in METRICS:
        assert m.definition.endswith("."), m.name
        assert m.unit and m.resolution and m.family in FAMILY_OF_PREFIX.values()
