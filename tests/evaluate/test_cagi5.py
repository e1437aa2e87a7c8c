"""Tests of benchsuite.evaluate.cagi5 (CAGI5 variant-effect protocol).

Fast tier: a synthetic two-element set written to tmp_path and fake predictors whose effects are
known in closed form; expected values are rebuilt here from the element strings (independent of
the module's window code) and correlations checked against scipy.
Realdata tier: the real CAGI5 release in ../shared/data/cagi5.
"""

from __future__ import annotations

import hashlib
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
    variant_window_codes,
)

BASES = "ACGT"
W_BASE = np.array([0.10, -0.05, 0.05, -0.10])  # per-base log-coverage weights of the fake oracle
ELEMENT_LENGTH = 300


# ----------------------------------------------------------------------------------------------
# synthetic set and fake predictors


def _one_hot(seq: str) -> np.ndarray:
    x = np.zeros((4, len(seq)), dtype=np.float32)
    for i, b in enumerate(seq):
        if b in BASES:
            x[BASES.index(b), i] = 1.0
    return x


def _window(element: str, offset: int, base: str, length: int, shift: int = 0) -> str:
    """The expected model window (string), built independently of the module: N outside."""
    start = offset - length // 2 + shift
    chars = []
    for k in range(length):
        i = start + k
        chars.append(element[i] if 0 <= i < len(element) else "N")
    chars[offset - start] = base
    return "".join(chars)


