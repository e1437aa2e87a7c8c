"""Fixtures of the io tests: small hand-written genome files."""

from __future__ import annotations

from pathlib import Path

import pytest

# two chromosomes with soft-masked bases, N and IUPAC codes; line width 10 (last line short)
GENOME = {
    "chr1": "ACGTACGTNNacgtacgtRYACGTTTGGCCAAKMacgtNNNNACGTACGTAC",
    "chr2": "TTTTGGGGCCCCAAAAtttt",
    "chrM": "ACGTN",
}


def fasta_text(records: dict[str, str], width: int = 10) -> str:
    """FASTA text written independently of benchsuite.io.write_fasta."""
    out = []
    for name, seq in records.items():
        out.append(f">{name} some description\n")
        out.extend(seq[i : i + width] + "\n" for i in range(0, len(seq), width))
    return "".join(out)


@pytest.fixture()
def genome_records() -> dict[str, str]:
    return dict(GENOME)


@pytest.fixture()
def plain_fasta(tmp_path: Path) -> Path:
    path = tmp_path / "genome.fa"
    path.write_text(fasta_text(GENOME))
    return path


@pytest.fixture()
def bgzip_fasta(tmp_path: Path, plain_fasta: Path) -> Path:
    """The same genome compressed with htslib's bgzip (via pysam)."""
    pysam = pytest.importorskip("pysam")
    out = tmp_path / "genome.fa.gz"
    pysam.tabix_compress(str(plain_fasta), str(out), force=True)
    return out
