#!/usr/bin/env bash
# Training images/s on 2 ranks x 1 thread against 1 rank x 2 threads (the baseline), interleaved
# over rounds (bench/interleave.py: medians, spreads, ratios), measured two ways:
#   study   `fct train` of the built-in study's new model (experiments/fashion_mnist_new.yaml: real
#           Fashion-MNIST batches through the real loader, augmentation, model, loss, gradient
#           reducer and optimiser) for one epoch of the first --images training images; its
#           summary.json's items_per_s is what the study's epochs print (evaluation excluded)
#   model   bench/train_throughput.cpp: the same model, loss, reducer and optimiser on one
#           synthetic batch, repeated (no loader, no augmentation, no per-epoch work)
# The ratio model/study is the share of the study's time spent outside the model's steps.
# Usage: bench/train_throughput.sh [--rounds 5] [--images 20000] [--width 8]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FCT_BUILD_DIR:-build}
bin=$build/bench/fct_bench_train_throughput
[ -x "$bin" ] && [ -x "$build/fct" ] || { echo "build first: ./setup.sh" >&2; exit 1; }
images=20000 width=8
while (($#)); do
  case "$1" in
    --rounds) export FCT_BENCH_ROUNDS=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --width) width=$2; shift 2 ;;
    *) echo "train_throughput: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$build/bench-results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
study() {  # ranks threads
  echo "launch/mpirun.sh -np $1 $build/fct train experiments/fashion_mnist_new.yaml \
data.limit=$images schedule.epochs=1 model.width=$width output_dir=$work/s$1 dist.threads_per_rank=$2 \
--no-progress >&2 && cat $work/s$1/summary.json"
}
model() {  # ranks threads
  echo "launch/mpirun.sh -np $1 $bin --threads $2 --width $width --global-batch 256 --steps 40"
}
/usr/bin/python3 bench/interleave.py --title "training img/s, resnet18_small width $width, global batch 256" \
  --json "$build/bench-results/train_throughput.json" \
  --run "study21=$(study 2 1)" --run "study12=$(study 1 2)" \
  --run "model21=$(model 2 1)" --run "model12=$(model 1 2)" \
  --value "study 2x1=study21:items_per_s" --value "study 1x2=study12:items_per_s" \
  --value "model 2x1=model21:images_per_s" --value "model 1x2=model12:images_per_s" \
  --value "study 2x1 all-reduce wait share=study21:allreduce_wait_share" \
  --value "model 2x1 all-reduce wait share=model21:allreduce_wait_share" \
  --ratio "study 2x1 / 1x2=study 2x1/study 1x2" \
  --ratio "model 2x1 / 1x2=model 2x1/model 1x2" \
  --ratio "model / study, 2x1=model 2x1/study 2x1"
