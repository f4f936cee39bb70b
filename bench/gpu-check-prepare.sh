#!/usr/bin/env bash
# Run HERE (a Debian 12 machine that reaches Debian's registry) before bench/gpu-check.sh: downloads
# the Debian packages the GPU image lacks (Open MPI, parallel HDF5, yaml-cpp, spdlog, fmt, CLI11,
# nlohmann-json, GoogleTest, TurboJPEG, libpng, libmatio (static), libcsv) and unpacks them into .device/sysroot (git-ignored), which the device
# call carries: run(command="bash bench/gpu-check.sh", carry=[".device"]).
set -euo pipefail
cd "$(dirname "$0")/.."
root=.device
rm -rf "$root" && mkdir -p "$root/debs" "$root/sysroot"
wanted=(libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libhdf5-openmpi-dev libhdf5-openmpi-103-1
        libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libcli11-dev
        nlohmann-json3-dev libgtest-dev libhwloc15 libevent-core-2.1-7 libevent-pthreads-2.1-7
        libpmix2 libfabric1 libpsm-infinipath1 libpsm2-2 libucx0 libibverbs1 librdmacm1 libnl-3-200
        libnl-route-3-200 libsz2 libaec0 libcurl3-gnutls libltdl7 libnuma1 libxnvctrl0 libmunge2
        libturbojpeg0-dev libturbojpeg0 libjpeg62-turbo-dev libjpeg62-turbo libpng-dev libpng16-16
        libmatio-dev libcsv-dev libcsv3)
(cd "$root/debs" && apt-get download "${wanted[@]}")
for deb in "$root"/debs/*.deb; do dpkg -x "$deb" "$root/sysroot"; done
rm -rf "$root/debs" "$root/sysroot/usr/share/doc" "$root/sysroot/usr/share/man"
du -sh "$root"
