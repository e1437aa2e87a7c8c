"""Size profiles of the simulated benchmark: ``smoke``, ``default`` and ``paper``.

A profile fixes everything about a bundle except the seed: the genome size and chromosome
layout, the number of cell types (targets), the dataset geometry written to the manifest, the
density of planted regulatory elements and the size of the CAGI5-like variant set.

Chromosome lengths follow the relative sizes of human chromosomes (hg38), scaled so that the
test chromosome ``chr8`` has the length the profile asks for; ``chr8`` is the test and
``chr9`` the validation chromosome, as in the paper.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from benchsuite.errors import ConfigError

__all__ = ["SimProfile", "PROFILES", "SEQUENCE_SET_PROFILES", "get_profile", "profile_names"]

#: hg38 chromosome lengths in Mb (rounded), used only for relative sizes
_HG38_MB = {
    "chr1": 248.96,
    "chr2": 242.19,
    "chr3": 198.30,
    "chr4": 190.21,
    "chr5": 181.54,
    "chr6": 170.81,
    "chr7": 159.35,
    "chr8": 145.14,
    "chr9": 138.39,
    "chr10": 133.80,
    "chr11": 135.09,
    "chr12": 133.28,
    "chrX": 156.04,
}


def _scaled_sizes(
    names: tuple[str, ...], chr8_length: int, round_to: int = 1000
) -> tuple[tuple[str, int], ...]:
    factor = chr8_length / _HG38_MB["chr8"]
    return tuple((n, int(round(_HG38_MB[n] * factor / round_to)) * round_to) for n in names)


@dataclass(frozen=True)
class SimProfile:
    """Everything that defines a simulated bundle apart from the seed.

    Attributes
    ----------
    name:
        Profile name (``smoke``, ``default``, ``paper``).
    chrom_sizes:
        ``(name, length)`` per chromosome, in FASTA order.
    n_celltypes:
        Number of simulated cell types (= targets / tracks).
    chunk_length, input_length, bin_sizes, common_bin, coverage_threshold:
        Dataset geometry written to the manifest (paper: 3,072 / 2,048 / (1, 32, 128) / 2).
    element_spacing:
        Mean distance (bp) between planted regulatory elements.
    gc_domain_length:
        Mean length (bp) of a GC-content domain (isochore-like).
    n_variant_elements:
        Number of held-out elements in the CAGI5-like saturation mutagenesis set.
    mutagenesis_length:
        Length (bp) of the mutated central region of the longest variant element.
    """

    name: str
    chrom_sizes: tuple[tuple[str, int], ...]
    n_celltypes: int
    chunk_length: int
    input_length: int
    bin_sizes: tuple[int, ...]
    common_bin: int
    coverage_threshold: float
    element_spacing: float
    gc_domain_length: int
    n_variant_elements: int
    mutagenesis_length: int

    @property
    def genome_length(self) -> int:
        """Total genome length in bp."""
        return sum(size for _, size in self.chrom_sizes)

    def geometry(self) -> dict:
        """The manifest's ``geometry`` block."""
        return {
            "chunk_length": self.chunk_length,
            "input_length": self.input_length,
            "bin_sizes": list(self.bin_sizes),
            "common_bin": self.common_bin,
            "coverage_threshold": self.coverage_threshold,
        }

    def to_dict(self) -> dict:
        """JSON-serialisable description (stored in ``truth.json``)."""
        data = asdict(self)
        data["chrom_sizes"] = [[n, s] for n, s in self.chrom_sizes]
        data["bin_sizes"] = list(self.bin_sizes)
        return data


_NINE = tuple(f"chr{i}" for i in range(1, 10))

PROFILES: dict[str, SimProfile] = {
    # seconds: nine ~56-100 kb chromosomes, 3 cell types, for unit tests
    "smoke": SimProfile(
        name="smoke",
        chrom_sizes=_scaled_sizes(_NINE, 58_000),
        n_celltypes=3,
        chunk_length=768,
        input_length=512,
        bin_sizes=(1, 32, 128),
        common_bin=128,
        coverage_threshold=2.0,
        element_spacing=2_300.0,
        gc_domain_length=20_000,
        n_variant_elements=3,
        mutagenesis_length=120,
    ),
    # CPU-sized: ~13.7 Mb, chr8 = 1.1 Mb, 5 cell types; a few thousand training chunks
    "default": SimProfile(
        name="default",
        chrom_sizes=_scaled_sizes((*_NINE, "chr10"), 1_100_000),
        n_celltypes=5,
        chunk_length=1536,
        input_length=1024,
        bin_sizes=(1, 32, 128),
        common_bin=128,
        coverage_threshold=2.0,
        element_spacing=3_500.0,
        gc_domain_length=60_000,
        n_variant_elements=5,
        mutagenesis_length=200,
    ),
    # the paper's geometry (3,072-bp chunks, 2,048-bp inputs, 15 targets) on a ~45 Mb genome
    "paper": SimProfile(
        name="paper",
        chrom_sizes=_scaled_sizes((*_NINE, "chr10", "chr11", "chr12", "chrX"), 2_900_000),
        n_celltypes=15,
        chunk_length=3072,
        input_length=2048,
        bin_sizes=(1, 32, 128),
        common_bin=128,
        coverage_threshold=2.0,
        element_spacing=9_000.0,
        gc_domain_length=120_000,
        n_variant_elements=15,
        mutagenesis_length=300,
    ),
}


#: profiles that write a sequence-set bundle (``kind: sequences``) instead of a genome:
#: ``primer``, the primer's experiment (:mod:`benchsuite.simulate.primer`)
SEQUENCE_SET_PROFILES: tuple[str, ...] = ("primer",)


def profile_names() -> tuple[str, ...]:
    """Names of the available profiles."""
    return tuple(PROFILES)


def get_profile(name: str | SimProfile) -> SimProfile:
    """The profile called ``name`` (a :class:`SimProfile` is returned unchanged).

    Raises
    ------
    ConfigError
        For an unknown profile name.
    """
    if isinstance(name, SimProfile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown simulator profile {name!r}",
            source="--profile",
            hint=f"choose one of {', '.join((*PROFILES, *SEQUENCE_SET_PROFILES))}",
        ) from None
