#!/usr/bin/env bash
# fct and PyTorch (Debian's python3-torch, the release fct's LibTorch comes from) on the same cores,
# the same model (resnet18_small, width 8, conv head, d = 128), the same data (Fashion-MNIST) and
# the same weights, interleaved over rounds (bench/interleave.py): medians, spreads and ratios for
#   training     fct train 2 ranks x 1 thread and 1 x 2  |  PyTorch DDP (gloo) 2 x 1 and one process 1 x 2
#   forward-only fct embed of the training split, whole command, 2 x 1  |  PyTorch forward 1 and 2
#                 threads at --batch, and 2 threads at the images a pass fct chose
#   feature cache fct's feature-cache path (old, side-info and new model over augmented views), 2 x 1
#                 |  PyTorch, the same three models over the same augmented views, 2 threads
# and the main PyTorch contestant of each row again with the malloc thresholds fct sets ("same malloc").
# Usage: bench/side_by_side.sh [--rounds 5] [--images 60000] [--train-images 20000] [--cache-images 10000]
#        [--batch 256] [--models DIR] [--only training|forward|cache] [--baseline BUILD_DIR]
# --baseline names the build directory of another revision of fct (e.g. a worktree of main before
# a change): its `fct train` and `fct embed` run as further contestants in the same rounds, and the
# feature cache row adds one pass per 1 024-image round (how write_embeddings ran before issue 21).
# --models DIR holds old/model.pt, side_info/model.pt and new/model.pt (a study's run directory,
# e.g. runs/fashion_mnist_fct); without it, old and new are trained here for one short epoch
# (build/bench-models) and the side-information model is the old model's backbone imported as ψ.
# Skips with a message (exit 0) where python3-torch is missing. Summary JSON: build/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FCT_BUILD_DIR:-build}
python=/usr/bin/python3
rounds=${FCT_BENCH_ROUNDS:-5}
images=60000 train_images=20000 cache_images=10000 batch=256 models="" only="" baseline=""
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --train-images) train_images=$2; shift 2 ;;
    --cache-images) cache_images=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "side_by_side: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "side_by_side: skipped: $python has no torch (apt-get install python3-torch)"
  exit 0
fi
for bin in "$build/fct" "$build/bench/fct_bench_forward"; do
  [ -x "$bin" ] || { echo "build first: ./setup.sh (missing $bin)" >&2; exit 1; }
done
fct="$build/fct"
work="$build/bench-side-by-side"
results="$build/bench-results"
mkdir -p "$work" "$results"

# Runs a set-up command quietly; on failure prints its output and stops.
quiet() {
  local log="$work/setup.log"
  "$@" >"$log" 2>&1 || { echo "side_by_side: failed: $*" >&2; tail -20 "$log" >&2; exit 1; }
}

# The models both sides run: a study's, or two trained here briefly (real weights, not random:
# trained weights decide denormals and hence speed).
if [ -z "$models" ]; then
  models="$build/bench-models"
  for role in old new; do
    if [ ! -f "$models/$role/model.pt" ]; then
      echo "side_by_side: training a $role model for one short epoch ($models/$role)" >&2
      classes='[]'; [ "$role" = old ] && classes='[0, 1]'
      quiet launch/mpirun.sh -np 2 "$fct" train "experiments/fashion_mnist_$role.yaml" \
        "data.classes=$classes" data.limit=4096 schedule.epochs=1 "output_dir=$models/$role" \
        --no-progress
    fi
  done
fi
for role in old new; do
  [ -f "$models/$role/model.pt" ] || { echo "side_by_side: no $models/$role/model.pt" >&2; exit 1; }
  quiet "$fct" export --model "$models/$role/model.pt" --out "$work/$role.ts" \
    --state-dict "$work/$role.pth"
done
# The side-information model: the study's, or the old model's backbone as a ψ of the same shape.
side_model="$models/side_info/model.pt" side_weights="$work/side_info.pth"
if [ -f "$side_model" ]; then
  quiet "$fct" export --model "$side_model" --out "$work/side_info.ts" --state-dict "$side_weights"
else
  side_model="$work/side_info.pt" side_weights="$work/old.pth"
  quiet "$fct" model import arch=resnet18_small width=8 embedding_dim=128 head=conv \
    "weights=$work/old.pth" frozen=true --kind side_info --dataset fashion_mnist \
    --out "$side_model"
fi

