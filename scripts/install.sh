#!/usr/bin/env bash
# Create (or refresh) the virtualenv with benchsuite, the baseline plugins and, with --dev,
# the test tools. Installs the CPU build of PyTorch on machines without an NVIDIA GPU, so a
# CPU install never downloads CUDA wheels.
#
#   scripts/install.sh [--dev]
#
# Environment:
#   VENV             virtualenv folder (default .venv)
#   PYTHON           interpreter used to create it (default python3)
#   TORCH_VERSION    PyTorch version (default 2.13.0)
#   TORCH_INDEX_URL  wheel index for PyTorch, e.g. https://download.pytorch.org/whl/cu126 for CUDA 12.6
#   NUMBA_CACHE_DIR  where memelite's compiled numba code is cached (default ~/.cache/benchsuite/numba)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    echo "installing torch==$TORCH_VERSION from $TORCH_INDEX_URL"
    "${PIP[@]}" install "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX_URL"
  elif command -v nvidia-smi >/dev/null 2>&1; then
    echo "NVIDIA GPU found: installing the default (CUDA) build of torch==$TORCH_VERSION"
    "${PIP[@]}" install "torch==$TORCH_VERSION"
  elif "${PIP[@]}" install --no-index --no-deps "torch==$TORCH_VERSION" >/dev/null 2>&1; then
    # a local wheel (pip's find-links) satisfied it; now add torch's own dependencies
    echo "installed torch==$TORCH_VERSION from a local wheel"
    "${PIP[@]}" install "torch==$TORCH_VERSION"
  else
    echo "no GPU: installing the CPU build of torch==$TORCH_VERSION"
    "${PIP[@]}" install "torch==$TORCH_VERSION" --index-url https://download.pytorch.org/whl/cpu \
      --extra-index-url https://pypi.org/simple
  fi
fi

if [ "$DEV" = 1 ]; then
  "${PIP[@]}" install -e ".[dev]" -e plugins/benchsuite-baselines -e plugins/benchsuite-search
else
  "${PIP[@]}" install -e . -e plugins/benchsuite-baselines -e plugins/benchsuite-search
fi
# compile memelite's numba code (Tomtom, ~75 s on 2 cores) once into the persistent cache that
# every later benchsuite process reuses: $NUMBA_CACHE_DIR, else ~/.cache/benchsuite/numba
"$VENV/bin/python" -c "from benchsuite.evaluate.motifs.tomtom import use_numba_cache, warm_up
folder = use_numba_cache()
print(f'numba cache {folder}: memelite Tomtom ready in {warm_up():.1f} s')"
"$VENV/bin/benchsuite" --version
