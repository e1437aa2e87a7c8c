"""Tests of benchsuite.evaluate.cagi5 (CAGI5 variant-effect protocol).

Fast tier: a synthetic two-element set written to tmp_path and fake predictors whose effects are
known in closed form; expected windows and values are rebuilt from the element strings by
tests/evaluate/cagi5/synthetic.py (independent of the module's window code) and correlations
checked against scipy. The window arithmetic itself is tested in tests/evaluate/cagi5/.
Realdata tier: the real CAGI5 release in ../shared/data/cagi5.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchsuite.errors import InputFileError
from benchsuite.evaluate.cagi5 import (
    EPSILON,
    cagi5_evaluate,
    draw_shifts,
    load_cagi5,
    predict_variant_effects,
)
from tests.evaluate.cagi5.synthetic import (
    BASES,
    BinaryLike,
    OracleLike,
    expected_window,
    one_hot,
    sigmoid,
    true_effect,
    write_set,
)

# ----------------------------------------------------------------------------------------------
# loading and validation


def test_load_flags_mismatches_and_checks_layout(tmp_path):
    fa, tsv, elements, rows = write_set(tmp_path)
    data = load_cagi5(fa, tsv)
    assert list(data.elements) == ["E0", "E1"]
    assert data.elements["E1"].chrom == "chr2" and data.elements["E1"].start == 2000
    assert len(data.table) == len(rows) and data.n_mismatched == 0
    assert data.table["line"].tolist() == list(range(2, len(rows) + 2))
    assert (data.table["window_base"] == data.table["ref"]).all()


def _rewrite(tsv: Path, fn) -> None:
    df = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)
    out = fn(df)
    (out if isinstance(out, pd.DataFrame) else df).to_csv(tsv, sep="\t", index=False)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda df: df.pop("window_offset"), "lacks column.*window_offset"),
        (lambda df: df.loc.__setitem__((3, "element"), "NOPE"), "NOPE.*not in"),
        (lambda df: df.loc.__setitem__((4, "value"), "abc"), "line 6.*value"),
        (lambda df: df.loc.__setitem__((2, "window_offset"), "300"), "line 4.*window_offset"),
        (lambda df: df.loc.__setitem__((2, "window_offset"), "1.5"), "line 4.*window_offset"),
        (lambda df: df.loc.__setitem__((5, "alt"), "R"), "line 7.*alt"),
    ],
)
def test_malformed_table_raises_input_error_naming_the_file(tmp_path, edit, message):
    fa, tsv, _, _ = write_set(tmp_path)
    _rewrite(tsv, edit)
    with pytest.raises(InputFileError, match=message) as info:
        load_cagi5(fa, tsv)
    assert info.value.source == str(tsv)


def test_missing_files_raise_input_error(tmp_path):
    fa, tsv, _, _ = write_set(tmp_path)
    with pytest.raises(InputFileError) as info:
        cagi5_evaluate(OracleLike(), tmp_path / "none.fa", tsv)
    assert "none.fa" in str(info.value)
    with pytest.raises(InputFileError) as info:
        cagi5_evaluate(OracleLike(), fa, tmp_path / "none.tsv")
    assert "none.tsv" in str(info.value)


def test_ref_mismatches_are_reported_and_skipped(tmp_path, caplog):
    fa, tsv, elements, _ = write_set(tmp_path, value_fn=true_effect)

    def corrupt(df):
        for i in (0, 7):
            ref = df.loc[i, "ref"]
            df.loc[i, "ref"] = next(b for b in BASES if b not in (ref, df.loc[i, "alt"]))

    _rewrite(tsv, corrupt)
    total = len(pd.read_csv(tsv, sep="\t"))
    with caplog.at_level(logging.WARNING, logger="benchsuite.evaluate.cagi5"):
        result = cagi5_evaluate(OracleLike(), fa, tsv, n_shifts=2)
    assert result.n_mismatched == 2
    assert [r["line"] for r in result.mismatched] == [2, 9]
    for r in result.mismatched:
        assert r["window_base"] == elements[r["element"]][r["window_offset"]] != r["ref"]
    assert result.n_scored == total - 2
    assert sum(r["n_variants"] for r in result.per_element) == total - 2
    assert any("2 of" in rec.getMessage() and "skipped" in rec.getMessage() for rec in caplog.records)


# ----------------------------------------------------------------------------------------------
# windows: element-centred, N beyond the element window without a genome


@pytest.mark.parametrize("length", [128, 512])
def test_predictor_sees_element_centred_windows(tmp_path, length):
    """Crop (128 < 300) and N-pad (512 > 300): the model sees the element-centred windows.

    At 128 the scored region is the element window's [118, 182): the variants at 2 and 297
    lie outside it and get windows moved by 116 bases (30 N at the element ends); the one at
    150 gets the centred window [86, 214). At 512 the centred window is [-106, 406) with the
    scored region [22, 278): 2 and 297 get windows moved by 20 bases; every window holds the
    whole element and 212 N.
    """
    fa, tsv, elements, rows = write_set(tmp_path, positions=[2, 150, 297])
    predictor = OracleLike(input_length=length)
    effects = predict_variant_effects(predictor, load_cagi5(fa, tsv), n_shifts=0)
    seen = np.concatenate(predictor.calls)
    expected = []
    for seq in elements.values():
        for o in (2, 150, 297):
            expected.append(expected_window(seq, o, seq[o], length))
            expected.extend(expected_window(seq, o, a, length) for a in BASES if a != seq[o])
    assert len(seen) == len(expected) == len(rows) + 2 * 3  # one shared reference per position
    assert sorted(x.tobytes() for x in seen) == sorted(one_hot(w).tobytes() for w in expected)
    # N padding is all-zero one-hot
    n_columns = (seen.sum(axis=1) == 0).sum(axis=1)
    assert sorted(n_columns.tolist()) == sorted(w.count("N") for w in expected)
    by_offset = effects.groupby("window_offset")
    if length == 128:
        assert by_offset["window_start"].first().to_dict() == {2: 2 - 32, 150: 86, 297: 297 - 95}
        assert by_offset["moved"].all().to_dict() == {2: True, 150: False, 297: True}
        assert set(n_columns.tolist()) == {0, 30}
        assert by_offset["padded_standard"].first().to_dict() == {2: 30 / 128, 150: 0.0, 297: 30 / 128}
    else:
        assert by_offset["window_start"].first().to_dict() == {2: -126, 150: -106, 297: -86}
        assert by_offset["moved"].all().to_dict() == {2: True, 150: False, 297: True}
        assert set(n_columns.tolist()) == {212}
        np.testing.assert_allclose(effects["padded_standard"], 212 / 512)
    assert not effects["genome_flanks"].any()


# ----------------------------------------------------------------------------------------------
# effects and the metric


def test_oracle_like_predictor_is_perfect(tmp_path):
    noise = np.random.default_rng(5)
    fa, tsv, _, rows = write_set(tmp_path, value_fn=lambda r, a: true_effect(r, a) + 0.01 * noise.normal())
    data = load_cagi5(fa, tsv)
    effects = predict_variant_effects(OracleLike(), data, n_shifts=5)
    truth = np.array([true_effect(r, a) for r, a in zip(effects["ref"], effects["alt"], strict=True)])
    np.testing.assert_allclose(effects["standard"], truth, atol=1e-4)
    np.testing.assert_allclose(effects["robust"], truth, atol=1e-4)
    result = cagi5_evaluate(OracleLike(), fa, tsv, n_shifts=5)
    assert len(result.per_element) == 2 and result.n_scored == len(rows)
    assert result.standard > 0.99 and result.robust > 0.99
    for row in result.per_element:
        sub = effects[effects["element"] == row["element"]]
        assert row["n_variants"] == len(sub)
        assert row["standard"] == pytest.approx(stats.pearsonr(sub["standard"], sub["value"])[0], abs=1e-9)
        assert row["robust"] == pytest.approx(stats.pearsonr(sub["robust"], sub["value"])[0], abs=1e-9)
    assert result.standard == pytest.approx(np.mean([r["standard"] for r in result.per_element]))
    assert "quantitative" in result.convention


def test_robust_matches_direct_computation(tmp_path):
    """Robust effect = log2 of the shift-averaged central-region coverage, rebuilt here.

    At L = 64 the centred window is [118, 182) with the scored region [134, 166): the variant
    at 160 keeps it, the one at 120 gets a window moved 14 bases left.
    """
    fa, tsv, elements, _ = write_set(tmp_path, positions=[120, 160])
    predictor = OracleLike(input_length=64, bin_size=8, noise=0.3)
    effects = predict_variant_effects(predictor, load_cagi5(fa, tsv), n_shifts=6, seed=3)
    L = 64
    assert effects.groupby("window_offset")["window_start"].first().to_dict() == {120: 104, 160: 118}
    for row in effects.itertuples():
        seq = elements[row.element]
        shifts = draw_shifts(3, row.element, row.window_offset, 6, L)
        assert np.abs(shifts).max() <= L // 4

        def score(base, s, seq=seq, row=row):
            x = one_hot(expected_window(seq, row.window_offset, base, L, int(s)))[None]
            cov = predictor.predict(x)[0].mean(axis=0)  # (bins,)
            # common region: the standard window's central half = shifted window [L/4 - s, 3L/4 - s)
            per_base = np.repeat(cov, 8)
            return per_base[L // 4 - s : 3 * L // 4 - s].mean()

        ref = np.mean([score(row.ref, s) for s in shifts])
        alt = np.mean([score(row.alt, s) for s in shifts])
        assert row.robust == pytest.approx(np.log2((alt + EPSILON) / (ref + EPSILON)), abs=1e-5)
        std_ref, std_alt = score(row.ref, 0), score(row.alt, 0)
        assert row.standard == pytest.approx(np.log2((std_alt + EPSILON) / (std_ref + EPSILON)), abs=1e-5)


def test_robust_beats_standard_for_shift_sensitive_model(tmp_path):
    fa, tsv, _, _ = write_set(tmp_path, value_fn=true_effect, positions=range(100, 200, 2))
    result = cagi5_evaluate(OracleLike(input_length=64, noise=0.1), fa, tsv, n_shifts=20)
    assert result.robust > result.standard + 0.15
    assert result.robust > 0.8
    for row in result.per_element:
        assert row["robust"] > row["standard"]


def test_binary_convention(tmp_path):
    fa, tsv, elements, _ = write_set(tmp_path, value_fn=true_effect, positions=[130, 170])
    predictor = BinaryLike(input_length=96)
    effects = predict_variant_effects(predictor, load_cagi5(fa, tsv), n_shifts=4, seed=1)
    for row in effects.itertuples():
        seq = elements[row.element]

        def prob(base, s, seq=seq, row=row):
            x = one_hot(expected_window(seq, row.window_offset, base, 96, int(s)))[None]
            logits = predictor.predict(x)
            return sigmoid(logits.astype(np.float64)).mean()

        expected = np.log2((prob(row.alt, 0) + EPSILON) / (prob(row.ref, 0) + EPSILON))
        assert row.standard == pytest.approx(expected, abs=1e-5)
        shifts = draw_shifts(1, row.element, row.window_offset, 4, 96)
        p_ref = np.mean([prob(row.ref, s) for s in shifts])
        p_alt = np.mean([prob(row.alt, s) for s in shifts])
        assert row.robust == pytest.approx(np.log2((p_alt + EPSILON) / (p_ref + EPSILON)), abs=1e-5)
    result = cagi5_evaluate(predictor, fa, tsv, n_shifts=4)
    assert "binary" in result.convention and "sigmoid" in result.convention and "log2" in result.convention


def test_small_and_constant_elements_are_nan_and_excluded(tmp_path):
    fa, tsv, _, _ = write_set(tmp_path, n_elements=2, value_fn=true_effect)
    # element E1 keeps only 2 variants -> NaN

    _rewrite(tsv, lambda df: df.drop(index=df.index[df["element"] == "E1"][2:]))
    result = cagi5_evaluate(OracleLike(), fa, tsv, n_shifts=2)
    by = {r["element"]: r for r in result.per_element}
    assert by["E1"]["n_variants"] == 2 and math.isnan(by["E1"]["standard"]) and math.isnan(by["E1"]["robust"])
    assert result.standard == pytest.approx(by["E0"]["standard"])

    class Flat(OracleLike):
        def predict(self, x):
            return np.ones((len(x), 1, self.input_length // self.bin_size), dtype=np.float32)

    flat = cagi5_evaluate(Flat(), fa, tsv, n_shifts=2)
    assert math.isnan(flat.standard) and math.isnan(flat.robust)
    assert all(math.isnan(r["standard"]) for r in flat.per_element)


def test_subsampling_is_deterministic(tmp_path):
    fa, tsv, _, _ = write_set(tmp_path, value_fn=true_effect)
    data = load_cagi5(fa, tsv)
    a = predict_variant_effects(OracleLike(), data, n_shifts=1, max_variants_per_element=10, seed=4)
    b = predict_variant_effects(OracleLike(), data, n_shifts=1, max_variants_per_element=10, seed=4)
    c = predict_variant_effects(OracleLike(), data, n_shifts=1, max_variants_per_element=10, seed=5)
    assert a.groupby("element").size().tolist() == [10, 10]
    assert a["line"].tolist() == b["line"].tolist() != c["line"].tolist()
    np.testing.assert_array_equal(a["robust"], b["robust"])


def test_family_reads_flanks_from_the_bundle_genome(tmp_path):
    """The Cagi5 family passes the manifest's genome: windows beyond the elements are real sequence."""
    from types import SimpleNamespace

    from benchsuite.evaluate.families.cagi5 import Cagi5
    from benchsuite.evaluate.options import EvalOptions
    from benchsuite.evaluate.sources import PredictorSource
    from tests.evaluate.cagi5.synthetic import write_genome

    fa, tsv, elements, _ = write_set(tmp_path, value_fn=true_effect, positions=[120, 150, 180])
    write_genome(tmp_path / "genome.fa", elements)
    predictor = OracleLike(input_length=512)
    options = EvalOptions(cagi5_shifts=2, seed=1)
    tables = {}
    for genome in (tmp_path / "genome.fa", None):
        manifest = SimpleNamespace(variants=SimpleNamespace(sequences=fa, table=tsv), genome=genome)
        ctx = SimpleNamespace(
            source=PredictorSource(predictor, 2), manifest=manifest, options=options, n_boot=0
        )
        tables[genome is None] = Cagi5().run(ctx).tables["cagi5"]  # type: ignore[arg-type]
    assert tables[False]["padded_fraction"] == {"standard": 0.0, "robust": 0.0}
    assert all(row["genome_flanks"] and row["padded_standard"] == 0 for row in tables[False]["per_element"])
    # no genome: the 512-bp windows hold the 300-bp element and 212 N
    assert tables[True]["padded_fraction"]["standard"] == pytest.approx(212 / 512)
    assert tables[True]["n_moved"] == tables[False]["n_moved"] == 0
    # shifts beyond 106 bases also push part of the element out of the window
    assert all(row["padded_robust"] >= 212 / 512 for row in tables[True]["per_element"])


