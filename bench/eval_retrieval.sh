#!/usr/bin/env bash
# Retrieval evaluation (fct::eval::evaluate_retrieval) on random clustered embeddings, d = 128,
# 1000 classes, query set = gallery set: N = 10 000 and N = 50 000, each as 1 rank x 2 threads and
# 2 ranks x 1 thread, plus the baseline measured in this same run: the naive evaluation (full
# distance matrix, full sort of every row) on N = 10 000, 1 rank x 2 threads, with the speed-up;
# the SGEMM of the same product through the BLAS fct links (the floor), and `fct eval` of a
# 10 000-item store as a whole command (start-up included); 5 interleaved rounds
# (FCT_BENCH_ROUNDS), medians and spreads by bench/interleave.py. Usage: bench/eval_retrieval.sh [extra bench args, e.g. --spread 3 --distance cosine]
# The build directory is build/ unless FCT_BUILD_DIR says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FCT_BUILD_DIR:-build}/bench/fct_bench_eval_retrieval
[ -x "$bin" ] || { echo "build first: ./setup.sh (or set FCT_BUILD_DIR)" >&2; exit 1; }
b="$bin"
fct=${FCT_BUILD_DIR:-build}/fct
out="${FCT_BUILD_DIR:-build}/bench-results"
mkdir -p "$out"
# A 10 000-item store for the whole command (`fct eval`, start-up included): clustered random
# embeddings written by h5py and imported with `fct store import`.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/items.h5" <<'PY'
import sys, h5py, numpy as np
rng = np.random.default_rng(0)
labels = rng.integers(0, 1000, 10000)
centres = rng.standard_normal((1000, 128)).astype(np.float32)
x = centres[labels] + 1.5 * rng.standard_normal((10000, 128)).astype(np.float32)
with h5py.File(sys.argv[1], "w") as f:
    f["embeddings"], f["labels"], f["ids"] = x, labels, np.arange(10000)
PY
"$fct" store import "$work/items.h5" --out "$work/items_store.h5" --model-name clustered \
  --dataset clustered --split all >/dev/null 2>&1
/usr/bin/python3 bench/interleave.py --title "retrieval evaluation, d = 128, query set = gallery" \
  --json "$out/eval_retrieval.json" \
  --run "ref=launch/mpirun.sh -np 1 $b --n 10000 --threads 2 --reference $*" \
  --run "small2=launch/mpirun.sh -np 2 $b --n 10000 --threads 1 $*" \
  --run "large1=launch/mpirun.sh -np 1 $b --n 50000 --threads 2 $*" \
  --run "large2=launch/mpirun.sh -np 2 $b --n 50000 --threads 1 $*" \
  --run "cmd=launch/mpirun.sh -np 2 $fct eval --query $work/items_store.h5 \
--gallery $work/items_store.h5 --threads 1 >&2" \
  --require ref:reference.agrees \
  --value "n10000 fct eval 2x1, whole command s=cmd:@wall_s" \
  --value "n10000 1x2 s=ref:seconds" --value "n10000 naive 1x2 s=ref:reference.seconds" \
  --value "n10000 2x1 s=small2:seconds" \
  --value "n50000 1x2 s=large1:seconds" --value "n50000 2x1 s=large2:seconds" \
  --value "n50000 1x2 SGEMM of the same product s=large1:sgemm_seconds" \
  --value "n50000 2x1 SGEMM of the same product s=large2:sgemm_seconds" \
  --value "n50000 2x1 peak RSS MB a rank=large2:peak_rss_mb" \
  --ratio "naive / blocked, n10000=n10000 naive 1x2 s/n10000 1x2 s" \
  --ratio "1x2 / 2x1, n50000=n50000 1x2 s/n50000 2x1 s" \
  --ratio "evaluation / SGEMM, n50000 1x2=n50000 1x2 s/n50000 1x2 SGEMM of the same product s" \
  --ratio "evaluation / SGEMM, n50000 2x1=n50000 2x1 s/n50000 2x1 SGEMM of the same product s"
