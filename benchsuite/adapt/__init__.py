"""Adaptors that let the fixed harness score a model trained elsewhere (``docs/pretrained.md``).

- :mod:`benchsuite.adapt.geometry`: the input-length plan (context / tiles) and the resolution
  adaptor (bins averaged to the benchmark's);
- :mod:`benchsuite.adapt.context`: true genome context for the benchmark's windows;
- :mod:`benchsuite.adapt.targets`: target mappings (identity, order, names, explicit);
- :mod:`benchsuite.adapt.probe`: the ridge probe fitted on the training split only;
- :mod:`benchsuite.adapt.predictor`: :class:`AdaptedModule`, the model as the harness sees it;
- :mod:`benchsuite.adapt.pretrained`: score an evaluate-only model, and its record.

Importing :mod:`benchsuite.adapt.predictor` (and this package) imports torch.
"""

from benchsuite.adapt.context import GenomeLocator
from benchsuite.adapt.geometry import InputPlan, output_bin, plan_input
from benchsuite.adapt.predictor import AdaptedModule, adapted_predictor
from benchsuite.adapt.targets import TargetMapping

__all__ = [
    "AdaptedModule",
    "GenomeLocator",
    "InputPlan",
    "TargetMapping",
    "adapted_predictor",
    "output_bin",
    "plan_input",
]
