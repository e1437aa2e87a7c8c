"""The embedded default benchmark: a simulated genome with known ground truth.

Contract: docs/ARCHITECTURE.md, "Simulator"; what is simulated (grammar, genome, oracle, tracks,
variant set, profile sizes): docs/protocol.md, "The simulated benchmark".

- :mod:`.grammar`: TF motifs (PWMs), cell-type activities, cooperative pairs, flank effects;
- :mod:`.oracle`: sequence -> expected coverage per cell type (:class:`Oracle`, :func:`load_oracle`);
- :mod:`.genome`: Markov background with GC domains, N gaps, planted regulatory elements;
- :mod:`.tracks`: replicate coverage tracks with realistic noise, peak calling;
- :mod:`.variants`: a CAGI5-like saturation mutagenesis set on held-out elements;
- :mod:`.bundle`: :func:`simulate_bundle` writes everything as a bundle (manifest + real files);
- :mod:`.profiles`: the ``smoke``, ``default`` and ``paper`` sizes.
"""

from __future__ import annotations

from .bundle import bundle_fingerprint, simulate_bundle
from .oracle import Oracle, load_oracle
from .profiles import PROFILES, SimProfile, get_profile, profile_names

__all__ = [
    "simulate_bundle",
    "bundle_fingerprint",
    "Oracle",
    "load_oracle",
    "PROFILES",
    "SimProfile",
    "get_profile",
    "profile_names",
]
