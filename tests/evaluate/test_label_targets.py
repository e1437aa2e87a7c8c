"""Task conversion when the binary (label) targets differ from the coverage targets.

The toy cache's coverage targets are cellA, cellB, cellC; here its peak-centered labels are
replaced by label targets that differ: ``cellA`` plus a label-only ``ker`` (paired and
cell-type-agnostic conversions), or ``cellA, cellC`` (every label target has coverage). Every
expected value is recomputed directly with scipy/sklearn.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.errors import ConfigError
from benchsuite.evaluate.conversion import AGNOSTIC_TARGET, TargetAlignment
from benchsuite.evaluate.families.motifs import mean_information_content, motif_exclusions
from benchsuite.evaluate.harness import EvalOptions, evaluate_model
from benchsuite.io.meme import Motif, write_meme
from benchsuite.plugins.spec import TaskSpec
from tests.evaluate.conftest import TARGETS, FakeManifest, make_toy_cache
from tests.evaluate.test_harness import _FakeMotifResult, _predict
from tests.evaluate.toys import ConvBinary, ConvCoverage

OPTIONS = EvalOptions(batch_size=16, robustness_max_sequences=12, spearman="off")
OFF = (384 - 256) // 2


def _relabelled(label_names: tuple[str, ...]):
    """The toy cache with binary/test labels for ``label_names`` (cell targets keep theirs)."""
    cache = make_toy_cache(0)
    for kind, off in (("binary", OFF), ("wholechrom", 0)):  # peak chunks and whole-chromosome tiles
        b = cache.splits[(kind, "test")]
        columns = []
        for name in label_names:
            if name in TARGETS:
                columns.append(b.labels[:, TARGETS.index(name)])
            else:  # a label-only target: windows whose mean coverage over all targets is high
                mean_cov = b.cov[:, :, off : off + 256].mean(axis=(1, 2))
                columns.append((mean_cov > np.quantile(mean_cov, 0.7)).astype(np.uint8))
        cache.splits[(kind, "test")] = dataclasses.replace(b, labels=np.stack(columns, axis=1))
    cache.label_target_names = label_names  # type: ignore[attr-defined]
    return cache


@pytest.fixture(scope="module")
def ker_cache():
    return _relabelled(("cellA", "ker"))


@pytest.fixture(scope="module")
def manifest(ker_cache):
    return FakeManifest(name="toy", geometry=ker_cache.geometry, target_names=TARGETS)


def test_alignment_rules():
    same = TargetAlignment("quantitative", ("a", "b"), ("a", "b"))
    assert same.same and same.notes() == [] and same.coverage_names == ("a", "b")
    assert TargetAlignment("binary", ("a", "b"), ()).same  # no labels: nothing to convert
    q = TargetAlignment("quantitative", ("a", "b"), ("b", "k"))
    scores = np.array([[1.0, 3.0], [5.0, 7.0]])
    np.testing.assert_allclose(q.label_scores(scores), [[3.0, 2.0], [7.0, 6.0]])
    labels = np.array([[1, 0], [0, 1], [0, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(q.coverage_labels(labels), [[1, 1], [1, 0], [0, 0]])
    assert "k" in q.notes()[0] and "cell-type agnostic" in q.notes()[0]
    b = TargetAlignment("binary", ("a", "b"), ("b", "k"))
    assert b.coverage_names == (AGNOSTIC_TARGET,) and not b.paired
    np.testing.assert_allclose(b.coverage_pred(np.array([[1.0, 3.0]])), [[2.0]])
    cov = np.arange(12, dtype=np.float32).reshape(1, 2, 6)
    np.testing.assert_allclose(b.coverage_true(cov), cov.mean(axis=1, keepdims=True))
    p = TargetAlignment("binary", ("a", "b", "c"), ("c", "a"))
    assert p.paired and p.coverage_names == ("c", "a")
    np.testing.assert_array_equal(p.coverage_true(np.arange(3).reshape(1, 3, 1)), [[[2], [0]]])


def test_quantitative_model_with_a_label_only_target(ker_cache, manifest):
    model = ConvCoverage(3, 8).eval()
    task = TaskSpec("quantitative", 256, 3, 8, TARGETS)
    res = evaluate_model(model, task, ker_cache, manifest, options=OPTIONS)
    same = evaluate_model(model, task, make_toy_cache(0), manifest, options=OPTIONS)
    b = ker_cache.split("binary", "test")
    score = _predict(model, b.seq[:, OFF : OFF + 256]).mean(axis=2)  # (N, 3)
    expected = {"cellA": score[:, 0], "ker": score.mean(axis=1)}
    for k, name in enumerate(("cellA", "ker")):
        y = b.labels[:, k]
        assert 0 < y.sum() < y.size
        got = res.metrics["peak.auroc"]["per_target"]
        assert got[name] == pytest.approx(roc_auc_score(y, expected[name]), abs=1e-6)
        aupr = average_precision_score(y, expected[name])
        assert res.metrics["peak.aupr"]["per_target"][name] == pytest.approx(aupr, abs=1e-6)
    assert set(res.metrics["peak.auroc"]["per_target"]) == {"cellA", "ker"}
    # coverage metrics stay per coverage target and equal those of the same-target dataset
    for metric in ("wholechrom.pearson", "perseq.pearson", "peak.pearson", "peak.pearson_perseq"):
        assert res.metrics[metric] == same.metrics[metric]
    assert set(res.metrics["robustness.variation"]["per_target"]) == set(TARGETS)
    assert res.tables["task_conversion"]["label_targets"] == ["cellA", "ker"]
    assert "ker" in res.not_applicable["task_conversion"]
    assert "task_conversion" not in same.tables and "task_conversion" not in same.not_applicable


def test_binary_model_with_a_label_only_target(ker_cache, manifest):
    model = ConvBinary(2).eval()
    res = evaluate_model(
        model, TaskSpec("binary", 256, 2, 1, ("cellA", "ker")), ker_cache, manifest, options=OPTIONS
    )
    w = ker_cache.split("wholechrom", "test")
    logit = _predict(model, w.seq).mean(axis=1)  # mean over the label targets
    true = w.cov.astype(np.float64).mean(axis=(1, 2))  # mean coverage over targets and the tile
    r = stats.pearsonr(logit, true)[0]
    assert res.metrics["wholechrom.pearson"]["per_target"] == {AGNOSTIC_TARGET: pytest.approx(r, abs=1e-6)}
    yc = w.cov.astype(np.float64).mean(axis=1)
    yc = yc.reshape(yc.shape[0], 8, 32).mean(axis=2).ravel()
    rc = stats.pearsonr(np.repeat(logit, 8), yc)[0]
    assert res.metrics["wholechrom_common.pearson"]["mean"] == pytest.approx(rc, abs=1e-6)
    b = ker_cache.split("binary", "test")
    blog = _predict(model, b.seq[:, OFF : OFF + 256])
    for k, name in enumerate(("cellA", "ker")):
        auroc = roc_auc_score(b.labels[:, k], blog[:, k])
        assert res.metrics["peak.auroc"]["per_target"][name] == pytest.approx(auroc, abs=1e-6)
    mean_cov = b.cov[:, :, OFF : OFF + 256].astype(np.float64).mean(axis=(1, 2))
    pr = stats.pearsonr(blog.mean(axis=1), mean_cov)[0]
    assert res.metrics["peak.pearson"]["per_target"] == {AGNOSTIC_TARGET: pytest.approx(pr, abs=1e-6)}
    assert "mean logit" in res.not_applicable["task_conversion"]
    # the binary model must predict the label targets
    with pytest.raises(ConfigError, match="label targets"):
        evaluate_model(ConvBinary(3), TaskSpec("binary", 256, 3), ker_cache, manifest, options=OPTIONS)


def test_binary_model_paired_with_coverage_targets(manifest):
    cache = _relabelled(("cellA", "cellC"))
    model = ConvBinary(2).eval()
    res = evaluate_model(model, TaskSpec("binary", 256, 2), cache, manifest, options=OPTIONS)
    w = cache.split("wholechrom", "test")
    logits = _predict(model, w.seq)
    for k, (name, t) in enumerate((("cellA", 0), ("cellC", 2))):
        r = stats.pearsonr(logits[:, k], w.cov[:, t].astype(np.float64).mean(axis=1))[0]
        assert res.metrics["wholechrom.pearson"]["per_target"][name] == pytest.approx(r, abs=1e-6)
    assert set(res.metrics["wholechrom.pearson"]["per_target"]) == {"cellA", "cellC"}
    assert "same target's coverage" in res.not_applicable["task_conversion"]


# ----------------------------------------------------------------------------- motif exclusions


def _meme(path, names, low=()):
    """Motifs with a strong consensus (2 bits - a little), ``low`` ones nearly uniform."""
    sharp = np.full((8, 4), 0.01)
    sharp[np.arange(8), np.arange(8) % 4] = 0.97
    flat = np.full((20, 4), 0.22)
    flat[np.arange(20), np.arange(20) % 4] = 0.34
    return write_meme(path, [Motif(n, flat if n in low else sharp, alt_name="X") for n in names])


def test_motif_exclusions(tmp_path, ker_cache):
    jaspar = _meme(
        tmp_path / "jaspar.meme", ["MA0139.2", "MA1929.2", "MA0615.2", "MA1978.2"], low=["MA1978.2"]
    )
    other = _meme(tmp_path / "other.meme", ["AP1", "CTCF"], low=["CTCF"])
    geo = ker_cache.geometry
    assert mean_information_content(np.full((5, 4), 0.25)) == pytest.approx(0.0)
    assert mean_information_content(np.eye(4)) == pytest.approx(2.0, abs=1e-6)
    # the paper's two (any version) plus the low-information matrix
    assert motif_exclusions(FakeManifest("r", geo, TARGETS, motifs=jaspar)) == (
        "MA1929.1",
        "MA0615.1",
        "MA1978.2",
    )
    assert motif_exclusions(FakeManifest("r", geo, TARGETS, motifs=other)) == ()
    assert motif_exclusions(FakeManifest("s", geo, TARGETS, motifs=jaspar, simulator={"seed": 0})) == ()
    explicit = FakeManifest("r", geo, TARGETS, motifs=jaspar)
    explicit.motif_exclude = ("MA0139.2",)  # type: ignore[attr-defined]
    assert motif_exclusions(explicit) == ("MA0139.2",)
    explicit.motif_exclude = ()  # type: ignore[attr-defined]
    assert motif_exclusions(explicit) == ()


@pytest.mark.realdata
def test_jaspar_2024_default_exclusions(real_data):
    """On the real JASPAR 2024 file: the long CTCF matrices and ZNF354A, plus the paper's Gmeb1."""
    from benchsuite.evaluate.motifs import select_motifs
    from benchsuite.io.meme import read_meme

    database = real_data / "jaspar" / "JASPAR2024_CORE_vertebrates_non-redundant_pfms_meme.txt"
    manifest = FakeManifest("real", make_toy_cache(0).geometry, TARGETS, motifs=database)
    excluded = motif_exclusions(manifest)
    assert set(excluded) == {"MA1929.1", "MA0615.1", "MA1929.2", "MA1930.2", "MA1978.2"}
    kept, removed = select_motifs(read_meme(database), excluded)
    assert sorted(removed) == ["MA0615.2", "MA1929.2", "MA1930.2", "MA1978.2"] and len(kept) == 875


def test_harness_passes_the_exclusions(monkeypatch, tmp_path, ker_cache):
    jaspar = _meme(tmp_path / "jaspar.meme", ["MA0139.2", "MA1929.2"])
    seen = {}

    def fake(model, first_layer, codes, database, **kwargs):
        seen.update(kwargs)
        return _FakeMotifResult()

    monkeypatch.setattr("benchsuite.evaluate.motifs.motif_recovery", fake)
    manifest = FakeManifest("real", ker_cache.geometry, TARGETS, motifs=jaspar)
    res = evaluate_model(
        ConvCoverage(3, 8), TaskSpec("quantitative", 256, 3, 8), ker_cache, manifest, options=OPTIONS
    )
    assert seen["exclude_motifs"] == ("MA1929.1", "MA0615.1")
    assert res.tables["motifs"]["excluded"] == ["MA1929.1", "MA0615.1"]
