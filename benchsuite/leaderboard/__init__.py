"""The leaderboard: gather verified result records and write tables, figures and HTML pages.

- :mod:`~benchsuite.leaderboard.gather`: records from local folders, W&B run folders and the W&B API;
- :mod:`~benchsuite.leaderboard.columns`: the columns from the metric registry (ranking metric,
  groups, own-bin metrics, the reference ceiling of each metric);
- :mod:`~benchsuite.leaderboard.board`: one board per dataset fingerprint: ranked rows at the
  common bin, ceilings per bin; :mod:`~benchsuite.leaderboard.intervals`: bootstrap intervals and
  ties with the leader;
- :mod:`~benchsuite.leaderboard.formatting`, :mod:`~benchsuite.leaderboard.markdown`,
  :mod:`~benchsuite.leaderboard.tables`: number formats, the Markdown page and the CSV files;
- :mod:`~benchsuite.leaderboard.figures`: matplotlib scatters (adjustText labels) and the best
  model's motif logos;
- :mod:`~benchsuite.leaderboard.html` and :mod:`~benchsuite.leaderboard.html_table`:
  self-contained, escaped, sortable HTML pages;
- :mod:`~benchsuite.leaderboard.build`: the output folder layout (:func:`write_leaderboards`).
"""

from benchsuite.leaderboard.board import build_boards
from benchsuite.leaderboard.build import write_leaderboards
from benchsuite.leaderboard.gather import gather_records

__all__ = ["build_boards", "gather_records", "write_leaderboards"]
