#!/usr/bin/env bash
# Run every test tier: fast (default), slow (end to end) and realdata (../shared/data).
# pytest's exit code 5 ("no tests collected") is accepted for a tier that has none.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$PWD/.numba_cache}
export WANDB_MODE=${WANDB_MODE:-disabled}

status=0
for tier in "not slow and not realdata" "slow" "realdata"; do
  echo "=== pytest -m '$tier' ==="
  "$PY" -m pytest -m "$tier" "$@"
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 5 ]; then status=$rc; fi
done
exit $status
