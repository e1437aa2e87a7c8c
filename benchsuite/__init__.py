"""benchsuite: a fair, fixed benchmark for sequence-to-regulatory-signal models.

The package is organised by concern: :mod:`benchsuite.io` (genome files),
:mod:`benchsuite.simulate` (the embedded default benchmark), :mod:`benchsuite.data`
(datasets and DataModules), :mod:`benchsuite.plugins` (the model plugin API),
:mod:`benchsuite.train`, :mod:`benchsuite.run`, :mod:`benchsuite.evaluate`,
:mod:`benchsuite.results`, :mod:`benchsuite.leaderboard` and :mod:`benchsuite.cli`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