peers=bench/peers
il=("$python" bench/interleave.py --rounds "$rounds")
# fct sets glibc's mmap and trim thresholds at start-up (core/allocator_tuning.cpp, Note
# [Allocator]); PyTorch runs with glibc's defaults. The "same malloc" rows give the PyTorch peers
# the thresholds fct sets, so that each ratio can be read with and without the allocator.
same_malloc="GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"

if [ -z "$only" ] || [ "$only" = training ]; then
  cfg=experiments/fashion_mnist_new.yaml
  train="launch/mpirun.sh -np %d %s train $cfg data.limit=$train_images schedule.epochs=1 \
output_dir=$work/train-%s dist.threads_per_rank=%d --no-progress >&2 && cat $work/train-%s/summary.json"
  # shellcheck disable=SC2059
  train_baseline=()
  if [ -n "$baseline" ]; then
    train_baseline=(--run "base21=$(printf "$train" 2 "$baseline/fct" c 1 c)"
      --value "baseline fct 2x1 img/s=base21:items_per_s"
      --ratio "fct 2x1 / baseline 2x1=fct 2x1 img/s/baseline fct 2x1 img/s")
  fi
  "${il[@]}" --title "training, $train_images images, global batch 256" \
    --json "$results/side_by_side_training.json" \
    --run "fct21=$(printf "$train" 2 "$fct" a 1 a)" \
    --run "fct12=$(printf "$train" 1 "$fct" b 2 b)" \
    "${train_baseline[@]}" \
    --run "ddp21=$python $peers/pytorch_train.py --ranks 2 --threads 1 --images $train_images" \
    --run "pt12=$python $peers/pytorch_train.py --ranks 1 --threads 2 --images $train_images" \
    --run "ddp21m=$same_malloc $python $peers/pytorch_train.py --ranks 2 --threads 1 --images $train_images" \
    --value "fct 2x1 img/s=fct21:items_per_s" \
    --value "fct 1x2 img/s=fct12:items_per_s" \
    --value "fct 2x1 all-reduce wait share=fct21:allreduce_wait_share" \
    --value "PyTorch DDP 2x1 img/s=ddp21:images_per_s" \
    --value "PyTorch 1x2 img/s=pt12:images_per_s" \
    --value "PyTorch DDP 2x1 img/s, same malloc=ddp21m:images_per_s" \
    --ratio "fct 2x1 / PyTorch DDP 2x1=fct 2x1 img/s/PyTorch DDP 2x1 img/s" \
    --ratio "fct 2x1 / PyTorch DDP 2x1, same malloc=fct 2x1 img/s/PyTorch DDP 2x1 img/s, same malloc" \
    --ratio "fct 1x2 / PyTorch 1x2=fct 1x2 img/s/PyTorch 1x2 img/s" \
    --ratio "fct 2x1 / fct 1x2=fct 2x1 img/s/fct 1x2 img/s"
fi

# The images a forward pass of fct takes on this machine (models/inference_batch.h): PyTorch runs
# at that batch too, so that the comparison is of the same work, and at --batch, a usual choice.
pass=$(launch/mpirun.sh -np 1 "$build/bench/fct_bench_forward" --old "$models/old/model.pt" \
  --limit 2048 --out "$work/probe.h5" 2>/dev/null | tail -1 | "$python" -c 'import json,sys; print(json.load(sys.stdin)["forward_batch"])')

