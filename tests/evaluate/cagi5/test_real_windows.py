"""The real CAGI5 set (../shared/data/cagi5): element-centred standard windows hold no N.

The shipped element windows are 2,048 bp centred on the elements (187-600 bp), so a standard
window of L <= 2,048 lies inside its element window (moved ones included); robust shifts reach
up to L/4 beyond it and, without an hg19 genome, are N there.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchsuite.evaluate.cagi5 import cagi5_evaluate, draw_shifts, load_cagi5, predict_variant_effects


class NCounter:
    """Quantitative stand-in that counts N columns (all-zero one-hot) of every window it gets."""

    kind = "quantitative"
    bin_size = 32
    target_names = ("gc",)

    def __init__(self, input_length: int) -> None:
        self.input_length = input_length
        self.windows = 0
        self.n_columns = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.windows += len(x)
        self.n_columns += int((x.sum(axis=1) == 0).sum())
        gc = x[:, 1:3].sum(axis=1).reshape(len(x), -1, self.bin_size).mean(axis=2)
        return (1.0 + gc)[:, None, :].astype(np.float32)


@pytest.mark.realdata
@pytest.mark.parametrize("length", [512, 1024, 2048])
def test_real_standard_windows_have_no_n(real_data, length):
    fa, tsv = real_data / "cagi5" / "elements.fa", real_data / "cagi5" / "variants.tsv"
    data = load_cagi5(fa, tsv)
    predictor = NCounter(length)
    effects = predict_variant_effects(predictor, data, n_shifts=0)
    n_positions = effects.groupby(["element", "window_offset"]).ngroups
    assert predictor.windows == len(effects) + n_positions
    assert len(effects) == len(data.table) - data.n_mismatched
    assert predictor.n_columns == 0
    assert (effects["padded_standard"] == 0).all()
    # the window lies in its element window and holds the variant in its scored central half
    rel = effects["window_offset"] - effects["window_start"]
    assert (effects["window_start"] >= 0).all() and (effects["window_start"] + length <= 2048).all()
    assert rel.between(length // 4, length // 4 + length // 2 - 1).all()
    if length == 2048:
        assert not effects["moved"].any()  # the paper's window: every element in the central 1,024 bp


@pytest.mark.realdata
def test_real_padded_fraction_is_reported(real_data):
    """Standard windows: 0; robust shifts of a 2,048-bp window: N beyond the element window."""
    fa, tsv = real_data / "cagi5" / "elements.fa", real_data / "cagi5" / "variants.tsv"
    predictor = NCounter(2048)
    result = cagi5_evaluate(predictor, fa, tsv, n_shifts=4, max_variants_per_element=10, seed=0)
    assert result.padded_fraction["standard"] == 0.0
    assert all(row["padded_standard"] == 0.0 for row in result.per_element)
    assert not any(row["genome_flanks"] for row in result.per_element)
    # a shift s pads |s| of 2,048 bases: at most a quarter; the mean |s| of uniform [-512, 512] is ~256
    robust = [row["padded_robust"] for row in result.per_element]
    assert all(0.0 < r <= 0.25 for r in robust)
    assert 0.06 < result.padded_fraction["robust"] < 0.19
    # independently: the standard window is the whole element window, a shift s pads |s| bases
    effects = predict_variant_effects(
        NCounter(2048), load_cagi5(fa, tsv), n_shifts=4, max_variants_per_element=10
    )
    pad = [
        np.abs(draw_shifts(0, r.element, r.window_offset, 4, 2048)).mean() / 2048
        for r in effects.itertuples()
    ]
    np.testing.assert_allclose(effects["padded_robust"], pad)
    assert result.padded_fraction["robust"] == pytest.approx(np.mean(pad))
    by = effects.groupby("element")["padded_robust"].mean()
    assert {r["element"]: r["padded_robust"] for r in result.per_element} == pytest.approx(by.to_dict())
