#!/usr/bin/env bash
# Backfill items/s (h on stored vectors) against the new model's embedding images/s on the same
# split, same machine, same threads, measured in this run, with the ratio. Needs a finished study.
# Usage: bench/backfill_throughput.sh [--run runs/fashion_mnist_fct] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FCT_BUILD_DIR:-build}/bench/fct_bench_backfill_throughput"
[ -x "$bin" ] || { echo "build first: ./setup.sh" >&2; exit 1; }
launch/mpirun.sh -np 1 "$bin" "$@"