# ----------------------------------------------------------------------------------------------
# real CAGI5


def _read_fasta(path: Path) -> dict[str, str]:
    seqs: dict[str, list[str]] = {}
    name = None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            seqs[name] = []
        elif name:
            seqs[name].append(line.strip())
    return {k: "".join(v).upper() for k, v in seqs.items()}


class GCModel:
    """Tiny quantitative model: per-bin coverage = exp(2 x GC fraction) (target 0), 1 + GC (target 1)."""

    kind = "quantitative"
    bin_size = 32
    input_length = 2048
    target_names = ("gc_exp", "gc_lin")

    def predict(self, x: np.ndarray) -> np.ndarray:
        gc = x[:, 1:3].sum(axis=1).reshape(len(x), -1, self.bin_size).mean(axis=2)
        return np.stack([np.exp(2 * gc), 1 + gc], axis=1).astype(np.float32)


@pytest.mark.realdata
def test_real_cagi5_loads_and_reports_mismatches(real_data):
    fa, tsv = real_data / "cagi5" / "elements.fa", real_data / "cagi5" / "variants.tsv"
    data = load_cagi5(fa, tsv)
    assert len(data.table) == 18463
    assert len(data.elements) == 15 and all(len(e.codes) == 2048 for e in data.elements.values())
    # independent check of the mismatches
    seqs = _read_fasta(fa)
    table = pd.read_csv(tsv, sep="\t")
    expected = [
        i + 2 for i, r in enumerate(table.itertuples()) if seqs[r.element][r.window_offset] != r.ref.upper()
    ]
    assert data.n_mismatched == len(expected) and data.n_mismatched > 0
    assert 0.0005 < data.n_mismatched / len(data.table) < 0.005
    assert [r["line"] for r in data.mismatched_rows()] == expected


