#!/usr/bin/env bash
# Training images/s for the same model and global batch on 1 rank x 2 threads (the baseline) and
# 2 ranks x 1 thread, measured in this run, with the ratio and the share of step time spent
# waiting for the gradient all-reduce. Prints JSON. Usage: bench/train_throughput.sh [bench args]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bench/fct_bench_train_throughput
[ -x "$bin" ] || { echo "build first: ./setup.sh" >&2; exit 1; }
one=$(launch/mpirun.sh -np 1 "$bin" --threads 2 "$@")
two=$(launch/mpirun.sh -np 2 "$bin" --threads 1 "$@")
python3 - "$one" "$two" <<'PY'
import json, sys
one, two = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({
    "baseline_1rank_x_2threads": one,
    "2ranks_x_1thread": two,
    "speedup_2ranks_vs_1rank": round(two["images_per_s"] / one["images_per_s"], 3),
}, indent=2))
PY
