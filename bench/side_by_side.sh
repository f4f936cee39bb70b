#!/usr/bin/env bash
# fct and PyTorch (Debian's python3-torch, the release fct's LibTorch comes from) on the same cores,
# the same model (resnet18_small, width 8, conv head, d = 128), the same data (Fashion-MNIST) and
# the same weights, interleaved over rounds (bench/interleave.py): medians, spreads and ratios for
#   training     fct train 2 ranks x 1 thread and 1 x 2  |  PyTorch DDP (gloo) 2 x 1 and one process 1 x 2
#   forward-only fct embed of the training split, whole command, 2 x 1  |  PyTorch forward 1 and 2 threads
#   feature cache fct's feature-cache path (old, side-info and new model over augmented views), 2 x 1
#                 |  PyTorch, the same three models over the same augmented views, 2 threads
# Usage: bench/side_by_side.sh [--rounds 5] [--images 60000] [--train-images 20000]
#        [--batch 256] [--models DIR] [--only training|forward|cache]
# --models DIR holds old/model.pt, side_info/model.pt and new/model.pt (a study's run directory,
# e.g. runs/fashion_mnist_fct); without it, old and new are trained here for one short epoch
# (build/bench-models) and the side-information model is a fresh one of the same backbone.
# Skips with a message (exit 0) where python3-torch is missing. Summary JSON: build/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FCT_BUILD_DIR:-build}
python=/usr/bin/python3
rounds=${FCT_BENCH_ROUNDS:-5}
images=60000 train_images=20000 batch=256 models="" only=""
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --train-images) train_images=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
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

# The models both sides run: a study's, or two trained here briefly (real weights, not random:
# trained weights decide denormals and hence speed).
if [ -z "$models" ]; then
  models="$build/bench-models"
  for role in old new; do
    if [ ! -f "$models/$role/model.pt" ]; then
      echo "side_by_side: training a $role model for one short epoch ($models/$role)" >&2
      classes='[]'; [ "$role" = old ] && classes='[0, 1]'
      launch/mpirun.sh -np 2 "$fct" train "experiments/fashion_mnist_$role.yaml" \
        "data.classes=$classes" data.limit=4096 schedule.epochs=1 "output_dir=$models/$role" \
        --no-progress >"$work/train-$role.log" 2>&1 ||
        { tail -20 "$work/train-$role.log" >&2; exit 1; }
    fi
  done
fi
side=""
[ -f "$models/side_info/model.pt" ] && side="--side-info $models/side_info/model.pt"
for role in old new; do
  [ -f "$models/$role/model.pt" ] || { echo "side_by_side: no $models/$role/model.pt" >&2; exit 1; }
  "$fct" export --model "$models/$role/model.pt" --out "$work/$role.ts" \
    --state-dict "$work/$role.pth" >/dev/null
done

peers=bench/peers
il=("$python" bench/interleave.py --rounds "$rounds")

if [ -z "$only" ] || [ "$only" = training ]; then
  cfg=experiments/fashion_mnist_new.yaml
  train="launch/mpirun.sh -np %d $fct train $cfg data.limit=$train_images schedule.epochs=1 \
output_dir=$work/train-%s --no-progress --threads %d >/dev/null 2>&1 && cat $work/train-%s/summary.json"
  # shellcheck disable=SC2059
  "${il[@]}" --title "training, $train_images images, global batch 256" \
    --json "$results/side_by_side_training.json" \
    --run "fct21=$(printf "$train" 2 a 1 a)" \
    --run "fct12=$(printf "$train" 1 b 2 b)" \
    --run "ddp21=$python $peers/pytorch_train.py --ranks 2 --threads 1 --images $train_images" \
    --run "pt12=$python $peers/pytorch_train.py --ranks 1 --threads 2 --images $train_images" \
    --value "fct 2x1 img/s=fct21:items_per_s" \
    --value "fct 1x2 img/s=fct12:items_per_s" \
    --value "fct 2x1 all-reduce wait share=fct21:allreduce_wait_share" \
    --value "PyTorch DDP 2x1 img/s=ddp21:images_per_s" \
    --value "PyTorch 1x2 img/s=pt12:images_per_s" \
    --ratio "fct 2x1 / PyTorch DDP 2x1=fct 2x1 img/s/PyTorch DDP 2x1 img/s" \
    --ratio "fct 1x2 / PyTorch 1x2=fct 1x2 img/s/PyTorch 1x2 img/s" \
    --ratio "fct 2x1 / fct 1x2=fct 2x1 img/s/fct 1x2 img/s"
fi

if [ -z "$only" ] || [ "$only" = forward ]; then
  "${il[@]}" --title "forward-only, $images training images, batch $batch" \
    --json "$results/side_by_side_forward.json" \
    --run "embed=launch/mpirun.sh -np 2 $fct embed --model $models/old/model.pt --split train \
--limit $images --batch-size $batch --out $work/embed.h5 --no-progress --threads 1 >/dev/null 2>&1" \
    --run "pt1=$python $peers/pytorch_forward.py --threads 1 --images $images --batch $batch \
--state-dict $work/old.pth" \
    --run "pt2=$python $peers/pytorch_forward.py --threads 2 --images $images --batch $batch \
--state-dict $work/old.pth" \
    --value "fct embed 2x1 img/s, whole command=embed:@per_s:$images" \
    --value "PyTorch forward 1 thread img/s=pt1:images_per_s" \
    --value "PyTorch forward 2 threads img/s=pt2:images_per_s" \
    --value "PyTorch forward 2 threads img/s, whole script=pt2:whole_images_per_s" \
    --ratio "fct embed / PyTorch 2 threads=fct embed 2x1 img/s, whole command/PyTorch forward 2 threads img/s" \
    --ratio "fct embed / PyTorch 1 thread=fct embed 2x1 img/s, whole command/PyTorch forward 1 thread img/s"
fi

if [ -z "$only" ] || [ "$only" = cache ]; then
  "${il[@]}" --title "feature cache: old + side-info + new model, 2 augmented views of $images images" \
    --json "$results/side_by_side_cache.json" \
    --run "cache=launch/mpirun.sh -np 2 $build/bench/fct_bench_forward --old $models/old/model.pt \
$side --new $models/new/model.pt --views 2 --augment --limit $images --threads 1 \
--out $work/cache.h5 2>/dev/null" \
    --run "pt=$python $peers/pytorch_forward.py --threads 2 --images $images --batch $batch \
--models 3 --views 2 --augment --state-dict $work/old.pth,$work/old.pth,$work/new.pth" \
    --value "fct feature cache 2x1 passes/s=cache:passes_per_s" \
    --value "PyTorch 3 models 2 threads passes/s=pt:images_per_s" \
    --ratio "fct / PyTorch=fct feature cache 2x1 passes/s/PyTorch 3 models 2 threads passes/s"
fi
