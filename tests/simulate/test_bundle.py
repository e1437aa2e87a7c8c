"""The simulated bundle: real files, replicate noise, N gaps, seeds, refusals.

``benchsuite simulate`` and its byte-identical rerun are tested in ``tests/cli/test_simulate.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyBigWig
import pyfaidx
import pytest
import yaml

from benchsuite.errors import ConfigError
from benchsuite.simulate import get_profile, simulate_bundle


def _manifest(bundle: Path) -> dict:
    return yaml.safe_load((bundle / "manifest.yaml").read_text(encoding="utf-8"))


def _track_values(path: Path, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    bw = pyBigWig.open(str(path))
    try:
        return {c: np.asarray(bw.values(c, 0, n, numpy=True), dtype=np.float64) for c, n in sizes.items()}
    finally:
        bw.close()


def _genome_sizes(bundle: Path) -> dict[str, int]:
    fa = pyfaidx.Fasta(str(bundle / "genome.fa"))
    try:
        return {name: len(fa[name]) for name in fa.records}
    finally:
        fa.close()


def test_manifest_follows_the_schema(smoke_bundle: Path) -> None:
    m = _manifest(smoke_bundle)
    assert m["benchsuite_manifest"] == 1
    assert m["name"] == "sim-smoke-seed0"
    assert m["genome"] == "genome.fa"
    assert m["split"] == {"test": ["chr8"], "valid": ["chr9"], "train": None, "exclude": []}
    assert m["excluded"] == "excluded.bed" and m["motifs"] == "motifs.meme" and m["truth"] == "truth.json"
    assert m["variants"] == {"sequences": "variants/elements.fa", "table": "variants/variants.tsv"}
    assert m["map_chrom_names"] is False
    prof = get_profile("smoke")
    assert m["geometry"] == {
        "chunk_length": 768,
        "input_length": 512,
        "bin_sizes": [1, 32, 128],
        "common_bin": 128,
        "coverage_threshold": 2.0,
    }
    assert len(m["targets"]) == prof.n_celltypes == 3
    for t in m["targets"]:
        assert set(t) == {"name", "track", "replicate2", "peaks", "description"}
        for key in ("track", "replicate2", "peaks"):
            assert (smoke_bundle / t[key]).is_file()
    sim = m["simulator"]
    assert sim["profile"] == "smoke" and sim["seed"] == 0 and sim["version"]
    assert len(sim["fingerprint"]) == 64
    # every file the manifest names exists
    for key in ("genome", "excluded", "motifs", "truth"):
        assert (smoke_bundle / m[key]).is_file()


def test_manifest_loads_with_the_data_loader(smoke_bundle: Path) -> None:
    from benchsuite.data.manifest import load_manifest

    m = load_manifest(smoke_bundle)
    assert m.target_names == ("celltype_A", "celltype_B", "celltype_C")
    assert m.split.test == ("chr8",) and m.split.valid == ("chr9",)
    assert m.geometry.chunk_length == 768 and m.geometry.coverage_threshold == 2.0
    assert m.truth is not None and m.variants is not None and m.simulator["profile"] == "smoke"


def test_every_file_opens_and_chromosomes_match(smoke_bundle: Path, smoke_truth: dict) -> None:
    from benchsuite.io.bed import read_bed
    from benchsuite.io.fasta import read_fasta_records
    from benchsuite.io.meme import read_meme

    sizes = _genome_sizes(smoke_bundle)
    assert list(sizes) == [f"chr{i}" for i in range(1, 10)]
    assert sizes == dict(get_profile("smoke").chrom_sizes) == smoke_truth["chrom_sizes"]
    for track in sorted((smoke_bundle / "tracks").glob("*.bw")):
        bw = pyBigWig.open(str(track))
        assert bw is not None and bw.isBigWig()
        assert bw.chroms() == sizes
        bw.close()
    assert len(list((smoke_bundle / "tracks").glob("*.bw"))) == 6
    for peaks in sorted((smoke_bundle / "peaks").glob("*.narrowPeak")):
        iv = read_bed(peaks, chrom_sizes=sizes)
        assert iv.is_narrowpeak and len(iv) > 20
        assert np.all(iv.end > iv.start)
        assert np.all((iv.peak >= 0) & (iv.peak < iv.end - iv.start))
        assert np.all(iv.signal > 1.0) and np.all(iv.qvalue >= 2.0)  # q < 0.01
    excluded = read_bed(smoke_bundle / "excluded.bed", chrom_sizes=sizes)
    assert len(excluded) > 0
    motifs = [m for m in read_meme(smoke_bundle / "motifs.meme") if m.alt_name != "decoy"]  # planted
    names = [m.name for m in motifs]
    assert names == [m["name"] for m in smoke_truth["grammar"]["motifs"]]
    assert "CGACCGAACTCC" in names and "AP1" in names and len(names) >= 8
    for motif, truth_motif in zip(motifs, smoke_truth["grammar"]["motifs"], strict=True):
        np.testing.assert_allclose(motif.ppm, np.array(truth_motif["ppm"]), atol=1e-6)
    records = read_fasta_records(smoke_bundle / "variants" / "elements.fa")
    assert len(records) == get_profile("smoke").n_variant_elements
    fa = pyfaidx.Fasta(str(smoke_bundle / "variants" / "elements.fa"))
    assert all(len(fa[name]) == 512 for name in fa.records)
    fa.close()


def test_replicate_pearson_is_realistic(smoke_bundle: Path, smoke_truth: dict) -> None:
    sizes = _genome_sizes(smoke_bundle)
    for target in _manifest(smoke_bundle)["targets"]:
        r1 = _track_values(smoke_bundle / target["track"], sizes)
        r2 = _track_values(smoke_bundle / target["replicate2"], sizes)
        x = np.concatenate([r1[c] for c in sizes])
        y = np.concatenate([r2[c] for c in sizes])
        ok = ~(np.isnan(x) | np.isnan(y))
        r = np.corrcoef(x[ok], y[ok])[0, 1]
        assert 0.6 <= r <= 0.9, f"{target['name']}: replicate Pearson {r:.3f} outside [0.6, 0.9]"
        assert r == pytest.approx(smoke_truth["replicate_pearson"][target["name"]], abs=1e-4)
        # the replicates are not copies: they differ almost everywhere in the signal
        assert np.mean(x[ok] != y[ok]) > 0.5
        assert np.all(x[ok] >= 0) and np.all(y[ok] >= 0)


def test_n_gaps_are_nan_and_excluded(smoke_bundle: Path) -> None:
    from benchsuite.io.bed import read_bed

    sizes = _genome_sizes(smoke_bundle)
    fa = pyfaidx.Fasta(str(smoke_bundle / "genome.fa"))
    is_n = {c: np.frombuffer(str(fa[c][:]).upper().encode(), dtype="S1") == b"N" for c in sizes}
    fa.close()
    excluded = read_bed(smoke_bundle / "excluded.bed")
    mask = {c: np.zeros(n, bool) for c, n in sizes.items()}
    for c, s, e in zip(excluded.chrom, excluded.start, excluded.end, strict=True):
        mask[str(c)][s:e] = True
    assert any(mask["chr8"][1000:-1000]), "the test chromosome should carry an internal gap"
    for c in sizes:
        np.testing.assert_array_equal(mask[c], is_n[c], err_msg=f"excluded.bed != N runs on {c}")
    target = _manifest(smoke_bundle)["targets"][0]
    for key in ("track", "replicate2"):
        values = _track_values(smoke_bundle / target[key], sizes)
        for c in sizes:
            nan = np.isnan(values[c])
            np.testing.assert_array_equal(nan, is_n[c], err_msg=f"NaN != N on {c} in {target[key]}")


def test_coverage_threshold_selects_a_meaningful_fraction(smoke_bundle: Path, smoke_truth: dict) -> None:
    sizes = _genome_sizes(smoke_bundle)
    chunk = 768
    maxima = []
    for target in _manifest(smoke_bundle)["targets"]:
        values = _track_values(smoke_bundle / target["track"], sizes)
        per = []
        for c, n in sizes.items():
            k = n // chunk
            per.append(values[c][: k * chunk].reshape(k, chunk).max(axis=1))
        maxima.append(np.concatenate(per))
    m = np.stack(maxima)
    ok = ~np.isnan(m).any(axis=0)
    frac = float((m[:, ok].max(axis=0) > 2.0).mean())
    assert 0.2 <= frac <= 0.55, frac
    assert frac == pytest.approx(smoke_truth["stats"]["chunks"]["fraction_above"], abs=1e-6)


def test_tracks_follow_the_oracle(smoke_bundle: Path, smoke_oracle) -> None:
    fa = pyfaidx.Fasta(str(smoke_bundle / "genome.fa"))
    seq = str(fa["chr8"][:])
    fa.close()
    codes = np.frombuffer(seq.upper().encode(), dtype=np.uint8)
    lut = np.full(256, 4, dtype=np.uint8)
    for i, b in enumerate(b"ACGT"):
        lut[b] = i
    codes = lut[codes]
    expected = smoke_oracle.predict_codes(codes[None])[0]
    sizes = _genome_sizes(smoke_bundle)
    for t, target in enumerate(_manifest(smoke_bundle)["targets"]):
        rep1 = _track_values(smoke_bundle / target["track"], {"chr8": sizes["chr8"]})["chr8"]
        ok = ~np.isnan(rep1)
        r = np.corrcoef(rep1[ok], expected[t][ok])[0, 1]
        assert r > 0.6, f"{target['name']}: oracle vs replicate 1 r = {r:.3f}"
        # fold-change scale: the track mean is close to the expected mean
        assert rep1[ok].mean() == pytest.approx(expected[t][ok].mean(), rel=0.25)


def test_peaks_sit_on_signal(smoke_bundle: Path, smoke_truth: dict) -> None:
    from benchsuite.io.bed import read_bed

    sizes = _genome_sizes(smoke_bundle)
    hits = smoke_truth["hits"]
    for target in _manifest(smoke_bundle)["targets"]:
        peaks = read_bed(smoke_bundle / target["peaks"])
        rep1 = _track_values(smoke_bundle / target["track"], sizes)
        summit_values = np.array(
            [rep1[str(c)][s + p] for c, s, p in zip(peaks.chrom, peaks.start, peaks.peak, strict=True)],
            dtype=np.float64,
        )
        genome_median = np.nanmedian(np.concatenate(list(rep1.values())))
        assert np.median(summit_values) > 3 * genome_median
        # most peaks hold a strong motif hit within 150 bp of the summit
        near = 0
        for c, s, p in zip(peaks.chrom, peaks.start, peaks.peak, strict=True):
            pos = np.array([h for hc, h in zip(hits["chrom"], hits["position"], strict=True) if hc == c])
            near += bool(pos.size and np.min(np.abs(pos - (s + p))) <= 150)
        assert near / len(peaks) > 0.6


def test_truth_records_planted_elements_and_sites(smoke_bundle: Path, smoke_truth: dict) -> None:
    el, sites = smoke_truth["elements"], smoke_truth["sites"]
    assert len(el["id"]) == smoke_truth["stats"]["n_elements"] > 100
    assert set(el["kind"]) >= {"specific", "ap1", "coop", "primer"}
    fa = pyfaidx.Fasta(str(smoke_bundle / "genome.fa"))
    motifs = {m["name"]: np.array(m["ppm"]) for m in smoke_truth["grammar"]["motifs"]}
    comp = str.maketrans("ACGT", "TGCA")
    agree = []
    for c, s, e, name, strand in zip(
        sites["chrom"], sites["start"], sites["end"], sites["motif"], sites["strand"], strict=True
    ):
        seq = str(fa[c][s:e]).upper()
        if strand == "-":
            seq = seq.translate(comp)[::-1]
        cons = "".join("ACGT"[i] for i in motifs[name].argmax(axis=1))
        agree.append(np.mean([a == b for a, b in zip(seq, cons, strict=True)]))
    fa.close()
    assert np.mean(agree) > 0.75  # planted sites resemble their motif's consensus
    planted = np.array(smoke_truth["hits"]["planted"])
    assert planted.mean() > 0.5 and (~planted).sum() > 0  # chance hits exist but planted ones dominate


def test_different_seed_gives_a_different_bundle(smoke_bundle: Path, tmp_path: Path) -> None:
    other = simulate_bundle("smoke", tmp_path / "seed1", 1, progress=False)
    assert _manifest(other)["simulator"]["fingerprint"] != _manifest(smoke_bundle)["simulator"]["fingerprint"]
    assert (other / "genome.fa").read_bytes() != (smoke_bundle / "genome.fa").read_bytes()
    assert (other / "tracks" / "celltype_A.rep1.bw").read_bytes() != (
        smoke_bundle / "tracks" / "celltype_A.rep1.bw"
    ).read_bytes()


def test_refuses_non_empty_folder_and_bad_options(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError) as err:
        simulate_bundle("smoke", out, 0, progress=False)
    assert str(out) in str(err.value) and "--force" in str(err.value)
    assert (out / "keep.txt").read_text() == "mine"  # untouched
    with pytest.raises(ConfigError, match="unknown simulator profile"):
        simulate_bundle("huge", tmp_path / "x", 0, progress=False)
    with pytest.raises(ConfigError, match="non-negative"):
        simulate_bundle("smoke", tmp_path / "x", -1, progress=False)
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a directory") as err:
        simulate_bundle("smoke", afile, 0, progress=False)
    assert err.value.source == "--out" and str(afile) in err.value.message
    with pytest.raises(ConfigError, match=f"its parent {afile} is a file"):
        simulate_bundle("smoke", afile / "sub", 0, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "file"]  # nothing created


@pytest.mark.slow
def test_force_replaces_and_smoke_is_fast(tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "old.txt").write_text("old")
    t0 = time.perf_counter()
    simulate_bundle("smoke", out, 3, force=True, progress=False)
    wall = time.perf_counter() - t0
    assert wall < 30.0, f"smoke simulation took {wall:.1f} s"
    assert not (out / "old.txt").exists() and (out / "manifest.yaml").is_file()
    assert not any(p.name.startswith(".busy") for p in tmp_path.iterdir())  # no temporary folder left


def test_simulate_removes_stale_temporaries_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import subprocess
    import sys

    from benchsuite.io.atomic import host_name
    from benchsuite.simulate import bundle as bundle_module

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = tmp_path / f".sim.tmp-{host_name()}-{proc.pid}-0123abcd"
    live = tmp_path / f".sim.tmp-{host_name()}-{os.getpid()}-89abcdef"
    other = tmp_path / f".sim.tmp-node17-{proc.pid}-0123abcd"
    for folder in (dead, live, other):
        (folder / "tracks").mkdir(parents=True)

    class Stop(RuntimeError):
        pass

    def stop(*args: object, **kwargs: object) -> None:
        raise Stop

    monkeypatch.setattr(bundle_module, "make_grammar", stop)
    with pytest.raises(Stop):
        simulate_bundle("smoke", tmp_path / "sim", 0, progress=False)
    assert not dead.exists() and live.is_dir() and other.is_dir()
    # the interrupted run removed its own temporary folder
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
