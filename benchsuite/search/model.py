"""A searched architecture as a :class:`~benchsuite.plugins.ModelSpec`: :func:`document_spec`.

Import-light (torch is imported inside :func:`build_searched`), so the search plugin can
register documents at plugin-load time without importing torch.

The spec's build hyperparameters (the same under every size profile: a searched model has the
size it was searched at) are the space, the architecture, the dropout and ``search``, the
search's provenance (architect, space, budget, seed, validation score, bundle fingerprint).
``benchsuite run`` stores them in the record's ``hyperparameters.build``, so a record of a
searched model names its search; training defaults are those of the baseline zoo.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchsuite.plugins.spec import ModelSpec, TaskSpec
from benchsuite.search.document import ArchitectureDocument
from benchsuite.search.space import Architecture, SearchSpace

__all__ = ["SIZE_PROFILES", "TRAINING_DEFAULTS", "build_searched", "document_spec"]

#: size profiles a searched model registers (all with the searched size)
SIZE_PROFILES = ("smoke", "default", "paper")

#: training defaults: those of the baseline zoo (Adam 1e-3, batch 64, shift + reverse complement)
TRAINING_DEFAULTS: Mapping[str, Any] = {
    "loss": {"binary": "bce", "quantitative": "poisson"},
    "lr": 1e-3,
    "lr_factor": 0.2,
    "lr_patience": 3,
    "batch_size": 64,
    "max_epochs": 100,
    "patience": 10,
    "random_shift": True,
    "reverse_complement": True,
}


def build_searched(
    task: TaskSpec,
    *,
    space: Mapping[str, Any],
    architecture: Mapping[str, Any],
    dropout: float = 0.1,
    search: Mapping[str, Any] | None = None,
) -> Any:
    """Build the :class:`~benchsuite.search.network.SearchedNetwork` of a document's fields.

    ``search`` is provenance only (it does not change the model).
    """
    from benchsuite.search.network import SearchedNetwork

    arch = Architecture(
        int(architecture["stem_width"]),
        tuple(architecture["operations"]),
        tuple(tuple(s) for s in architecture["skips"]),
    )
    return SearchedNetwork(task, SearchSpace.from_dict(space), arch, dropout=float(dropout))


def document_spec(document: ArchitectureDocument, *, description: str | None = None) -> ModelSpec:
    """The :class:`ModelSpec` named ``document.name`` that builds the document's architecture."""
    hparams = {
        "space": document.space.to_dict(),
        "architecture": document.architecture.to_dict(),
        "dropout": document.dropout,
        "search": document.provenance(),
    }
    search = document.search
    text = description or (
        f"searched ({search.get('architect', '?')}, {search.get('candidates', '?')} candidates x "
        f"{search.get('steps', '?')} steps, seed {search.get('seed', '?')}): "
        f"{' '.join(document.architecture.operations)}"
    )
    return ModelSpec(
        name=document.name,
        build=build_searched,
        tasks={document.task},
        bin_size=document.bin_size if document.task == "quantitative" else 1,
        description=text,
        defaults=dict(TRAINING_DEFAULTS),
        profiles={profile: hparams for profile in SIZE_PROFILES},
        first_layer_activation="stem.act",
    )
