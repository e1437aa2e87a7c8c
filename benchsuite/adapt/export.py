"""``benchsuite export CELL --out DIR``: a trained cell as an installable evaluate-only plugin.

The package written to ``DIR``::

    DIR/pyproject.toml                 # distribution benchsuite-export-<name>, entry point group benchsuite
    DIR/<package>/__init__.py
    DIR/<package>/plugin.py            # ModelSpec(load=...) from spec.json (fixed template)
    DIR/<package>/spec.json            # name, task, input length, bin, tracks, build, source record
    DIR/<package>/weights.pt           # the trained state dict (torch.save)

``load`` rebuilds the architecture with the build function of the plugin that trained it (by
``module:qualname`` when that is importable, else through the installed plugins by the source
model's name; so that plugin stays a dependency) and the exact build hyperparameters, then loads
the weights strictly. The spec carries the source record's dataset fingerprint, so a model
trained on one bundle can be scored on another (``pip install DIR``, then ``benchsuite
evaluate --model NAME --bundle OTHER``) and a submission re-verified from its weights.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError, InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.manager import Registry

__all__ = ["export_cell", "PLUGIN_TEMPLATE"]

#: the generated plugin module (reads spec.json and weights.pt beside it)
PLUGIN_TEMPLATE = '''"""Evaluate-only benchsuite plugin written by `benchsuite export` (see spec.json)."""

import importlib
import json
from pathlib import Path

from benchsuite.plugins import ModelSpec, hookimpl

HERE = Path(__file__).resolve().parent
SPEC = json.loads((HERE / "spec.json").read_text(encoding="utf-8"))


def _build_function(registry=None):
    ref = SPEC.get("build")
    if ref and registry is None:
        module, _, qualname = ref.partition(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj
    from benchsuite.plugins import load_plugins

    return (registry or load_plugins()).get(SPEC["source"]["model"]).spec.build


def load(task, registry=None, **kw):
    """The trained model: the source plugin's architecture with the exported weights."""
    import torch

    model = _build_function(registry)(task, **SPEC["build_hparams"])
    state = torch.load(HERE / "weights.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


SPECS = (
    ModelSpec(
        name=SPEC["name"],
        load=load,
        tasks={SPEC["task"]},
        description=SPEC["description"],
        input_length=SPEC["input_length"],
        bin_size=SPEC["bin_size"],
        output_tracks=tuple(SPEC["output_tracks"]),
        first_layer_activation=SPEC["first_layer_activation"],
    ),
)


@hookimpl
def benchsuite_register_models(register):
    for spec in SPECS:
        register(spec)
'''

_PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "1.0.0"
description = "{description}"
requires-python = ">=3.10"
dependencies = ["benchsuite"]

[project.entry-points.benchsuite]
"{name}" = "{package}.plugin"

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
{package} = ["spec.json", "weights.pt"]
"""


def _build_ref(build: Any) -> str | None:
    """``module:qualname`` of a build function importable by that name (closures: None)."""
    module, qualname = getattr(build, "__module__", None), getattr(build, "__qualname__", "")
    if not module or not qualname or "<" in qualname:
        return None
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return f"{module}:{qualname}" if obj is build else None


def _cell_files(cell: Path) -> tuple[Path, Path | None]:
    checkpoint = cell if cell.is_file() else cell / "checkpoint.ckpt"
    if not checkpoint.is_file():
        raise InputFileError(
            "no checkpoint.ckpt in the cell", source=cell, hint="pass a cell folder written by benchsuite run"
        )
    record = checkpoint.parent / "record.json"
    return checkpoint, record if record.is_file() else None


def export_cell(
    cell: str | Path, out: str | Path, *, name: str | None = None, registry: Registry | None = None
) -> Path:
    """Write the evaluate-only plugin package of a trained cell into ``out``; its plugin module path.

    Parameters
    ----------
    cell:
        A cell folder of ``benchsuite run`` (``checkpoint.ckpt``, ``record.json``) or its checkpoint.
    out:
        The package folder (must not exist or be empty).
    name:
        The exported model's name (default ``<model>.<dataset fingerprint[:8]>``).
    registry:
        Plugins to rebuild the model from (default: the installed ones).

    Raises
    ------
    InputFileError
        No checkpoint in ``cell``.
    ConfigError
        ``out`` is a non-empty folder, or ``name`` is not a valid model name.
    """
    import torch

    from benchsuite.io.atomic import atomic_write
    from benchsuite.plugins.spec import API_VERSION, MODEL_NAME_PATTERN
    from benchsuite.results.provenance import weights_sha256
    from benchsuite.results.record import read_record
    from benchsuite.train.fit import model_size_profile
    from benchsuite.train.module import load_trained_model

    checkpoint, record_path = _cell_files(Path(cell))
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError("the output folder is not empty", source=out, hint="pass a new folder to --out")
    model, task, info = load_trained_model(checkpoint, registry=registry)
    extra = info["extra"]
    record = read_record(record_path) if record_path is not None else None
    dataset = dict(record["dataset"]) if record else {"fingerprint": extra.get("dataset_fingerprint")}
    name = name or f"{info['model']}.{str(dataset.get('fingerprint') or 'cell')[:8]}"
    if not MODEL_NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"invalid model name {name!r}",
            source="--name",
            hint="use lower-case letters, digits, '.', '_', '-'",
        )
    spec = info["registered"].spec
    profile = str(extra.get("profile", "default"))
    package = "bs_export_" + re.sub(r"[^a-z0-9]+", "_", name)
    description = f"{info['model']} trained by benchsuite on {dataset.get('name') or 'a bundle'}, exported"
    content = {
        "api_version": API_VERSION,
        "name": name,
        "description": description,
        "task": task.kind,
        "input_length": task.input_length,
        "bin_size": task.bin_size,
        "output_tracks": list(task.target_names) or [f"target{i}" for i in range(task.num_targets)],
        "first_layer_activation": spec.first_layer_activation,
        "build": _build_ref(spec.build),
        "build_hparams": {**spec.hparams(model_size_profile(profile)), **info["build_hparams"]},
        "weights_sha256": weights_sha256(model.state_dict()),
        "source": {
            "model": info["model"],
            "plugin": info["plugin"],
            "distribution": info["distribution"],
            "version": info["version"],
            "profile": profile,
            "seed": extra.get("seed"),
            "dataset": dataset,
            "metrics": {k: v.get("mean") for k, v in (record or {}).get("metrics", {}).items()},
            "checkpoint_weights_sha256": weights_sha256(checkpoint),
        },
    }
    folder = out / package
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_write(folder / "weights.pt", "wb") as fh:
        torch.save(model.state_dict(), fh)
    files = {
        folder / "spec.json": json.dumps(content, indent=2, sort_keys=True) + "\n",
        folder / "plugin.py": PLUGIN_TEMPLATE,
        folder / "__init__.py": f'"""Exported benchsuite model {name}."""\n',
        out / "pyproject.toml": _PYPROJECT.format(
            dist=f"benchsuite-export-{name.replace('.', '-')}",
            description=description,
            name=name,
            package=package,
        ),
    }
    for path, text in files.items():
        with atomic_write(path, "w") as fh:
            fh.write(text)
    return folder / "plugin.py"