def write_set(folder: Path, *, n_elements=2, positions=range(110, 190, 3), seed=0, value_fn=None):
    """Elements of 300 bp and all 3 alternatives at each position; value = value_fn(ref, alt)."""
    rng = np.random.default_rng(seed)
    elements = {f"E{k}": "".join(rng.choice(list(BASES), size=ELEMENT_LENGTH)) for k in range(n_elements)}
    fa = folder / "elements.fa"
    with open(fa, "w") as fh:
        for k, (name, seq) in enumerate(elements.items()):
            fh.write(f">{name} chr{k + 1}:{1000 * (k + 1)}-{1000 * (k + 1) + ELEMENT_LENGTH} test\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
    rows = []
    for k, (name, seq) in enumerate(elements.items()):
        for o in positions:
            ref = seq[o]
            for alt in BASES:
                if alt == ref:
                    continue
                value = value_fn(ref, alt) if value_fn else float(rng.normal())
                rows.append(
                    {
                        "element": name,
                        "split": "test",
                        "chrom_hg19": f"chr{k + 1}",
                        "pos_hg19": 1000 * (k + 1) + o + 1,
                        "ref": ref,
                        "alt": alt,
                        "value": value,
                        "confidence": 0.5,
                        "window_offset": o,
                    }
                )
    tsv = folder / "variants.tsv"
    pd.DataFrame(rows).to_csv(tsv, sep="\t", index=False)
    return fa, tsv, elements, pd.DataFrame(rows)


def true_effect(ref: str, alt: str) -> float:
    return float((W_BASE[BASES.index(alt)] - W_BASE[BASES.index(ref)]) / math.log(2))


class OracleLike:
    """Coverage flat along the window, exp(sum of per-base weights): effect = true_effect exactly."""

    kind = "quantitative"

    def __init__(self, input_length=128, bin_size=8, n_targets=2, noise=0.0):
        self.input_length, self.bin_size = input_length, bin_size
        self.target_names = tuple(f"t{i}" for i in range(n_targets))
        self.noise = noise
        self.calls: list[np.ndarray] = []

    def _log_cov(self, x: np.ndarray) -> np.ndarray:
        score = np.einsum("c,ncl->n", W_BASE, x.astype(np.float64))
        if self.noise:
            # a window-specific, deterministic "shift sensitivity": lognormal factor per window
            z = np.array(
                [
                    np.random.default_rng(
                        int.from_bytes(hashlib.blake2b(w.tobytes()).digest()[:8], "little")
                    ).standard_normal()
                    for w in x
                ]
            )
            score = score + self.noise * z
        return score

    def predict(self, x: np.ndarray) -> np.ndarray:
        assert x.dtype == np.float32 and x.shape[1:] == (4, self.input_length)
        self.calls.append(x.copy())
        cov = np.exp(self._log_cov(x))
        nbins = self.input_length // self.bin_size
        scale = np.arange(1, len(self.target_names) + 1, dtype=np.float64)
        return (cov[:, None, None] * scale[None, :, None] * np.ones((1, 1, nbins))).astype(np.float32)


class BinaryLike(OracleLike):
    kind = "binary"

    def __init__(self, input_length=128):
        super().__init__(input_length=input_length, bin_size=input_length)

    def predict(self, x: np.ndarray) -> np.ndarray:
        s = self._log_cov(x)
        return np.stack([4 * s - 0.5, -2 * s + 0.3], axis=1).astype(np.float32)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


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
# windows: crop and pad keep the variant at the centre


@pytest.mark.parametrize("length", [128, 512, 300, 301])
def test_variant_windows_centre_the_variant(length):
    rng = np.random.default_rng(2)
    element = "".join(rng.choice(list(BASES), size=ELEMENT_LENGTH))
    codes = np.array([BASES.index(b) for b in element], dtype=np.uint8)
    offsets = np.array([0, 5, 150, 299])
    shifts = np.array([0, 3, -7, 0])
    bases = np.array([1, 2, 3, 0], dtype=np.uint8)
    got = variant_window_codes(codes, offsets - length // 2 + shifts, offsets, bases, length)
    assert got.shape == (4, length) and got.dtype == np.uint8
    for row, (o, s, b) in enumerate(zip(offsets, shifts, bases, strict=True)):
        expected = _window(element, int(o), BASES[b], length, int(s))
        assert "".join("ACGTN"[c] for c in got[row]) == expected
        assert got[row, length // 2 - s] == b


@pytest.mark.parametrize("length", [128, 512])
def test_predictor_sees_variant_centred_windows(tmp_path, length):
    """Crop (128 < 300) and N-pad (512 > 300): every window the model sees is centred on its variant."""
    fa, tsv, elements, rows = write_set(tmp_path, positions=[2, 150, 297])
    predictor = OracleLike(input_length=length)
    predict_variant_effects(predictor, load_cagi5(fa, tsv), n_shifts=0)
    seen = np.concatenate(predictor.calls)
    expected = []
    for seq in elements.values():
        for o in (2, 150, 297):
            expected.append(_window(seq, o, seq[o], length))
            expected.extend(_window(seq, o, a, length) for a in BASES if a != seq[o])
    assert len(seen) == len(expected) == len(rows) + 2 * 3  # one shared reference per position
    assert sorted(x.tobytes() for x in seen) == sorted(_one_hot(w).tobytes() for w in expected)
    # N padding is all-zero one-hot; the centre column holds a base
    assert (seen[:, :, length // 2].sum(axis=1) == 1).all()
    n_columns = sorted((seen.sum(axis=1) == 0).sum(axis=1).tolist())
    assert n_columns == sorted(w.count("N") for w in expected)
    # the most padded windows are those of offset 2: length/2 - 2 N columns on the left
    assert n_columns[-1] == length // 2 - 2
    # offset 297 pads on the right: the window ends at 297 + length/2, the element at 300
    assert length // 2 - 3 in n_columns


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
    """Robust effect = log2 of the shift-averaged central-region coverage, rebuilt here."""
    fa, tsv, elements, _ = write_set(tmp_path, positions=[120, 160])
    predictor = OracleLike(input_length=64, bin_size=8, noise=0.3)
    effects = predict_variant_effects(predictor, load_cagi5(fa, tsv), n_shifts=6, seed=3)
    L = 64
    for row in effects.itertuples():
        seq = elements[row.element]
        shifts = draw_shifts(3, row.element, row.window_offset, 6, L)
        assert np.abs(shifts).max() <= L // 4

        def score(base, s, seq=seq, row=row):
            x = _one_hot(_window(seq, row.window_offset, base, L, int(s)))[None]
            cov = predictor.predict(x)[0].mean(axis=0)  # (bins,)
            # common region: the L/2 bases centred on the variant = window [L/4 - s, 3L/4 - s)
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
            logits = predictor.predict(_one_hot(_window(seq, row.window_offset, base, 96, int(s)))[None])
            return _sigmoid(logits.astype(np.float64)).mean()

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
