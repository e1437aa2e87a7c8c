"""Register the architecture documents of a folder as models (entry point ``search``).

The folder is ``$BENCHSUITE_SEARCH_DIR`` when set (relative paths are relative to the current
directory), else ``searched/`` in the current directory; a missing folder registers nothing.
Every ``*.arch.json`` file in it (not in subfolders) is read and validated
(:func:`benchsuite.search.document.read_document`); an invalid one makes the plugin fail to
load with an error naming the file (``benchsuite list`` shows it), so a broken document is
never silently skipped. Two documents of the same architecture register it once.

Importing this module is cheap: no torch (the model is built by
:func:`benchsuite.search.model.build_searched` when trained).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from benchsuite.plugins import ModelSpec, hookimpl

__all__ = ["SEARCH_DIR_ENV", "DEFAULT_SEARCH_DIR", "DOCUMENT_GLOB", "search_dir", "document_specs"]

log = logging.getLogger(__name__)

#: environment variable naming the folder of architecture documents
SEARCH_DIR_ENV = "BENCHSUITE_SEARCH_DIR"
#: the folder used when the variable is unset (relative to the current directory)
DEFAULT_SEARCH_DIR = "searched"
#: the documents of the folder
DOCUMENT_GLOB = "*.arch.json"


def search_dir() -> Path:
    """The folder of architecture documents (``$BENCHSUITE_SEARCH_DIR`` or ``searched/``)."""
    return Path(os.environ.get(SEARCH_DIR_ENV) or DEFAULT_SEARCH_DIR)


def document_specs(folder: Path) -> list[ModelSpec]:
    """One :class:`ModelSpec` per distinct document of ``folder`` (sorted by file name).

    Raises
    ------
    InputFileError
        A document is invalid (the message names the file).
    """
    from benchsuite.search.document import read_document
    from benchsuite.search.model import document_spec

    if not folder.is_dir():
        return []
    specs: dict[str, ModelSpec] = {}
    for path in sorted(folder.glob(DOCUMENT_GLOB)):
        document = read_document(path)
        if document.name in specs:
            log.info("%s: %s is already registered from another document", path, document.name)
            continue
        specs[document.name] = document_spec(document)
    return list(specs.values())


@hookimpl
def benchsuite_register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register every architecture document of :func:`search_dir`."""
    for spec in document_specs(search_dir()):
        register(spec)
