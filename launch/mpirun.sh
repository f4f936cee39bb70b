#!/usr/bin/env bash
# Local or multi-node mpirun with fct's defaults: threaded LibTorch ranks must not be pinned to one
# core (--bind-to none, and --map-by slot as Horovod does), one rank per GPU where GPUs are used,
# and root may launch (containers, CI).
#
# Usage: launch/mpirun.sh [fct launcher options] [mpirun options] COMMAND ...
#   --hostfile FILE          the nodes (Open MPI hostfile: "node01 slots=4" lines; a host listed
#                            twice counts twice)
#   --ranks-per-node N       N ranks on every node (--map-by ppr:N:node)
#   --gpus-per-node N|auto   one rank per GPU: N ranks per node (auto: this node's nvidia-smi count)
#   Without -np, the job gets ranks-per-node x nodes ranks (nodes from the hostfile, else 1).
#   Every other option before COMMAND goes to mpirun unchanged (-np 4, -x VAR, --mca ...).
# Examples:
#   launch/mpirun.sh -np 2 build/fct run experiments/fashion_mnist_fct.yaml
#   launch/mpirun.sh --hostfile hosts --gpus-per-node auto build/fct run experiments/imagenet_fct.yaml
set -euo pipefail

hostfile=""
ranks_per_node=""
passthrough=()
has_np=0
has_map=0
has_bind=0
while (($#)); do
  case "$1" in
    --hostfile)
      hostfile="${2:?--hostfile needs a file}"
      [ -r "$hostfile" ] || { echo "launch/mpirun.sh: cannot read hostfile '$hostfile'" >&2; exit 2; }
      shift 2 ;;
    --ranks-per-node)
      ranks_per_node="${2:?--ranks-per-node needs a number}"
      shift 2 ;;
    --gpus-per-node)
      gpus="${2:?--gpus-per-node needs a number or auto}"
      if [ "$gpus" = auto ]; then
        gpus=$(nvidia-smi --list-gpus 2>/dev/null | grep -c '^GPU' || true)
        [ "$gpus" -gt 0 ] || { echo "launch/mpirun.sh: --gpus-per-node auto found no GPU" >&2; exit 2; }
      fi
      ranks_per_node="$gpus"
      shift 2 ;;
    -np|-n|--np)
      has_np=1
      passthrough+=("$1" "${2:?$1 needs a number}")
      shift 2 ;;
    -x|--mca|-H|--host|--map-by|--bind-to|--rank-by)
      # mpirun options that take values: passed on with them; the user's mapping and binding win.
      [ "$1" = --map-by ] && has_map=1
      [ "$1" = --bind-to ] && has_bind=1
      if [ "$1" = --mca ]; then passthrough+=("$1" "$2" "$3"); shift 3
      else passthrough+=("$1" "$2"); shift 2; fi ;;
    --)
      shift; break ;;
    -*)
      passthrough+=("$1"); shift ;;
    *)
      break ;;
  esac
done
(($#)) || { echo "usage: launch/mpirun.sh [options] COMMAND ..." >&2; exit 2; }
if [[ -n "$ranks_per_node" && ! "$ranks_per_node" =~ ^[1-9][0-9]*$ ]]; then
  echo "launch/mpirun.sh: ranks per node must be a positive integer, not '$ranks_per_node'" >&2
  exit 2
fi

args=()
((has_bind)) || args+=(--bind-to none)
if [ -n "$hostfile" ]; then args+=(--hostfile "$hostfile"); fi
if [ -n "$ranks_per_node" ]; then
  ((has_map)) || args+=(--map-by "ppr:${ranks_per_node}:node")
  if ((has_np == 0)); then
    nodes=1
    if [ -n "$hostfile" ]; then
      nodes=$(grep -v '^[[:space:]]*\(#\|$\)' "$hostfile" | awk '{print $1}' | sort -u | wc -l)
    fi
    args+=(-np "$((ranks_per_node * nodes))")
  fi
elif ((has_map == 0)); then
  args+=(--map-by slot)
fi
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
exec mpirun "${args[@]}" "${passthrough[@]}" "$@"
