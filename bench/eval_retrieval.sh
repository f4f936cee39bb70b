#!/usr/bin/env bash
# Retrieval evaluation (fct::eval::evaluate_retrieval) on random clustered embeddings, d = 128,
# 1000 classes, query set = gallery set: N = 10 000 and N = 50 000, each as 1 rank x 2 threads and
# 2 ranks x 1 thread, plus the baseline measured in this same run: the naive evaluation (full
# distance matrix, full sort of every row) on N = 10 000, 1 rank x 2 threads, with the speed-up.
# Prints JSON. Usage: bench/eval_retrieval.sh [extra bench args, e.g. --spread 3 --distance cosine]
# The build directory is build/ unless FCT_BUILD_DIR says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FCT_BUILD_DIR:-build}/bench/fct_bench_eval_retrieval
[ -x "$bin" ] || { echo "build first: ./setup.sh (or set FCT_BUILD_DIR)" >&2; exit 1; }
ref=$(launch/mpirun.sh -np 1 "$bin" --n 10000 --threads 2 --reference "$@")
small_two=$(launch/mpirun.sh -np 2 "$bin" --n 10000 --threads 1 "$@")
large_one=$(launch/mpirun.sh -np 1 "$bin" --n 50000 --threads 2 "$@")
large_two=$(launch/mpirun.sh -np 2 "$bin" --n 50000 --threads 1 "$@")
python3 - "$ref" "$small_two" "$large_one" "$large_two" <<'PY'
import json, sys
ref, small_two, large_one, large_two = (json.loads(a) for a in sys.argv[1:])
reference = ref.pop("reference")
speedup = ref.pop("speedup_vs_reference")
print(json.dumps({
    "n10000_1rank_x_2threads": ref,
    "n10000_2ranks_x_1thread": small_two,
    "n50000_1rank_x_2threads": large_one,
    "n50000_2ranks_x_1thread": large_two,
    "baseline_naive_full_sort_n10000_1rank_x_2threads": reference,
    "speedup_blocked_vs_naive_n10000": round(speedup, 2),
    "speedup_2ranks_vs_1rank_n50000": round(large_one["seconds"] / large_two["seconds"], 3),
    "top1_mAP_equal_across_layouts": all(
        a["top1"] == b["top1"] and abs(a["mAP"] - b["mAP"]) < 1e-4
        for a, b in ((ref, small_two), (large_one, large_two))),
}, indent=2))
PY
