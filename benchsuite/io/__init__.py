"""Genome file formats: FASTA, bigWig, BED/narrowPeak, MEME motifs, one-hot codes, atomic writes.

See ``docs/ARCHITECTURE.md`` (section io) for the contract these functions follow.
"""

from benchsuite.io.atomic import atomic_directory, atomic_path, atomic_write
from benchsuite.io.bed import (
    Intervals,
    intervals_to_mask,
    merge_intervals,
    read_bed,
    write_bed,
    write_narrowpeak,
)
from benchsuite.io.bigwig import BigWig, check_track_chroms, open_bigwig, write_bigwig
from benchsuite.io.chroms import chrom_name_aliases, reconcile_chrom_names
from benchsuite.io.fasta import Genome, open_genome, read_fasta_records, write_fasta
from benchsuite.io.meme import Motif, read_meme, write_meme
from benchsuite.io.onehot import (
    decode_codes,
    encode_sequence,
    one_hot,
    one_hot_torch,
    reverse_complement_codes,
)

__all__ = [
    "BigWig",
    "Genome",
    "Intervals",
    "Motif",
    "atomic_directory",
    "atomic_path",
    "atomic_write",
    "check_track_chroms",
    "chrom_name_aliases",
    "decode_codes",
    "encode_sequence",
    "intervals_to_mask",
    "merge_intervals",
    "one_hot",
    "one_hot_torch",
    "open_bigwig",
    "open_genome",
    "read_bed",
    "read_fasta_records",
    "read_meme",
    "reconcile_chrom_names",
    "reverse_complement_codes",
    "write_bed",
    "write_bigwig",
    "write_fasta",
    "write_meme",
    "write_narrowpeak",
]