@pytest.mark.realdata
def test_real_cagi5_small_predictor(real_data, caplog):
    fa, tsv = real_data / "cagi5" / "elements.fa", real_data / "cagi5" / "variants.tsv"
    t0 = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="benchsuite.evaluate.cagi5"):
        result = cagi5_evaluate(GCModel(), fa, tsv, max_variants_per_element=12, n_shifts=20, seed=0)
    elapsed = time.perf_counter() - t0
    assert len(result.per_element) == 15
    assert result.n_scored == 15 * 12 and all(r["n_variants"] == 12 for r in result.per_element)
    assert result.n_mismatched == len(result.mismatched) > 0
    assert any("skipped" in rec.getMessage() for rec in caplog.records)
    assert np.isfinite(result.standard) and np.isfinite(result.robust)
    effects = predict_variant_effects(GCModel(), load_cagi5(fa, tsv), max_variants_per_element=12, seed=0)
    for row in result.per_element:
        sub = effects[effects["element"] == row["element"]]
        assert row["standard"] == pytest.approx(stats.pearsonr(sub["standard"], sub["value"])[0], abs=1e-9)
    # the effect of a GC model is positive exactly for A/T -> C/G changes
    gain = effects["alt"].isin(["C", "G"]) & effects["ref"].isin(["A", "T"])
    loss = effects["ref"].isin(["C", "G"]) & effects["alt"].isin(["A", "T"])
    assert (effects.loc[gain, "standard"] > 0).all() and (effects.loc[loss, "standard"] < 0).all()
    assert elapsed < 60
