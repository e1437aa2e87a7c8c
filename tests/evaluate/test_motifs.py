"""Tests of benchsuite.evaluate.motifs (first-layer filters vs a motif database) and the logos."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from benchsuite.errors import InputFileError, PluginError
from benchsuite.evaluate.figures import information_content, plot_motif_logos
from benchsuite.evaluate.motifs import (
    PSEUDOCOUNT,
    NotApplicable,
    activation_ppms,
    bh_qvalues,
    locate_first_layer,
    motif_recovery,
    select_motifs,
)
from benchsuite.io.meme import Motif, read_meme
from benchsuite.io.onehot import decode_codes, encode_sequence
from tests.evaluate import conftest_motifs
from tests.evaluate.conftest_motifs import (
    N_PLANTED,
    DenseNet,
    SmallConvNet,
    embed_motifs,
    set_log_odds_filters,
    write_logo_data,
)

planted_world = conftest_motifs.planted_world  # module-scoped fixture

JASPAR = "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms_meme.txt"


# ----------------------------------------------------------------------------------------------
# Benjamini-Hochberg


def test_bh_qvalues_hand_checked():
    # sorted: 0.005 (rank 1) -> 0.02, 0.01 (2) -> 0.02, 0.03 (3) -> 0.04, 0.04 (4) -> 0.04
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(q, [0.02, 0.04, 0.04, 0.02])
    # monotone step-up: rank 2 (0.2 * 3 / 2 = 0.3) is capped by rank 3 (0.25 * 3 / 3 = 0.25)
    np.testing.assert_allclose(bh_qvalues(np.array([0.2, 0.25, 0.01])), [0.25, 0.25, 0.03])
    np.testing.assert_allclose(bh_qvalues(np.array([0.9, 0.8])), [0.9, 0.9])
    np.testing.assert_allclose(bh_qvalues(np.array([np.nan, 0.01])), [1.0, 0.02])


def _bh_direct(p: np.ndarray) -> np.ndarray:
    m = len(p)
    ranks = np.empty(m)
    ranks[np.argsort(p, kind="stable")] = np.arange(1, m + 1)
    adjusted = p * m / ranks
    return np.array([min(1.0, adjusted[p >= p[i]].min()) for i in range(m)])


def test_bh_qvalues_per_row_matches_direct_definition():
    rng = np.random.default_rng(0)
    p = rng.random((5, 40)) ** 3
    q = bh_qvalues(p, axis=1)
    for row in range(5):
        np.testing.assert_allclose(q[row], _bh_direct(p[row]))
    np.testing.assert_allclose(bh_qvalues(p.T, axis=0), q.T)
    assert np.all(q >= p)


# ----------------------------------------------------------------------------------------------
# locating the first layer


def test_no_conv_raises_not_applicable():
    with pytest.raises(NotApplicable, match="Conv1d"):
        locate_first_layer(DenseNet(50), None)
    with pytest.raises(NotApplicable) as info:
        motif_recovery(DenseNet(50), None, np.zeros((3, 50), dtype=np.uint8), "does-not-matter.meme")
    assert "Conv1d" in info.value.reason
    assert isinstance(info.value, Exception)


def test_locate_first_layer_auto_and_named():
    model = SmallConvNet(5)
    auto = locate_first_layer(model, None)
    assert auto.conv is model.conv1 and auto.module is model.conv1 and auto.apply_relu
    named = locate_first_layer(model, "act")
    assert named.conv is model.conv1 and named.module is model.act and not named.apply_relu
    assert named.width == 13 and named.n_filters == 5
    with pytest.raises(PluginError, match="conv9"):
        locate_first_layer(model, "conv9.act")


class _PooledNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 3, 5)
        self.pool = torch.nn.MaxPool1d(4)

    def forward(self, x):
        return self.pool(torch.relu(self.conv(x))).sum(dim=(1, 2))


def test_pooled_activation_cannot_be_aligned():
    codes = np.zeros((2, 40), dtype=np.uint8)
    with pytest.raises(NotApplicable, match="cannot be aligned"):
        activation_ppms(_PooledNet(), "pool", codes)


class _ExplodingHead(torch.nn.Module):
    """The rest of the model must never run: its head raises."""

    def __init__(self, conv: torch.nn.Conv1d):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        self.conv(x)
        raise AssertionError("forward went past the first layer")


# ----------------------------------------------------------------------------------------------
# activation-based alignment on hand-built filters


def _exact_matcher(pattern: str, *, dilation: int = 1, padding="valid") -> torch.nn.Conv1d:
    """Filter scoring +1 per matching base, bias -(len - 1): activation 1 only on exact matches."""
    w = len(pattern)
    conv = torch.nn.Conv1d(4, 1, w, dilation=dilation, padding=padding)
    weight = torch.zeros(1, 4, w)
    for j, base in enumerate(pattern):
        weight[0, "ACGT".index(base), j] = 1.0
    with torch.no_grad():
        conv.weight.copy_(weight)
        conv.bias.fill_(-(w - 1))
    return conv


def _count_matches(codes: np.ndarray, regex: str) -> int:
    return sum(len(re.findall(f"(?={regex})", decode_codes(row))) for row in codes)


@pytest.mark.parametrize(
    ("dilation", "padding", "regex"),
    [(1, "valid", "ACGTT"), (1, "same", "ACGTT"), (2, 0, "A.C.G.T.T"), (1, 3, "ACGTT")],
)
def test_alignment_recovers_exact_pattern(dilation, padding, regex):
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, size=(30, 80), dtype=np.uint8)
    site = encode_sequence(regex.replace(".", "G"))
    for row in range(0, 30, 2):
        start = int(rng.integers(0, 80 - len(site)))
        codes[row, start : start + len(site)] = site
    codes[1, : len(site)] = site  # a site at the very start (padded windows for 'same')
    codes[3, -len(site) :] = site  # and at the very end
    conv = _exact_matcher("ACGTT", dilation=dilation, padding=padding)
    result = activation_ppms(_ExplodingHead(conv), None, codes, batch_size=7)
    n = _count_matches(codes, regex)
    assert result.n_sites.tolist() == [n]
    assert result.max_activation[0] == pytest.approx(1.0)
    expected_counts = np.zeros((5, 4)) + PSEUDOCOUNT
    for j, base in enumerate("ACGTT"):
        expected_counts[j, "ACGT".index(base)] += n
    np.testing.assert_allclose(result.ppms[0], expected_counts / expected_counts.sum(1, keepdims=True))


def test_alignment_threshold_and_dead_filters():
    # filter 0 counts A's in a 3-window (activations 0..3); filter 1 never activates
    conv = torch.nn.Conv1d(4, 2, 3)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, :] = 1.0
        conv.bias.copy_(torch.tensor([0.0, -1.0]))
    codes = np.stack([encode_sequence("AAACCCCCCAACCCCCC"), encode_sequence("CCCCCACCCCCCCCCCA")])
    result = activation_ppms(torch.nn.Sequential(conv), None, codes)
    # max 3 -> windows with activation > 1.5, i.e. 2 or 3 A's: AAA, AAC, CAA, AAC (all in row 0)
    assert result.n_sites.tolist() == [4, 0]
    counts = np.array([[3, 1, 0, 0], [4, 0, 0, 0], [2, 2, 0, 0]], dtype=float) + PSEUDOCOUNT
    np.testing.assert_allclose(result.ppms[0], counts / counts.sum(1, keepdims=True))
    np.testing.assert_allclose(result.ppms[1], 0.25)
    # a float64 model gets float64 inputs and gives the same matrices
    result64 = activation_ppms(torch.nn.Sequential(conv).double(), None, codes)
    assert result64.n_sites.tolist() == [4, 0]
    np.testing.assert_allclose(result64.ppms, result.ppms)


def test_named_activation_is_used_without_extra_relu():
    model = SmallConvNet(2, width=3)
    with torch.no_grad():
        model.conv1.weight.zero_()
        model.conv1.weight[0, 2, :] = 1.0  # counts G's
        model.conv1.weight[1, 2, :] = -1.0
        model.conv1.bias.copy_(torch.tensor([0.0, 3.0]))  # filter 1: 3 - #G, max where no G
    model.act = torch.nn.Identity()  # the "activation" is the raw conv output
    codes = np.stack([encode_sequence("GGGTTTTTTTTTTTTT")])
    result = activation_ppms(model, "act", codes)
    assert result.max_activation.tolist() == [3.0, 3.0]
    # 'same' padding: output i sees input i-1..i+1. Filter 0 (> 1.5): [pad]GG, GGG, GGT.
    # Filter 1 (3 - #G > 1.5): every window from GTT (2) on, including TT[pad] (3): 13 windows.
    assert result.n_sites.tolist() == [3, 13]
    counts = np.array([[0, 0, 2, 0], [0, 0, 3, 0], [0, 0, 2, 1]], dtype=float) + PSEUDOCOUNT
    np.testing.assert_allclose(result.ppms[0], counts / counts.sum(1, keepdims=True))
    assert model.training  # mode restored


# ----------------------------------------------------------------------------------------------
# database selection and logos


def test_select_motifs_excludes_by_name_alt_name_and_jaspar_id():
    ppm = np.full((3, 4), 0.25)
    db = [Motif("MA1929.2", ppm, "CTCF"), Motif("MA0615.1", ppm, "Gmeb1"), Motif("MA0004.1", ppm, "Arnt")]
    kept, removed = select_motifs(db, ("MA1929.1", "MA0615.1"))
    assert [m.name for m in kept] == ["MA0004.1"] and removed == ["MA1929.2", "MA0615.1"]
    kept, _ = select_motifs(db, ("Arnt",))
    assert [m.name for m in kept] == ["MA1929.2", "MA0615.1"]
    assert len(select_motifs(db, ())[0]) == 3


def test_information_content():
    ppm = np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0]])
    heights = information_content(ppm)
    np.testing.assert_allclose(heights.sum(axis=1), [2.0, 0.0, 1.0])
    np.testing.assert_allclose(heights[2], [0.5, 0.5, 0, 0])


def test_plot_motif_logos_writes_png(tmp_path):
    rng = np.random.default_rng(0)
    ppms = [rng.dirichlet(np.full(4, 0.3), size=w) for w in (6, 9, 12)]
    path = plot_motif_logos(ppms, ["a", "b", "c"], tmp_path / "sub" / "logos.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5000
    with pytest.raises(ValueError, match="titles"):
        plot_motif_logos(ppms, ["a"], tmp_path / "x.png")


def test_logo_data_holds_the_best_matched_filters_and_no_png(tmp_path):
    from benchsuite.evaluate.motifs.recovery import MAX_LOGOS

    n = MAX_LOGOS + 6
    data = write_logo_data(tmp_path, n, unmatched=(3, 5))
    doc = json.loads(data.path.read_text(encoding="utf-8"))
    matched = [m for m in data.matches if m["n_matches"] > 0]
    best = sorted(m["filter"] for m in sorted(matched, key=lambda m: m["best_q"])[:MAX_LOGOS])
    assert doc["name"] == "motifs.logos" and doc["kind"] == "motif_logos" and doc["matched"] is True
    assert doc["filters"] == best and 3 not in best and 5 not in best
    assert doc["best_q"] == [data.matches[f]["best_q"] for f in best]
    assert doc["best_motif"] == [data.motifs[f % 3].name for f in best]
    m = data.motifs[best[0] % 3]
    q = data.matches[best[0]]["best_q"]
    assert doc["titles"][0] == f"filter {best[0]}: {m.name} {m.alt_name} (q={q:.2g})"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["filters.meme", "motif_logos.json"]


def test_logo_data_without_matches_shows_the_filters_with_most_sites(tmp_path):
    data = write_logo_data(tmp_path, 20, unmatched=range(20))
    doc = json.loads(data.path.read_text(encoding="utf-8"))
    most = sorted(data.matches, key=lambda m: (-m["n_sites"], m["filter"]))[:16]
    assert doc["matched"] is False and doc["filters"] == sorted(m["filter"] for m in most)
    assert doc["titles"] == [f"filter {f}: no match at q<0.05" for f in doc["filters"]]


def test_missing_database_is_an_input_error(tmp_path):
    with pytest.raises(InputFileError, match="motif database not found"):
        motif_recovery(SmallConvNet(2), None, np.zeros((2, 30), dtype=np.uint8), tmp_path / "none.meme")


# ----------------------------------------------------------------------------------------------
# Tomtom (numba compile on first use: slow tier)


@pytest.mark.slow
def test_planted_filters_recover_planted_motifs(planted_world, tmp_path):
    torch.set_num_threads(1)
    truth = [m.name for m in planted_world.planted]
    model = SmallConvNet(N_PLANTED)
    set_log_odds_filters(model.conv1, planted_world.planted)
    result = motif_recovery(
        model, "act", planted_world.codes, planted_world.database, ground_truth=truth, out_dir=tmp_path
    )
    assert result.n_filters == N_PLANTED
    assert result.recovery_rate >= 0.9
    assert len(result.recovered) >= 0.9 * N_PLANTED and set(result.recovered) <= set(truth)
    assert result.hit_ratio >= 0.9
    best = [m["best_motif"] for m in result.matches]
    assert sum(b == t for b, t in zip(best, truth, strict=True)) >= 0.9 * N_PLANTED
    # metrics follow from the per-filter table
    assert result.hit_ratio == pytest.approx(np.mean([m["n_matches"] > 0 for m in result.matches]))
    assert result.mean_best_q == pytest.approx(np.mean([m["best_q"] for m in result.matches]))
    assert all(m["best_q"] >= m["best_p"] for m in result.matches)
    assert result.mean_best_q < 1e-3
    # outputs: the logos' data (no PNG) and the filters as a MEME file
    assert result.figure == str(tmp_path / "motif_logos.json")
    assert not list(tmp_path.glob("*.png"))
    filters = read_meme(tmp_path / "filters.meme")
    assert len(filters) == N_PLANTED and filters[0].width == model.conv1.kernel_size[0]


@pytest.mark.slow
def test_random_filters_recover_few(planted_world):
    torch.set_num_threads(1)
    truth = [m.name for m in planted_world.planted]
    rates = []
    for seed in range(3):
        torch.manual_seed(seed)
        result = motif_recovery(
            SmallConvNet(N_PLANTED), None, planted_world.codes, planted_world.database, ground_truth=truth
        )
        rates.append(result.recovery_rate)
        assert result.recovery_rate < 0.3
    assert np.mean(rates) < 0.2


@pytest.mark.slow
def test_excluding_ground_truth_motif_counts_as_not_recovered(planted_world):
    truth = [m.name for m in planted_world.planted]
    model = SmallConvNet(N_PLANTED)
    set_log_odds_filters(model.conv1, planted_world.planted)
    result = motif_recovery(
        model,
        None,
        planted_world.codes,
        planted_world.database,
        ground_truth=truth,
        exclude_motifs=(truth[0],),
        max_sequences=200,
    )
    assert truth[0] not in result.recovered
    assert result.matches[0]["best_motif"] != truth[0]
    assert result.recovery_rate <= (N_PLANTED - 1) / N_PLANTED


@pytest.mark.slow
@pytest.mark.realdata
def test_planted_jaspar_filters_match_their_motifs(real_data):
    torch.set_num_threads(1)
    database = real_data / JASPAR
    by_name = {m.name: m for m in read_meme(database)}
    names = ["MA0139.2", "MA0138.3", "MA0035.5"]  # CTCF, REST, GATA1
    chosen = [by_name[n] for n in names]
    rng = np.random.default_rng(3)
    codes = embed_motifs(rng, chosen, 300, 300)
    model = SmallConvNet(3, width=max(m.width for m in chosen) | 1)  # odd: symmetric 'same' padding
    set_log_odds_filters(model.conv1, chosen)
    result = motif_recovery(
        model, "act", codes, database, ground_truth=names, exclude_motifs=("MA1929.1", "MA0615.1")
    )
    assert [m["best_motif"] for m in result.matches] == names
    assert result.recovery_rate == 1.0 and result.hit_ratio == 1.0
    assert all(m["best_q"] < 1e-6 for m in result.matches)
