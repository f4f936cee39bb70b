#!/usr/bin/env bash
# Backfilling curve (22 points) on N = 10 000 clustered random embeddings, d = 128, 2 threads: the
# incremental evaluation against the baseline measured in the same run (every point's mixed gallery
# evaluated from scratch), with the speed-up and a check that both curves are equal; the program
# runs both in each of 5 rounds (FCT_BENCH_ROUNDS), bench/interleave.py prints medians and spreads.
# Usage: bench/backfill_curve.sh [extra args, e.g. --n 20000 --noise 1.5]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FCT_BUILD_DIR:-build}/bench/fct_bench_backfill_curve
[ -x "$bin" ] || { echo "build first: ./setup.sh (or set FCT_BUILD_DIR)" >&2; exit 1; }
mkdir -p "${FCT_BUILD_DIR:-build}/bench-results"
/usr/bin/python3 bench/interleave.py --title "backfilling curve, incremental vs recomputed" \
  --json "${FCT_BUILD_DIR:-build}/bench-results/backfill_curve.json" \
  --run "curve=$bin $*" --require curve:curves_equal \
  --value "incremental s=curve:incremental_seconds" \
  --value "recompute every point s=curve:baseline_recompute_every_point_seconds" \
  --ratio "speed-up=recompute every point s/incremental s"
