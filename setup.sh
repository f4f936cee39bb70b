#!/usr/bin/env bash
# Installs the Debian 12 packages fct needs (only those missing), then configures and builds fct
# into build/ (Release, ccache, precompiled LibTorch headers). Idempotent: a second run only
# rebuilds what changed. Usage: ./setup.sh [--no-build | TARGET...]: the named build targets
# (`fct` for the command alone, as the README's main job needs) or, by default, everything
# (the command, the tests and the benchmarks).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake git pkg-config ccache
  libtorch-dev libopenblas-dev
  openmpi-bin libopenmpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  libprotobuf-dev protobuf-compiler
  chromium
  libturbojpeg0-dev libjpeg-dev libpng-dev zlib1g-dev libmatio-dev libcsv-dev
  dataset-fashion-mnist
  python3 python3-h5py python3-numpy python3-protobuf python3-torch
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--no-build" ]; then exit 0; fi

# ccache must ignore the precompiled header's timestamps, or it never hits.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Paths relative to the checkout, so a second clone (CI's fresh one) reuses the first one's cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

jobs="$(nproc)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${FCT_CMAKE_ARGS:-}
if (($#)); then
  for target in "$@"; do cmake --build build -j "$jobs" --target "$target"; done
  echo "setup: built $*"
else
  cmake --build build -j "$jobs"
  echo "setup: built build/fct, the tests and the benchmarks"
fi
