"""The baseline model zoo of benchsuite, shipped as an ordinary plugin distribution.

Models (PyTorch, channels-first one-hot input ``(N, 4, L)``), following the Methods of
Toneyan, Tang & Koo (2022):

- :class:`~benchsuite_baselines.basset.Basset` (binary)
- :class:`~benchsuite_baselines.cnn.CNNBaseline` (binary, quantitative)
- :class:`~benchsuite_baselines.residualbind.ResidualBindBase` (binary, quantitative)
- :class:`~benchsuite_baselines.residualbind.ResidualBind32` (quantitative)
- :class:`~benchsuite_baselines.basenji.Basenji` (quantitative, binary)
- :class:`~benchsuite_baselines.bpnet.BPNet` (quantitative)

:mod:`benchsuite_baselines.plugin` registers them (entry point ``baselines``).
"""

__version__ = "0.1.0"
