"""Bundle manifests: the one file that names everything a benchmark is built from.

A *bundle* is a folder holding a manifest (``manifest.yaml``, ``manifest.yml`` or
``manifest.json``) and the files it names: genome FASTA, per target a bigWig coverage track
(plus an optional replicate-2 track) and/or a peak file, the chromosome split, optional
excluded regions, an optional variant set and motif database, and the dataset geometry.
Relative paths are resolved against the manifest's folder. See ``docs/ARCHITECTURE.md``
("Bundle manifest") and ``docs/real-data.md`` (every field, with the paper's hg38 setting).

Targets with a ``track`` are *coverage targets* (the quantitative task and the coverage axis
of the cache); targets with ``peaks`` are *label targets* (the binary task's labels). A
target may have both (the simulated bundles, ENCODE ATAC-seq with IDR peaks) or only peaks
(a *label-only* target, e.g. a cell type with peak calls but no coverage track).

Paths may use environment variables: ``${NAME}``, ``$NAME`` or ``${NAME:-default}``
(``$$`` is a literal ``$``), e.g. ``${BENCHSUITE_REAL_DATA}/realmini/genome.fa``; an unset
variable without a default is a :class:`~benchsuite.errors.ManifestError` naming the field and
the variable.

:func:`load_manifest` validates everything a user can get wrong (missing fields, wrong types,
unknown keys, files that do not exist, inconsistent geometry) and raises
:class:`~benchsuite.errors.ManifestError` naming the manifest file and the offending field.

The code lives in four modules, all re-exported here:

- :mod:`benchsuite.data.manifest_model`: the frozen dataclasses and the schema constants;
- :mod:`benchsuite.data.manifest_load`: :func:`find_manifest`, :func:`load_manifest`,
  :func:`write_manifest`;
- :mod:`benchsuite.data.manifest_fields`: the validation of each field;
- :mod:`benchsuite.data.manifest_vars`: :func:`expand_path_variables`.
"""

from __future__ import annotations

from benchsuite.data.manifest_load import find_manifest, load_manifest, write_manifest
from benchsuite.data.manifest_model import (
    DEFAULT_GEOMETRY,
    DEFAULT_SPLIT,
    JASPAR_DEFAULT_EXCLUDE,
    JASPAR_LOW_INFORMATION_BITS,
    MANIFEST_NAMES,
    MANIFEST_VERSION,
    BinaryNegatives,
    Geometry,
    Manifest,
    SplitSpec,
    TargetSpec,
    VariantSetSpec,
)
from benchsuite.data.manifest_vars import expand_path_variables

__all__ = [
    "MANIFEST_NAMES",
    "MANIFEST_VERSION",
    "DEFAULT_GEOMETRY",
    "DEFAULT_SPLIT",
    "TargetSpec",
    "SplitSpec",
    "VariantSetSpec",
    "BinaryNegatives",
    "Geometry",
    "Manifest",
    "JASPAR_DEFAULT_EXCLUDE",
    "JASPAR_LOW_INFORMATION_BITS",
    "expand_path_variables",
    "find_manifest",
    "load_manifest",
    "write_manifest",
]
