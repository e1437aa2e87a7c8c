from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchsuite.errors import InputFileError
from benchsuite.io.meme import Motif, read_meme, write_meme

JASPAR = "jaspar/JASPAR2024_CORE_vertebrates_non-redundant_pfms_meme.txt"

HEADER = (
    "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
    "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
)


def _motifs() -> list[Motif]:
    rng = np.random.default_rng(0)
    out = []
    for i, w in enumerate((3, 8, 12)):
        ppm = rng.dirichlet(np.ones(4), size=w)
        out.append(Motif(name=f"M{i}", ppm=ppm, alt_name="TF" + str(i) if i else ""))
    return out


def test_read_hand_written(tmp_path: Path):
    path = tmp_path / "m.meme"
    path.write_text(
        HEADER
        + "MOTIF MA0004.1 Arnt\n"
        + "letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0\n"
        + "  0.2\t0.8\t0.0\t0.0\t\n  0.95  0.0  0.05  0.0\n"
        + "URL http://jaspar.genereg.net/matrix/MA0004.1\n\n"
        + "MOTIF solo\nletter-probability matrix: alength= 4 w= 1\n0.25 0.25 0.25 0.25\n"
    )
    motifs = read_meme(path)
    assert [m.name for m in motifs] == ["MA0004.1", "solo"]
    assert motifs[0].alt_name == "Arnt" and motifs[1].alt_name == ""
    np.testing.assert_allclose(motifs[0].ppm, [[0.2, 0.8, 0, 0], [0.95, 0, 0.05, 0]])
    assert motifs[0].width == 2 and motifs[0].consensus == "CA"


def test_round_trip(tmp_path: Path):
    motifs = _motifs()
    path = write_meme(tmp_path / "out.meme", motifs)
    back = read_meme(path)
    assert [(m.name, m.alt_name) for m in back] == [(m.name, m.alt_name) for m in motifs]
    for a, b in zip(motifs, back, strict=True):
        np.testing.assert_allclose(a.ppm, b.ppm, atol=2e-6)
        np.testing.assert_allclose(b.ppm.sum(axis=1), 1.0, atol=1e-12)


def test_memelite_reads_output(tmp_path: Path):
    memelite_io = pytest.importorskip("memelite.io")
    motifs = _motifs()
    path = write_meme(tmp_path / "out.meme", motifs)
    pwms = memelite_io.read_meme(str(path))
    assert list(pwms) == ["M0", "M1 TF1", "M2 TF2"]
    for motif, pwm in zip(motifs, pwms.values(), strict=True):
        assert pwm.shape == (4, motif.width)  # memelite stores (4, w)
        np.testing.assert_allclose(pwm.T, motif.ppm, atol=1e-6)


def test_background_written(tmp_path: Path):
    path = write_meme(tmp_path / "bg.meme", _motifs()[:1], background=(0.3, 0.2, 0.2, 0.3))
    assert "A 0.3 C 0.2 G 0.2 T 0.3" in path.read_text()
    with pytest.raises(ValueError):
        write_meme(tmp_path / "x.meme", _motifs(), background=(0.5, 0.5, 0.5, 0.5))


def test_motif_validation():
    with pytest.raises(ValueError):
        Motif("m", np.ones((3, 5)) / 5)
    with pytest.raises(ValueError):
        Motif("two words", np.full((2, 4), 0.25))


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("", "no MOTIF"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0 0\n", "expected 2 matrix rows"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5 0\n", "3 values"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 1\n5 3 1 1\n", "sums to 10"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 1\n-0.5 0.5 0.5 0.5\n", "negative"),
        ("MOTIF a\nURL x\nMOTIF b\n", "no letter-probability matrix"),
        ("MOTIF a\nletter-probability matrix: alength= 20 w= 1\n", "alength= 20"),
    ],
    ids=["no-motifs", "short", "row-length", "counts", "negative", "no-matrix", "protein"],
)
def test_malformed(tmp_path: Path, body: str, needle: str):
    path = tmp_path / "bad.meme"
    path.write_text(HEADER + body)
    with pytest.raises(InputFileError) as err:
        read_meme(path)
    assert "bad.meme" in str(err.value) and needle in str(err.value)


def test_non_dna_alphabet(tmp_path: Path):
    path = tmp_path / "rna.meme"
    path.write_text("MEME version 4\n\nALPHABET= ACGU\n\nMOTIF a\n")
    with pytest.raises(InputFileError, match=r"line 3: alphabet 'ACGU'"):
        read_meme(path)


@pytest.mark.realdata
def test_real_jaspar(real_data: Path, tmp_path: Path):
    motifs = read_meme(real_data / JASPAR)
    assert len(motifs) == 879
    assert len({m.name for m in motifs}) == 879
    for m in motifs:
        np.testing.assert_allclose(m.ppm.sum(axis=1), 1.0, atol=1e-9)
        assert m.ppm.shape[1] == 4 and m.width >= 1 and m.alt_name
    first = motifs[0]
    assert (first.name, first.alt_name, first.consensus) == ("MA0004.1", "Arnt", "CACGTG")
    # round trip of the whole database
    back = read_meme(write_meme(tmp_path / "j.meme", motifs))
    assert [m.name for m in back] == [m.name for m in motifs]
    assert max(np.abs(a.ppm - b.ppm).max() for a, b in zip(motifs, back, strict=True)) < 1e-5
