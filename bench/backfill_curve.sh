#!/usr/bin/env bash
# Backfilling curve (22 points) on N = 10 000 clustered random embeddings, d = 128, 2 threads: the
# incremental evaluation against the baseline measured in the same run (every point's mixed gallery
# evaluated from scratch), with the speed-up and a check that both curves are equal. Prints JSON.
# Usage: bench/backfill_curve.sh [extra args, e.g. --n 20000 --noise 1.5]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FCT_BUILD_DIR:-build}/bench/fct_bench_backfill_curve
[ -x "$bin" ] || { echo "build first: ./setup.sh (or set FCT_BUILD_DIR)" >&2; exit 1; }
"$bin" "$@"
