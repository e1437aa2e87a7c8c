"""Architecture search on a bundle's train and validation splits: ``benchsuite search``.

- :mod:`~benchsuite.search.space`: the AMBER-like space (per-layer operations, skips) and the
  choice vector; :mod:`~benchsuite.search.network`: its torch model;
- :mod:`~benchsuite.search.document`: the versioned architecture document (JSON);
- :mod:`~benchsuite.search.architects`: random search, Optuna TPE, the REINFORCE controller;
- :mod:`~benchsuite.search.loop`: the budgeted, resumable, shardable search loop;
- :mod:`~benchsuite.search.guard`: data modules that cannot read the test split;
- :mod:`~benchsuite.search.model`: a document as a ``ModelSpec`` (used by the search plugin);
- :mod:`~benchsuite.search.tune`, :mod:`~benchsuite.search.tune_loop`: hyperparameter tuning
  of a registered model through the same machinery (a tuned profile, not a new model).
"""

from __future__ import annotations

__all__: list[str] = []
