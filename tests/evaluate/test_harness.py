"""The harness on a tiny fake cache: metric names, values vs direct scipy/sklearn, not-applicable rules."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from benchsuite.errors import ConfigError, ModelContractError
from benchsuite.evaluate import HARNESS_VERSION, harness
from benchsuite.evaluate.harness import EvalOptions, EvalResult, evaluate_model, evaluate_predictor
from benchsuite.evaluate.motifs import NotApplicable  # the engine raises the harness's exception
from benchsuite.evaluate.predictors import TorchPredictor
from benchsuite.plugins.spec import TaskSpec
from tests.evaluate.conftest import TARGETS, FakeManifest, make_toy_cache
from tests.evaluate.toys import ConvBinary, ConvCoverage, NaNModel, codes_to_onehot

QUANT_METRICS = {
    "wholechrom.pearson",
    "wholechrom.spearman",
    "wholechrom.mse",
    "wholechrom.mse_scaled",
    "wholechrom_common.pearson",
    "wholechrom_common.mse_scaled",
    "perseq.pearson",
    "peak.auroc",
    "peak.aupr",
    "peak.pearson",
    "peak.pearson_perseq",
    "peak_genome.auroc",
    "peak_genome.aupr",
    "robustness.variation",
} | {f"thresholded.pearson@{t:g}" for t in harness.DEFAULT_THRESHOLDS}

OPTIONS = EvalOptions(batch_size=16, robustness_max_sequences=20, thresholded_min_sequences=5)
FAST = EvalOptions(batch_size=16, robustness_max_sequences=4, spearman="off")


def _predict(model, codes):
    with torch.no_grad():
        return model(torch.from_numpy(codes_to_onehot(np.asarray(codes)))).numpy().astype(np.float64)


def _bin(x, b):  # independent of stats.bin_average
    return x.reshape(*x.shape[:-1], x.shape[-1] // b, b).mean(axis=-1)


def _concat(a, t):
    return a[:, t].ravel()


@pytest.fixture(scope="module")
def quant(toy_cache, toy_manifest):
    torch.manual_seed(0)
    model = ConvCoverage(3, 8, gain=1.2, bias=-3.0).eval()
    task = TaskSpec("quantitative", 256, 3, 8, TARGETS)
    return model, evaluate_model(model, task, toy_cache, toy_manifest, options=OPTIONS, name="conv8")


@pytest.fixture(scope="module")
def binary(toy_cache, toy_manifest):
    model = ConvBinary(3).eval()
    return model, evaluate_model(model, TaskSpec("binary", 256, 3), toy_cache, toy_manifest, options=OPTIONS)


def test_all_quantitative_metrics_present_and_finite(quant):
    _, res = quant
    assert set(res.metrics) == QUANT_METRICS
    for name, entry in res.metrics.items():
        assert math.isfinite(entry["mean"]), name
        assert set(entry["per_target"]) == set(TARGETS), name
        assert all(math.isfinite(v) for v in entry["per_target"].values()), name
    assert set(res.not_applicable) == {"cagi5", "motifs", "interpret"}
    assert res.harness_version == HARNESS_VERSION
    for family in ("wholechrom", "perseq", "peak", "robustness", "cagi5", "motifs", "total"):
        assert res.timings[family] >= 0


def test_wholechrom_values_match_direct_computation(quant, toy_cache):
    model, res = quant
    split = toy_cache.split("wholechrom", "test")
    pred = _predict(model, split.seq)  # (N, T, 32)
    true = _bin(split.cov.astype(np.float64), 8)
    for t, name in enumerate(TARGETS):
        x, y = _concat(pred, t), _concat(true, t)
        r = stats.pearsonr(x, y)[0]
        assert res.metrics["wholechrom.pearson"]["per_target"][name] == pytest.approx(r, abs=1e-6)
        rho = stats.spearmanr(x.astype(np.float32), y.astype(np.float32))[0]
        assert res.metrics["wholechrom.spearman"]["per_target"][name] == pytest.approx(rho, abs=1e-6)
        assert res.metrics["wholechrom.mse"]["per_target"][name] == pytest.approx(
            np.mean((x - y) ** 2), rel=1e-5
        )
        factor = y.mean() / x.mean()
        assert res.tables["scale_factors"][name] == pytest.approx(factor, rel=1e-6)
        mse_s = np.mean((factor * x - y) ** 2)
        assert res.metrics["wholechrom.mse_scaled"]["per_target"][name] == pytest.approx(mse_s, rel=1e-5)
        # common bin 32: predictions averaged 4 bins at a time
        xc, yc = _concat(_bin(pred, 4), t), _concat(_bin(split.cov.astype(np.float64), 32), t)
        rc = stats.pearsonr(xc, yc)[0]
        assert res.metrics["wholechrom_common.pearson"]["per_target"][name] == pytest.approx(rc, abs=1e-6)
        fc = yc.mean() / xc.mean()
        assert res.metrics["wholechrom_common.mse_scaled"]["per_target"][name] == pytest.approx(
            np.mean((fc * xc - yc) ** 2), rel=1e-5
        )
    means = [res.metrics["wholechrom.pearson"]["per_target"][n] for n in TARGETS]
    assert res.metrics["wholechrom.pearson"]["mean"] == pytest.approx(np.mean(means))
    assert res.tables["wholechrom"]["n_windows"] == len(split)


def _perseq_direct(pred, true):
    r = np.full(pred.shape[:2], np.nan)
    for n in range(pred.shape[0]):
        for t in range(pred.shape[1]):
            if np.ptp(pred[n, t]) > 0 and np.ptp(true[n, t]) > 0:
                r[n, t] = stats.pearsonr(pred[n, t], true[n, t])[0]
    return r


def test_perseq_and_thresholded_match_direct_computation(quant, toy_cache):
    model, res = quant
    q = toy_cache.split("quantitative", "test")
    off = (384 - 256) // 2
    pred = _predict(model, q.seq[:, off : off + 256])
    r = _perseq_direct(pred, _bin(q.cov[:, :, off : off + 256].astype(np.float64), 8))
    for t, name in enumerate(TARGETS):
        assert res.metrics["perseq.pearson"]["per_target"][name] == pytest.approx(
            np.nanmean(r[:, t]), abs=1e-6
        )
    w = toy_cache.split("wholechrom", "test")
    rw = _perseq_direct(_predict(model, w.seq), _bin(w.cov.astype(np.float64), 8))
    peak = w.cov.max(axis=(1, 2))
    for th in (0.0, 8.0, 16.0):
        sel = peak > th
        assert sel.sum() > 0
        got = res.metrics[f"thresholded.pearson@{th:g}"]["per_target"]
        for t, name in enumerate(TARGETS):
            assert got[name] == pytest.approx(np.nanmean(rw[sel, t]), abs=1e-6)
        assert res.tables["thresholded"]["n_sequences"][f"{th:g}"] == int(sel.sum())


def test_peak_metrics_match_sklearn(quant, toy_cache):
    model, res = quant
    b = toy_cache.split("binary", "test")
    off = (384 - 256) // 2
    pred = _predict(model, b.seq[:, off : off + 256])
    score = pred.mean(axis=2)
    mean_cov = b.cov[:, :, off : off + 256].astype(np.float64).mean(axis=2)
    r = _perseq_direct(pred, _bin(b.cov[:, :, off : off + 256].astype(np.float64), 8))
    for t, name in enumerate(TARGETS):
        y = b.labels[:, t]
        assert res.metrics["peak.auroc"]["per_target"][name] == pytest.approx(
            roc_auc_score(y, score[:, t]), abs=1e-6
        )
        aupr = average_precision_score(y, score[:, t])
        assert res.metrics["peak.aupr"]["per_target"][name] == pytest.approx(aupr, abs=1e-6)
        pr = stats.pearsonr(score[:, t], mean_cov[:, t])[0]
        assert res.metrics["peak.pearson"]["per_target"][name] == pytest.approx(pr, abs=1e-6)
        assert res.metrics["peak.pearson_perseq"]["per_target"][name] == pytest.approx(
            np.nanmean(r[:, t]), abs=1e-6
        )


def test_robustness_of_a_convolution_is_small(quant):
    _, res = quant
    assert res.metrics["robustness.variation"]["mean"] < 0.02
    table = res.tables["robustness"]
    assert table["bin_size"] == 8 and table["n_selected"] == 20
    # offsets aligned to the dataset's coarsest bin (32), so every model sees the same 5 windows
    assert table["offsets"] == [0, 32, 64, 96, 128] and table["offset_step"] == 32
    assert table["centre_bins"] == 128 // 8


def test_binary_model_conversion_rules(binary, toy_cache):
    model, res = binary
    assert set(res.metrics) == {
        "wholechrom.pearson",
        "wholechrom.spearman",
        "wholechrom_common.pearson",
        "peak.auroc",
        "peak.aupr",
        "peak.pearson",
        "peak_genome.auroc",
        "peak_genome.aupr",
    }
    for name in ("wholechrom.mse", "wholechrom.mse_scaled"):
        assert "coverage scale" in res.not_applicable[name]
    for family in ("perseq", "thresholded", "robustness", "peak.pearson_perseq"):
        assert "one value per" in res.not_applicable[family]
    w = toy_cache.split("wholechrom", "test")
    logits = _predict(model, w.seq)  # (N, T)
    b = toy_cache.split("binary", "test")
    off = 64
    blog = _predict(model, b.seq[:, off : off + 256])
    for t, name in enumerate(TARGETS):
        # own bin = input length: one logit against the tile's mean coverage
        r = stats.pearsonr(logits[:, t], w.cov[:, t].astype(np.float64).mean(axis=1))[0]
        assert res.metrics["wholechrom.pearson"]["per_target"][name] == pytest.approx(r, abs=1e-6)
        # common bin: the logit broadcast over the tile's 8 common bins
        yc = _bin(w.cov[:, t].astype(np.float64), 32).ravel()
        rc = stats.pearsonr(np.repeat(logits[:, t], 8), yc)[0]
        assert res.metrics["wholechrom_common.pearson"]["per_target"][name] == pytest.approx(rc, abs=1e-6)
        auroc = roc_auc_score(b.labels[:, t], blog[:, t])
        assert res.metrics["peak.auroc"]["per_target"][name] == pytest.approx(auroc, abs=1e-6)
        mean_cov = b.cov[:, t, off : off + 256].astype(np.float64).mean(axis=1)
        pr = stats.pearsonr(blog[:, t], mean_cov)[0]
        assert res.metrics["peak.pearson"]["per_target"][name] == pytest.approx(pr, abs=1e-6)
        # genome-wide peak detection: every whole-chromosome tile, its logit against its label
        g_auroc = roc_auc_score(w.labels[:, t], logits[:, t])
        assert res.metrics["peak_genome.auroc"]["per_target"][name] == pytest.approx(g_auroc, abs=1e-6)
        g_aupr = average_precision_score(w.labels[:, t], logits[:, t])
        assert res.metrics["peak_genome.aupr"]["per_target"][name] == pytest.approx(g_aupr, abs=1e-6)


def test_coarser_bin_than_common_bin_is_not_applicable(toy_cache, toy_manifest):
    res = evaluate_model(
        ConvCoverage(3, 64), TaskSpec("quantitative", 256, 3, 64), toy_cache, toy_manifest, options=OPTIONS
    )
    assert "coarser than the common bin" in res.not_applicable["wholechrom_common"]
    assert not any(name.startswith("wholechrom_common.") for name in res.metrics)
    assert math.isfinite(res.metrics["wholechrom.pearson"]["mean"])
    assert res.tables["robustness"]["offsets"] == [0, 64, 128]


def test_shorter_input_tiles_the_wholechrom_windows(toy_cache, toy_manifest):
    model = ConvCoverage(3, 8).eval()
    res = evaluate_model(model, TaskSpec("quantitative", 128, 3, 8), toy_cache, toy_manifest, options=OPTIONS)
    w = toy_cache.split("wholechrom", "test")
    sub = w.seq.reshape(-1, 128)
    pred = _predict(model, sub)
    cov = w.cov.reshape(len(w), 3, 2, 128).transpose(0, 2, 1, 3).reshape(-1, 3, 128).astype(np.float64)
    r = stats.pearsonr(_concat(pred, 0), _concat(_bin(cov, 8), 0))[0]
    assert res.metrics["wholechrom.pearson"]["per_target"]["cellA"] == pytest.approx(r, abs=1e-6)
    assert res.tables["wholechrom"]["n_windows"] == 2 * len(w)


def test_nan_model_raises_contract_error(toy_cache, toy_manifest):
    with pytest.raises(ModelContractError, match="nan-net"):
        evaluate_model(
            NaNModel(3, 8), TaskSpec("quantitative", 256, 3, 8), toy_cache, toy_manifest, name="nan-net"
        )


def test_target_count_mismatch_is_a_config_error(toy_cache, toy_manifest):
    pred = TorchPredictor(ConvCoverage(2, 8), TaskSpec("quantitative", 256, 2, 8), name="two")
    with pytest.raises(ConfigError, match="2 targets.*3"):
        evaluate_predictor(pred, toy_cache, toy_manifest, options=OPTIONS)


def test_bad_predictor_geometry_is_a_config_error(small_cache, toy_manifest):
    class Odd:
        kind, bin_size, input_length, target_names = "quantitative", 7, 256, TARGETS

        def predict(self, x):
            raise AssertionError("never called")

    with pytest.raises(ConfigError, match="does not divide"):
        evaluate_predictor(Odd(), small_cache, toy_manifest, options=FAST)


def test_missing_peak_split_marks_families_not_applicable():
    cache = make_toy_cache(1, n_tiles=12, binary=False)
    manifest = FakeManifest("nopeaks", cache.geometry, cache.target_names)
    res = evaluate_model(
        ConvCoverage(3, 8), TaskSpec("quantitative", 256, 3, 8), cache, manifest, options=OPTIONS
    )
    assert "binary/test" in res.not_applicable["peak"]
    # robustness needs coverage only: it shifts the coverage-threshold test chunks instead
    assert "robustness" not in res.not_applicable and "robustness.variation" in res.metrics
    assert res.tables["robustness"]["chunks"].startswith("coverage-threshold")
    assert "wholechrom.pearson" in res.metrics and "perseq.pearson" in res.metrics


def test_options_spearman_off_thresholds_and_progress(toy_cache, toy_manifest):
    options = EvalOptions(
        batch_size=7,
        spearman="off",
        thresholds=(1.5, 3),
        robustness_max_sequences=4,
        progress=True,
        cagi5=False,
    )
    res = evaluate_model(
        ConvCoverage(3, 8), TaskSpec("quantitative", 256, 3, 8), toy_cache, toy_manifest, options=options
    )
    assert "wholechrom.spearman" not in res.metrics
    assert "disabled" in res.not_applicable["wholechrom.spearman"]
    assert {n for n in res.metrics if n.startswith("thresholded")} == {
        "thresholded.pearson@1.5",
        "thresholded.pearson@3",
    }
    assert res.not_applicable["cagi5"] == "disabled by the cagi5 option"
    assert res.tables["evaluation"]["options"]["batch_size"] == 7
    with pytest.raises(ConfigError):
        EvalOptions(spearman="fast")
    with pytest.raises(ConfigError):
        EvalOptions(robustness_shifts=1)
    with pytest.raises(ConfigError):
        EvalOptions(robustness_max_sequences=0)


def test_result_round_trip_is_strict_json(quant):
    _, res = quant
    res.metrics["extra"] = {"mean": None, "per_target": {"cellA": None}}
    try:
        d = res.to_dict()
        text = json.dumps(d, allow_nan=False)
        back = EvalResult.from_dict(json.loads(text))
        assert back.to_dict() == d
        assert back.mean("wholechrom.pearson") == res.mean("wholechrom.pearson")
    finally:
        del res.metrics["extra"]


def test_put_stores_undefined_as_none():
    r = EvalResult()
    r.put("x", [0.5, float("nan"), 1.0], ["a", "b", "c"])
    assert r.metrics["x"] == {"mean": 0.75, "per_target": {"a": 0.5, "b": None, "c": 1.0}}
    r.put("y", [float("nan")], ["a"])
    assert r.metrics["y"]["mean"] is None


# ----------------------------------------------------------------------------- CAGI5 / motifs delegation


class _FakeCagi5Result:
    standard = 0.31
    robust = 0.42
    per_element = [{"element": "E1", "n_variants": 5, "standard": 0.31, "robust": float("nan")}]
    n_scored = 5
    n_mismatched = 1
    convention = "log2 ratio"


class _Variants:
    sequences = "elements.fa"
    table = "variants.tsv"


def test_cagi5_is_delegated(monkeypatch, small_cache):
    calls = {}

    def fake_cagi5(predictor, sequences_fa, table_tsv, **kwargs):
        calls.update(predictor=predictor, fa=sequences_fa, tsv=table_tsv, **kwargs)
        return _FakeCagi5Result()

    monkeypatch.setattr("benchsuite.evaluate.cagi5.cagi5_evaluate", fake_cagi5)
    manifest = FakeManifest("v", small_cache.geometry, small_cache.target_names, variants=_Variants())
    options = EvalOptions(batch_size=16, robustness_max_sequences=4, cagi5_shifts=7, seed=3, spearman="off")
    pred = TorchPredictor(ConvCoverage(3, 8), TaskSpec("quantitative", 256, 3, 8))
    res = evaluate_predictor(pred, small_cache, manifest, options=options)
    assert calls["predictor"] is pred and calls["fa"] == "elements.fa" and calls["tsv"] == "variants.tsv"
    assert calls["n_shifts"] == 7 and calls["seed"] == 3
    assert res.metrics["cagi5.standard"]["mean"] == 0.31 and res.metrics["cagi5.standard"]["per_target"] == {}
    # one scorable element with r = 0.31: every resample of elements gives 0.31
    assert res.metrics["cagi5.standard"]["ci95"] == pytest.approx([0.31, 0.31])
    assert res.tables["bootstrap"]["units"]["cagi5.standard"].endswith("elements")
    assert res.metrics["cagi5.robust"]["mean"] == 0.42
    assert res.tables["cagi5"]["n_mismatched"] == 1
    assert res.to_dict()["tables"]["cagi5"]["per_element"][0]["robust"] is None
    assert "cagi5" not in res.not_applicable


class _FakeMotifResult:
    hit_ratio = 0.5
    mean_best_q = 0.01
    recovery_rate = 0.75
    n_filters = 4
    matches = [{"filter": 0, "best_motif": "AP1", "best_q": 0.001}]
    recovered = ["AP1"]
    figure = "/tmp/logos.png"


def test_motifs_are_delegated_with_ground_truth(monkeypatch, small_cache, tmp_path):
    from benchsuite.io.meme import Motif, write_meme

    meme = write_meme(
        tmp_path / "planted.meme", [Motif("AP1", np.full((4, 4), 0.25)), Motif("CTCF", np.eye(4))]
    )
    calls = {}

    def fake_recovery(model, first_layer, codes, database, **kwargs):
        calls.update(
            model=model, first_layer=first_layer, codes=np.asarray(codes), database=database, **kwargs
        )
        return _FakeMotifResult()

    monkeypatch.setattr("benchsuite.evaluate.motifs.motif_recovery", fake_recovery)
    manifest = FakeManifest(
        "sim", small_cache.geometry, small_cache.target_names, motifs=meme, simulator={"seed": 0}
    )
    model = ConvCoverage(3, 8)
    res = evaluate_model(
        model,
        TaskSpec("quantitative", 256, 3, 8),
        small_cache,
        manifest,
        first_layer="act",
        options=EvalOptions(
            batch_size=16, robustness_max_sequences=4, motifs_max_sequences=9, spearman="off"
        ),
        out_dir=tmp_path / "out",
    )
    assert calls["model"] is model and calls["first_layer"] == "act" and calls["database"] == meme
    assert calls["ground_truth"] == ["AP1", "CTCF"]
    assert calls["max_sequences"] == 9 and calls["out_dir"] == tmp_path / "out" / "motifs"
    q = small_cache.split("quantitative", "test")
    np.testing.assert_array_equal(calls["codes"], q.seq[:, 64:320])
    assert res.metrics["motifs.hit_ratio"]["mean"] == 0.5
    assert res.metrics["motifs.recovery_rate"]["mean"] == 0.75
    assert res.figures["motifs.logos"] == "/tmp/logos.png"
    assert res.tables["motifs"]["recovered"] == ["AP1"]


def test_motif_not_applicable_and_no_ground_truth(monkeypatch, small_cache, tmp_path):
    class NoTruth(_FakeMotifResult):
        recovery_rate = None

    def raising(*args, **kwargs):
        raise NotApplicable("no convolutional first layer")

    manifest = FakeManifest(
        "real", small_cache.geometry, small_cache.target_names, motifs=tmp_path / "jaspar.meme"
    )
    task = TaskSpec("quantitative", 256, 3, 8)
    monkeypatch.setattr("benchsuite.evaluate.motifs.motif_recovery", raising)
    res = evaluate_model(ConvCoverage(3, 8), task, small_cache, manifest, options=FAST)
    assert res.not_applicable["motifs"] == "no convolutional first layer"
    seen = {}

    def no_truth(*args, **kwargs):
        seen.update(kwargs)
        return NoTruth()

    monkeypatch.setattr("benchsuite.evaluate.motifs.motif_recovery", no_truth)
    res = evaluate_model(ConvCoverage(3, 8), task, small_cache, manifest, options=FAST)
    assert seen["ground_truth"] is None  # real data: no planted motifs
    assert "motifs.recovery_rate" not in res.metrics
    assert "ground truth" in res.not_applicable["motifs.recovery_rate"]
    # a predictor without a torch model: not applicable
    inner = TorchPredictor(ConvCoverage(3, 8), task)

    class Bare:  # follows the Predictor protocol without exposing a torch model
        kind, bin_size, input_length, target_names = "quantitative", 8, 256, TARGETS

        def predict(self, x):
            return inner.predict(x)

    res = evaluate_predictor(Bare(), small_cache, manifest, options=FAST)
    assert "no torch model" in res.not_applicable["motifs"]


def test_engine_not_applicable_may_name_one_metric(monkeypatch, small_cache, tmp_path):
    def raising(*args, **kwargs):
        raise NotApplicable("filters wider than the input", key="motifs.hit_ratio")

    monkeypatch.setattr("benchsuite.evaluate.motifs.motif_recovery", raising)
    manifest = FakeManifest(
        "real", small_cache.geometry, small_cache.target_names, motifs=tmp_path / "jaspar.meme"
    )
    res = evaluate_model(
        ConvCoverage(3, 8), TaskSpec("quantitative", 256, 3, 8), small_cache, manifest, options=FAST
    )
    assert res.not_applicable["motifs.hit_ratio"] == "filters wider than the input"
    assert "motifs" not in res.not_applicable
    assert not any(name.startswith("motifs.") for name in res.metrics)


# ----------------------------------------------------------------------------- real data module


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory):
    """A tiny bundle written with the real io writers and prepared with benchsuite.data."""
    from benchsuite.data.manifest import load_manifest, write_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.io.bed import Intervals, write_narrowpeak
    from benchsuite.io.bigwig import write_bigwig
    from benchsuite.io.fasta import write_fasta
    from tests.evaluate.toys import FakeOracle

    out = tmp_path_factory.mktemp("bundle")
    rng = np.random.default_rng(0)
    names = ("cellA", "cellB")
    oracle = FakeOracle(names)
    sizes = {"chr1": 12000, "chr8": 12000, "chr9": 6000}
    codes = {c: rng.integers(0, 4, n, dtype=np.uint8) for c, n in sizes.items()}
    write_fasta(out / "genome.fa", [(c, codes[c]) for c in sizes])
    expected = {c: oracle.predict_codes(codes[c][None])[0] for c in sizes}
    targets = []
    for t, name in enumerate(names):
        for rep in (1, 2):
            values = {c: (expected[c][t] * rng.gamma(4, 0.25, sizes[c])).astype(np.float32) for c in sizes}
            write_bigwig(out / f"{name}.rep{rep}.bw", sizes, values)
        chrom, start, end = [], [], []
        for c in sizes:
            for h in np.flatnonzero(expected[c][t] > 6)[::40]:
                chrom.append(c)
                start.append(max(0, h - 50))
                end.append(min(sizes[c], h + 50))
        peaks = Intervals(chrom=np.array(chrom), start=np.array(start), end=np.array(end))
        write_narrowpeak(out / f"{name}.narrowPeak", peaks)
        targets.append(
            {
                "name": name,
                "track": f"{name}.rep1.bw",
                "replicate2": f"{name}.rep2.bw",
                "peaks": f"{name}.narrowPeak",
            }
        )
    write_manifest(
        out,
        {
            "name": "evaluate-integration",
            "genome": "genome.fa",
            "targets": targets,
            "split": {"test": ["chr8"], "valid": ["chr9"], "train": None, "exclude": []},
            "geometry": {
                "chunk_length": 384,
                "input_length": 256,
                "bin_sizes": [1, 8, 32],
                "common_bin": 32,
                "coverage_threshold": 2.0,
            },
        },
    )
    manifest = load_manifest(out)
    cache = prepare_dataset(manifest, cache_dir=out / "cache", progress=False)
    return manifest, cache, oracle


def test_harness_on_a_real_prepared_bundle(real_bundle):
    from benchsuite.evaluate.ceilings import oracle_ceiling, replicate2_ceiling

    manifest, cache, oracle = real_bundle
    task = TaskSpec("quantitative", 256, 2, 8, manifest.target_names)
    res = evaluate_model(ConvCoverage(2, 8), task, cache, manifest, options=OPTIONS)
    assert set(res.metrics) == QUANT_METRICS
    assert all(math.isfinite(e["mean"]) for e in res.metrics.values())
    again = evaluate_model(ConvCoverage(2, 8), task, cache, manifest, options=OPTIONS)
    assert again.to_dict()["metrics"] == res.to_dict()["metrics"]  # deterministic
    w = cache.split("wholechrom", "test")
    pred = _predict(ConvCoverage(2, 8).eval(), np.asarray(w.seq))
    true = _bin(np.asarray(w.cov, dtype=np.float64), 8)
    r = stats.pearsonr(_concat(pred, 1), _concat(true, 1))[0]
    assert res.metrics["wholechrom.pearson"]["per_target"]["cellB"] == pytest.approx(r, abs=1e-6)

    rep2 = replicate2_ceiling(cache, manifest, bin_size=8, options=OPTIONS)
    x = _bin(np.asarray(w.cov_rep2, dtype=np.float64), 8)
    r2 = stats.pearsonr(_concat(x, 0), _concat(true, 0))[0]
    assert rep2.metrics["wholechrom.pearson"]["per_target"]["cellA"] == pytest.approx(r2, abs=1e-6)
    best = oracle_ceiling(oracle, cache, manifest, bin_size=8, options=OPTIONS)
    assert best.mean("wholechrom.pearson") > max(
        res.mean("wholechrom.pearson"), rep2.mean("wholechrom.pearson")
    )


def test_quantitative_genome_peaks_score_the_mean_coverage_of_each_tile(quant, toy_cache):
    model, res = quant
    w = toy_cache.split("wholechrom", "test")
    score = _predict(model, w.seq).mean(axis=2)  # (N, T): mean predicted coverage over the tile
    for t, name in enumerate(TARGETS):
        got = res.metrics["peak_genome.auroc"]["per_target"][name]
        assert got == pytest.approx(roc_auc_score(w.labels[:, t], score[:, t]), abs=1e-6)
    assert res.tables["peak_genome"]["n_tiles"] == len(w)


def test_thresholds_resting_on_few_tiles_are_not_applicable(toy_cache, toy_manifest):
    model = ConvCoverage(3, 8).eval()
    task = TaskSpec("quantitative", 256, 3, 8, TARGETS)
    res = evaluate_model(model, task, toy_cache, toy_manifest, options=FAST)  # default minimum 30
    n = res.tables["thresholded"]["n_sequences"]
    assert n["0"] >= 30 and n["16"] < 30
    assert "thresholded.pearson@0" in res.metrics
    assert "thresholded.pearson@16" not in res.metrics
    assert "fewer than 30" in res.not_applicable["thresholded.pearson@16"]


def test_headline_metrics_carry_bootstrap_intervals(quant):
    _, res = quant
    boot = res.tables["bootstrap"]
    assert boot["n_boot"] == 1000 and boot["seed"] == 0
    for name in (
        "wholechrom_common.pearson",
        "wholechrom.pearson",
        "perseq.pearson",
        "peak.auroc",
        "peak_genome.auroc",
        "robustness.variation",
    ):
        lo, hi = res.metrics[name]["ci95"]
        assert lo <= res.metrics[name]["mean"] <= hi, name
        assert hi - lo > 0, name
        assert len(boot["replicates"][name]) == 1000
        assert "blocks" in boot["units"][name]
    assert "ci95" not in res.metrics["wholechrom.spearman"]  # ranks are not resampled


def test_bootstrap_replicates_pair_across_sources(toy_cache, toy_manifest):
    """The same resamples for every source: a model against itself differs by exactly 0."""
    model = ConvCoverage(3, 8).eval()
    task = TaskSpec("quantitative", 256, 3, 8, TARGETS)
    a = evaluate_model(model, task, toy_cache, toy_manifest, options=FAST)
    b = evaluate_model(model, task, toy_cache, toy_manifest, options=FAST)
    ra = np.array(a.tables["bootstrap"]["replicates"]["wholechrom_common.pearson"])
    rb = np.array(b.tables["bootstrap"]["replicates"]["wholechrom_common.pearson"])
    assert np.array_equal(ra, rb) and np.std(ra) > 0
    no_boot = evaluate_model(
        model, task, toy_cache, toy_manifest, options=EvalOptions(bootstrap=0, spearman="off")
    )
    assert "bootstrap" not in no_boot.tables and "ci95" not in no_boot.metrics["wholechrom.pearson"]
