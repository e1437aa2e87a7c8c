#!/usr/bin/env bash
# The equal-compute architecture-search experiment of the default board (docs/search.md,
# "The experiment"): random search, TPE and the REINFORCE controller, on each task, each with
# the training compute of the hand-designed zoo on that task (quantitative: 9 cells x 800 steps
# = 18 candidates x 400 steps; binary: 6 x 800 = 12 x 400), one thread per candidate, two
# searches at a time. Then the winners go to searched/ (the benchsuite-search plugin registers
# them) and the journals to searches/; `make run` trains and scores them with the baselines.
#
#   scripts/search_experiment.sh [OUT]      (default OUT: search-experiment; resumable: rerun it)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-search-experiment}
BS=${BS:-.venv/bin/benchsuite}
STEPS=400
mkdir -p "$OUT"
# the default bundle, simulated once (the same seed and profile as `make run`)
BUNDLE="$OUT/bundles/default-seed0"
[ -f "$BUNDLE/manifest.yaml" ] || "$BS" simulate --profile default --seed 0 --out "$BUNDLE" --force --no-progress
one() {  # task architect candidates
  "$BS" search --task "$1" --architect "$2" --candidates "$3" --steps "$STEPS" --profile default \
    --bundle "$BUNDLE" --out "$OUT/$2-$1" --threads 1 --no-progress > "$OUT/$2-$1.log" 2>&1
}
( one quantitative random 18; one quantitative controller 18; one binary tpe 12 ) &
( one quantitative tpe 18; one binary random 12; one binary controller 12 ) &
wait
mkdir -p searched
for dir in "$OUT"/*-*/; do
  name=$(basename "$dir")
  doc="$dir/best.arch.json"
  model=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['name'])" "$doc")
  cp "$doc" "searched/$model.arch.json"
  mkdir -p "searches/default-seed0/$name"
  cp "$dir/search.json" "$dir"/trials*.jsonl "$doc" "searches/default-seed0/$name/"
done
echo "searched/ and searches/default-seed0/ updated; now: make run"
