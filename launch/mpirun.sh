#!/usr/bin/env bash
# Local or multi-node mpirun with fct's defaults: threaded LibTorch ranks must not be pinned to
# one core (--bind-to none --map-by slot, as Horovod recommends), and root may launch (containers,
# CI). Usage: launch/mpirun.sh -np 2 build/fct train experiments/fashion_mnist_new.yaml
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
exec mpirun --bind-to none --map-by slot "$@"
