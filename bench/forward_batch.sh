#!/usr/bin/env bash
# Forward passes/s of fct's forward-only path (bench/forward.cpp: write_embeddings, as `fct embed`
# and the feature cache run it) for several images-per-pass sizes, interleaved over rounds, with
# each size's ratio to the largest: the measurement behind ExtractionOptions::forward_batch's
# default (Note [Forward batch] in framework/train/feature_extraction.cpp).
# Usage: bench/forward_batch.sh --old runs/fashion_mnist_fct/old/model.pt [--sizes "32 64 128 256 1024"]
#        [--ranks 2] [--limit 20000] [--rounds 5] [extra bench/forward.cpp args]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FCT_BUILD_DIR:-build}/bench/fct_bench_forward
[ -x "$bin" ] || { echo "build first: ./setup.sh (or set FCT_BUILD_DIR)" >&2; exit 1; }
sizes="32 64 128 256 1024" ranks=2 limit=20000 args=()
while (($#)); do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --rounds) export FCT_BENCH_ROUNDS=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
largest=$(tr ' ' '\n' <<<"$sizes" | sort -n | tail -1)
il=(/usr/bin/python3 bench/interleave.py --title "forward passes/s by images per pass, $ranks ranks")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for size in $sizes; do
  il+=(--run "b$size=launch/mpirun.sh -np $ranks $bin --limit $limit --batch-size 1024 \
--forward-batch $size --out $out/b$size.h5 ${args[*]}")
  il+=(--value "$size a pass=b$size:passes_per_s")
done
for size in $sizes; do
  [ "$size" = "$largest" ] || il+=(--ratio "$size / $largest=$size a pass/$largest a pass")
done
"${il[@]}"
