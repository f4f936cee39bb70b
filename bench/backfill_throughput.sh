#!/usr/bin/env bash
# Backfill items/s (h on stored vectors) against the new model's embedding images/s on the same
# split, same machine, same threads, both measured by the program in each of 5 interleaved rounds
# (FCT_BENCH_ROUNDS; bench/interleave.py prints medians, spreads and the ratio). Needs a finished
# study. Usage: bench/backfill_throughput.sh [--run runs/fashion_mnist_fct] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FCT_BUILD_DIR:-build}/bench/fct_bench_backfill_throughput"
[ -x "$bin" ] || { echo "build first: ./setup.sh" >&2; exit 1; }
mkdir -p "${FCT_BUILD_DIR:-build}/bench-results"
/usr/bin/python3 bench/interleave.py --title "backfill (h on stored vectors) vs re-embedding" \
  --json "${FCT_BUILD_DIR:-build}/bench-results/backfill_throughput.json" \
  --run "backfill=launch/mpirun.sh -np 1 $bin $*" \
  --value "h items/s=backfill:backfill_items_per_s" \
  --value "new model images/s=backfill:new_model_embed_images_per_s" \
  --ratio "h / re-embedding=h items/s/new model images/s"
