"""The CAGI5-like variant set: layout of the real files, refs, genome context, measured vs oracle effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx
import pytest

from benchsuite.evaluate.cagi5 import load_cagi5, predict_variant_effects, standard_window_starts
from benchsuite.evaluate.predictors import OraclePredictor
from benchsuite.simulate.variants import VARIANT_COLUMNS, context_margin

DOCUMENTED_COLUMNS = [
    "element",
    "split",
    "chrom_hg19",
    "pos_hg19",
    "ref",
    "alt",
    "value",
    "confidence",
    "window_offset",
]


def _table(bundle: Path) -> pd.DataFrame:
    return pd.read_csv(bundle / "variants" / "variants.tsv", sep="\t")


def _elements(bundle: Path) -> dict[str, tuple[str, str]]:
    out = {}
    with open(bundle / "variants" / "elements.fa") as handle:
        name = None
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith(">"):
                name, desc = line[1:].split(" ", 1)
                out[name] = [desc, ""]
            else:
                out[name][1] += line
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_columns_are_the_documented_ones(smoke_bundle: Path) -> None:
    header = (smoke_bundle / "variants" / "variants.tsv").read_text().splitlines()[0].split("\t")
    assert header == DOCUMENTED_COLUMNS == list(VARIANT_COLUMNS)


@pytest.mark.realdata
def test_columns_equal_the_real_cagi5_table(smoke_bundle: Path, real_data: Path) -> None:
    real = (real_data / "cagi5" / "variants.tsv").open().readline().rstrip("\n").split("\t")
    ours = (smoke_bundle / "variants" / "variants.tsv").open().readline().rstrip("\n").split("\t")
    assert ours == real


def test_refs_match_the_windows_and_the_genome(smoke_bundle: Path, smoke_truth: dict) -> None:
    df = _table(smoke_bundle)
    elements = _elements(smoke_bundle)
    assert set(df["element"]) == set(elements)
    genome = pyfaidx.Fasta(str(smoke_bundle / "genome.fa"))
    for name, (desc, seq) in elements.items():
        assert len(seq) == 512  # the smoke input length
        region, tag = desc.split(" ")
        assert tag == "sim"
        chrom, span = region.split(":")
        start, end = map(int, span.split("-"))
        assert chrom == "chr8" and end - start == 512  # held-out test chromosome
        assert str(genome[chrom][start:end]).upper() == seq
        rows = df[df["element"] == name]
        offsets = rows["window_offset"].to_numpy()
        assert np.all(rows["ref"].to_numpy() == np.array([seq[o] for o in offsets]))
        assert np.all(rows["pos_hg19"].to_numpy() == start + offsets + 1)
        assert np.all(rows["ref"] != rows["alt"])
        # saturation: every mutated position carries the three alternatives
        per_pos = rows.groupby("window_offset")["alt"].apply(lambda a: "".join(sorted(a)))
        assert all(len(set(v)) == 3 for v in per_pos)
        span_len = offsets.max() - offsets.min() + 1
        assert 60 <= span_len <= 300 and per_pos.shape[0] == span_len
        assert abs((offsets.min() + offsets.max()) / 2 - 256) < 2  # central region
        assert offsets.min() >= 128 and offsets.max() < 384  # inside the scored central half
        # N-free genome context for the robust shifts (up to L/4 = 128 bp on each side)
        truth = next(e for e in smoke_truth["variants"]["elements"] if e["name"] == name)
        margin = context_margin(512)
        assert (truth["context_start"], truth["context_end"]) == (
            start - margin,
            end + margin,
        ) and margin == 128
        context = str(genome[chrom][start - margin : end + margin]).upper()
        assert len(context) == 512 + 2 * margin and set(context) <= set("ACGT")
    genome.close()


def test_splits_confidence_and_values(smoke_bundle: Path) -> None:
    df = _table(smoke_bundle)
    assert set(df["split"]) == {"challenge_test", "release_train"}
    frac_train = np.mean(df["split"] == "release_train")
    assert 0.1 < frac_train < 0.45
    # splits come in contiguous blocks of positions (all alternatives of a position together)
    assert df.groupby(["element", "window_offset"])["split"].nunique().max() == 1
    assert df["confidence"].between(0, 1).all()
    assert np.isfinite(df["value"]).all()
    # confident variants have larger measured effects
    hi = df["confidence"] >= 0.5
    assert hi.any() and (~hi).any()
    assert df.loc[hi, "value"].abs().mean() > 2 * df.loc[~hi, "value"].abs().mean()


def test_measured_effects_follow_the_oracle(smoke_bundle: Path, smoke_truth: dict, smoke_oracle) -> None:
    df = _table(smoke_bundle)
    elements = _elements(smoke_bundle)
    oracle_effect = np.array(smoke_truth["variants"]["oracle_effect"])
    assert oracle_effect.shape[0] == len(df)
    lut = {b: i for i, b in enumerate("ACGT")}
    for name, (_, seq) in elements.items():
        rows = np.flatnonzero(df["element"].to_numpy() == name)
        # recompute a few effects independently: central-half coverage sum, mean over targets, log2 ratio
        ref = np.array([lut[b] for b in seq], dtype=np.uint8)
        pick = rows[:: max(1, rows.size // 12)]
        alts = np.repeat(ref[None], pick.size, axis=0)
        for i, r in enumerate(pick):
            alts[i, df["window_offset"].iloc[r]] = lut[df["alt"].iloc[r]]
        cov = smoke_oracle.predict_codes(np.concatenate([ref[None], alts]))
        score = cov[:, :, 128:384].astype(np.float64).sum(axis=2).mean(axis=1)
        np.testing.assert_allclose(np.log2(score[1:] / score[0]), oracle_effect[pick], atol=2e-5)
        # measured = oracle effect + assay noise: correlated, not identical
        r = np.corrcoef(df["value"].to_numpy()[rows], oracle_effect[rows])[0, 1]
        assert 0.5 < r < 0.99, (name, r)
        assert np.abs(oracle_effect[rows]).max() > 0.05  # the elements have sensitive positions


class _Recorder(OraclePredictor):
    """The oracle as a predictor, recording the N columns (all-zero one-hot) of its inputs."""

    n_columns = 0
    windows = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.windows += len(x)
        self.n_columns += int((x.sum(axis=1) == 0).sum())
        return super().predict(x)


def test_harness_windows_reproduce_the_measured_effects(
    smoke_bundle: Path, smoke_truth: dict, smoke_oracle
) -> None:
    """The harness's windows (bundle genome for the flanks) hold no N, and on them the oracle's
    standard effects are the bundle's oracle_effect, of which the measured value is a noisy copy."""
    data = load_cagi5(smoke_bundle / "variants" / "elements.fa", smoke_bundle / "variants" / "variants.tsv")
    assert data.n_mismatched == 0
    predictor = _Recorder(smoke_oracle, 512, 1)
    effects = predict_variant_effects(predictor, data, n_shifts=4, seed=3, genome=smoke_bundle / "genome.fa")
    assert len(effects) == len(data.table) and predictor.windows > 4 * len(effects)
    assert predictor.n_columns == 0
    assert effects["genome_flanks"].all() and not effects["moved"].any()
    assert (effects["padded_standard"] == 0).all() and (effects["padded_robust"] == 0).all()
    # the standard window is the element window itself (W = L = 512)
    starts, _ = standard_window_starts(512, effects["window_offset"].to_numpy(), 512)
    assert (starts == 0).all() and (effects["window_start"] == 0).all()
    oracle_effect = np.array(smoke_truth["variants"]["oracle_effect"])
    np.testing.assert_allclose(effects["standard"], oracle_effect[effects["line"] - 2], atol=1e-4)
    # robust windows differ from the standard one: the oracle is not exactly shift-invariant
    assert not np.allclose(effects["robust"], effects["standard"], atol=1e-6)
    assert np.corrcoef(effects["robust"], effects["standard"])[0, 1] > 0.9
    # measured = assay scale x effect + noise, per element
    for element in smoke_truth["variants"]["elements"]:
        rows = effects[effects["element"] == element["name"]]
        residual = rows["value"] - element["assay_scale"] * rows["standard"]
        assert abs(residual.std() / element["noise_sd"] - 1) < 0.25, element["name"]