if [ -z "$only" ] || [ "$only" = forward ]; then
  embed_baseline=()
  if [ -n "$baseline" ]; then
    embed_baseline=(--run "base=launch/mpirun.sh -np 2 $baseline/fct embed --model $models/old/model.pt \
--split train --limit $images --batch-size $batch --out $work/base.h5 --no-progress --threads 1 \
>&2"
      --value "baseline fct embed 2x1 img/s, whole command=base:@per_s:$images"
      --ratio "fct embed / baseline=fct embed 2x1 img/s, whole command/baseline fct embed 2x1 img/s, whole command")
  fi
  "${il[@]}" --title "forward-only, $images training images, batch $batch" \
    --json "$results/side_by_side_forward.json" \
    "${embed_baseline[@]}" \
    --run "embed=launch/mpirun.sh -np 2 $fct embed --model $models/old/model.pt --split train \
--limit $images --batch-size $batch --out $work/embed.h5 --no-progress --threads 1 >&2" \
    --run "pt1=$python $peers/pytorch_forward.py --threads 1 --images $images --batch $batch \
--state-dict $work/old.pth" \
    --run "pt2=$python $peers/pytorch_forward.py --threads 2 --images $images --batch $batch \
--state-dict $work/old.pth" \
    --run "pt2p=$python $peers/pytorch_forward.py --threads 2 --images $images --batch $pass \
--state-dict $work/old.pth" \
    --run "pt2m=$same_malloc $python $peers/pytorch_forward.py --threads 2 --images $images \
--batch $batch --state-dict $work/old.pth" \
    --value "fct embed 2x1 img/s, whole command=embed:@per_s:$images" \
    --value "PyTorch forward 1 thread img/s=pt1:images_per_s" \
    --value "PyTorch forward 2 threads img/s=pt2:images_per_s" \
    --value "PyTorch forward 2 threads img/s, whole script=pt2:whole_images_per_s" \
    --value "PyTorch forward 2 threads img/s, batch $pass=pt2p:images_per_s" \
    --value "PyTorch forward 2 threads img/s, same malloc=pt2m:images_per_s" \
    --ratio "fct embed / PyTorch 2 threads=fct embed 2x1 img/s, whole command/PyTorch forward 2 threads img/s" \
    --ratio "fct embed / PyTorch 2 threads batch $pass=fct embed 2x1 img/s, whole command/PyTorch forward 2 threads img/s, batch $pass" \
    --ratio "fct embed / PyTorch 2 threads, same malloc=fct embed 2x1 img/s, whole command/PyTorch forward 2 threads img/s, same malloc" \
    --ratio "fct embed / PyTorch 1 thread=fct embed 2x1 img/s, whole command/PyTorch forward 1 thread img/s"
fi

if [ -z "$only" ] || [ "$only" = cache ]; then
  cache_baseline=()
  if [ -n "$baseline" ]; then
    cache_baseline=(--run "cache1024=launch/mpirun.sh -np 2 $build/bench/fct_bench_forward \
--old $models/old/model.pt --side-info $side_model --new $models/new/model.pt --views 2 --augment \
--limit $cache_images --threads 1 --forward-batch 1024 --out $work/cache1024.h5"
      --value "fct feature cache 2x1 passes/s, 1024 a pass=cache1024:passes_per_s"
      --ratio "fct feature cache / 1024 a pass=fct feature cache 2x1 passes/s/fct feature cache 2x1 passes/s, 1024 a pass")
  fi
  "${il[@]}" --title "feature cache: old + side-info + new model, 2 augmented views of $cache_images images" \
    --json "$results/side_by_side_cache.json" \
    --run "cache=launch/mpirun.sh -np 2 $build/bench/fct_bench_forward --old $models/old/model.pt \
--side-info $side_model --new $models/new/model.pt --views 2 --augment --limit $cache_images --threads 1 \
--out $work/cache.h5" \
    "${cache_baseline[@]}" \
    --run "pt=$python $peers/pytorch_forward.py --threads 2 --images $cache_images --batch $batch \
--models 3 --views 2 --augment --state-dict $work/old.pth,$side_weights,$work/new.pth" \
    --value "fct feature cache 2x1 passes/s=cache:passes_per_s" \
    --run "ptp=$python $peers/pytorch_forward.py --threads 2 --images $cache_images --batch $pass \
--models 3 --views 2 --augment --state-dict $work/old.pth,$side_weights,$work/new.pth" \
    --value "PyTorch 3 models 2 threads passes/s=pt:images_per_s" \
    --run "ptm=$same_malloc $python $peers/pytorch_forward.py --threads 2 --images $cache_images \
--batch $batch --models 3 --views 2 --augment --state-dict $work/old.pth,$side_weights,$work/new.pth" \
    --value "PyTorch 3 models 2 threads passes/s, batch $pass=ptp:images_per_s" \
    --value "PyTorch 3 models 2 threads passes/s, same malloc=ptm:images_per_s" \
    --ratio "fct / PyTorch=fct feature cache 2x1 passes/s/PyTorch 3 models 2 threads passes/s" \
    --ratio "fct / PyTorch batch $pass=fct feature cache 2x1 passes/s/PyTorch 3 models 2 threads passes/s, batch $pass" \
    --ratio "fct / PyTorch, same malloc=fct feature cache 2x1 passes/s/PyTorch 3 models 2 threads passes/s, same malloc"
fi
