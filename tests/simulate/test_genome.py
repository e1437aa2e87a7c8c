"""The simulated genome: Markov background, GC domains, gaps, planted elements."""

from __future__ import annotations

import numpy as np
import pyfaidx
import pytest

from benchsuite.simulate.genome import MarkovBackground


@pytest.fixture(scope="module")
def background() -> MarkovBackground:
    return MarkovBackground(np.random.default_rng(0))


def test_markov_background_composition(background: MarkovBackground) -> None:
    for level in (2, 8, 14):
        seq = background.sample(np.full(400, level), np.random.default_rng(level))
        counts = np.bincount(seq, minlength=4) / seq.size
        gc = counts[1] + counts[2]
        assert gc == pytest.approx(background.levels[level], abs=0.015)
        assert counts[0] == pytest.approx(counts[3], abs=0.01)  # strand symmetric
        assert counts[1] == pytest.approx(counts[2], abs=0.01)
        cpg = np.mean((seq[:-1] == 1) & (seq[1:] == 2)) / (counts[1] * counts[2])
        assert cpg < 0.5  # CpG depleted
        # order > 0: dinucleotide frequencies are not products of base frequencies
        aa = np.mean((seq[:-1] == 0) & (seq[1:] == 0)) / counts[0] ** 2
        ta = np.mean((seq[:-1] == 3) & (seq[1:] == 0)) / (counts[0] * counts[3])
        assert aa > 1.05 and ta < 0.9


def test_gc_domains_are_visible(smoke_bundle, smoke_truth: dict) -> None:
    fa = pyfaidx.Fasta(str(smoke_bundle / "genome.fa"))
    dom = smoke_truth["gc_domains"]
    target, measured = [], []
    for c, s, e, gc in zip(dom["chrom"], dom["start"], dom["end"], dom["gc"], strict=True):
        if e - s < 8000:
            continue
        seq = str(fa[c][s:e]).upper()
        acgt = sum(seq.count(b) for b in "ACGT")
        if acgt < 0.9 * (e - s):
            continue
        target.append(gc)
        measured.append((seq.count("G") + seq.count("C")) / acgt)
    fa.close()
    assert len(target) >= 10
    assert np.ptp(target) > 0.05  # domains differ
    assert np.corrcoef(target, measured)[0, 1] > 0.7


def test_gaps_at_ends_and_inside(smoke_truth: dict) -> None:
    gaps = smoke_truth["gaps"]
    sizes = smoke_truth["chrom_sizes"]
    starts_at_zero = sum(s == 0 for s in gaps["start"])
    at_end = sum(e == sizes[c] for c, e in zip(gaps["chrom"], gaps["end"], strict=True))
    internal = sum(
        s > 0 and e < sizes[c] for c, s, e in zip(gaps["chrom"], gaps["start"], gaps["end"], strict=True)
    )
    assert starts_at_zero >= 1 and at_end >= 1 and internal >= 2
    total = sum(e - s for s, e in zip(gaps["start"], gaps["end"], strict=True))
    assert 0.005 < total / sum(sizes.values()) < 0.08


def test_elements_density_and_kinds(smoke_truth: dict) -> None:
    el = smoke_truth["elements"]
    sizes = smoke_truth["chrom_sizes"]
    density = len(el["id"]) / sum(sizes.values()) * 1e3  # per kb
    assert 0.1 < density < 1.0
    assert len(set(el["id"])) == len(el["id"])
    # no element overlaps a gap
    gaps = smoke_truth["gaps"]
    for c, s, e in zip(gaps["chrom"], gaps["start"], gaps["end"], strict=True):
        for ec, es, ee in zip(el["chrom"], el["start"], el["end"], strict=True):
            assert not (ec == c and es < e and s < ee)
    sites = smoke_truth["sites"]
    assert set(sites["element"]) <= set(el["id"])
    assert set(sites["strand"]) == {"+", "-"}
    # cooperative elements carry their pair at a preferred distance
    pairs = {(p["motif_a"], p["motif_b"]): p for p in smoke_truth["grammar"]["coop"]}
    kind = dict(zip(el["id"], el["kind"], strict=True))
    widths = {m["name"]: len(m["ppm"]) for m in smoke_truth["grammar"]["motifs"]}
    found = 0
    by_element: dict[str, list] = {}
    for e, s, m in zip(sites["element"], sites["start"], sites["motif"], strict=True):
        by_element.setdefault(e, []).append((m, s + widths[m] // 2))
    for e, items in by_element.items():
        if kind[e] != "coop":
            continue
        for (ma, ca), (mb, cb) in zip(items, items[1:], strict=False):
            p = pairs.get((ma, mb)) or pairs.get((mb, ma))
            if p and p["min_distance"] <= abs(ca - cb) <= p["max_distance"]:
                found += 1
    assert found >= 0.8 * sum(k == "coop" for k in el["kind"])
