"""Searched architectures as ordinary benchsuite models.

:mod:`benchsuite_search.plugin` (entry point ``search`` of group ``benchsuite``) registers
every architecture document (``*.arch.json``, written by ``benchsuite search``) of the folder
named by ``$BENCHSUITE_SEARCH_DIR`` (default: ``searched/`` in the current directory) as a
``ModelSpec`` named after the document (``amber-<hash>``).
"""

__version__ = "0.1.0"
