"""The leaderboard: gather verified result records and write tables, figures and HTML pages.

- :mod:`~benchsuite.leaderboard.gather`: records from local folders, W&B run folders and the W&B API;
- :mod:`~benchsuite.leaderboard.tables`: one board per dataset fingerprint, Markdown and CSV;
- :mod:`~benchsuite.leaderboard.figures`: matplotlib scatters and the best model's motif logos;
- :mod:`~benchsuite.leaderboard.html`: self-contained, escaped, sortable HTML pages;
- :mod:`~benchsuite.leaderboard.build`: the output folder layout (:func:`write_leaderboards`).
"""

from benchsuite.leaderboard.build import write_leaderboards
from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.tables import build_boards

__all__ = ["build_boards", "gather_records", "write_leaderboards"]
