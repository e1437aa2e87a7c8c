"""An already-trained model as a benchsuite plugin (plugin API 1.1).

The model reads 1,024 bp, predicts 16-bp bins and has four output tracks named
``<assay>:<cell type>``; the benchmark it is scored on may use other windows (e.g. 512 bp),
bins (1/32/128 bp) and targets. benchsuite adapts it: true genome context around each window,
bins averaged to 32 bp, tracks matched to targets by name (``target_map="names"``: the target
``celltype_A`` is the track ``DNASE:celltype_A``; the H3K27ac:liver track is not scored).

Weights are never downloaded by benchsuite: ``load`` reads them from
``$BENCHSUITE_EXAMPLE_PRETRAINED_WEIGHTS`` (a file) or, by default,
``~/.cache/benchsuite-example-pretrained/weights.pt``. :func:`write_checkpoint` writes a small
checkpoint there (a seeded, untrained network of a few KB) so the example runs anywhere::

    python -c "from benchsuite_example_pretrained.plugin import write_checkpoint; write_checkpoint()"
    benchsuite evaluate --model example-pretrained --bundle BUNDLE --out runs/example-pretrained
"""

from __future__ import annotations

import os
from pathlib import Path

from benchsuite.errors import PluginError
from benchsuite.plugins import ModelSpec, TaskSpec, hookimpl

INPUT_LENGTH = 1024
BIN_SIZE = 16
TRACKS = ("DNASE:celltype_A", "DNASE:celltype_B", "DNASE:celltype_C", "H3K27ac:liver")
WEIGHTS_ENV = "BENCHSUITE_EXAMPLE_PRETRAINED_WEIGHTS"


def weights_path() -> Path:
    """Where ``load`` reads the weights: ``$BENCHSUITE_EXAMPLE_PRETRAINED_WEIGHTS`` or the cache folder."""
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env)
    return Path.home() / ".cache" / "benchsuite-example-pretrained" / "weights.pt"


def _network(num_tracks: int, bin_size: int):
    import torch

    class TinyCoverage(torch.nn.Module):
        """conv1 (motif layer) -> ReLU -> dilated conv -> 1x1 head -> mean over bins -> softplus."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv1d(4, 8, 11, padding=5)
            self.act = torch.nn.ReLU()
            self.mix = torch.nn.Conv1d(8, 8, 5, padding=4, dilation=2)
            self.head = torch.nn.Conv1d(8, num_tracks, 1)
            self.bin = bin_size

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.mix(self.act(self.conv1(x))))
            return torch.nn.functional.softplus(torch.nn.functional.avg_pool1d(self.head(h), self.bin))

    return TinyCoverage()


def write_checkpoint(path: str | Path | None = None, *, seed: int = 0) -> Path:
    """Write the example's weights (a seeded network, a few KB) to ``path`` (default :func:`weights_path`)."""
    import torch

    path = Path(path) if path is not None else weights_path()
    torch.manual_seed(seed)
    model = _network(len(TRACKS), BIN_SIZE)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return path


def load(task: TaskSpec, **kw):
    """The trained model: the architecture with the weights of :func:`weights_path` (or ``weights=``)."""
    import torch

    path = Path(kw.get("weights") or weights_path())
    if not path.is_file():
        raise PluginError(
            f"the example's weights are not at {path}",
            source="plugin example-pretrained",
            hint=f"write them with write_checkpoint() or set {WEIGHTS_ENV} to a weights file",
        )
    model = _network(task.num_targets, task.bin_size)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return model.eval()


SPEC = ModelSpec(
    name="example-pretrained",
    load=load,
    tasks={"quantitative"},
    description="an already-trained 1,024-bp model at 16 bp with four assay:cell-type tracks",
    input_length=INPUT_LENGTH,
    bin_size=BIN_SIZE,
    output_tracks=TRACKS,
    target_map="names",
    first_layer_activation="act",
)


@hookimpl
def benchsuite_register_models(register) -> None:
    register(SPEC)
