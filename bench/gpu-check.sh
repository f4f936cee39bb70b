#!/usr/bin/env bash
# One prepared call on a lent GPU machine (see bench/gpu-check-prepare.sh): builds fct against the
# LibTorch bundled with the machine's PyTorch with CUDA + NCCL on, using the Debian packages
# unpacked in .device/sysroot; runs the NCCL tests; compares single-GPU training images/s of fct
# with PyTorch eager on the same model and batch. Everything it prints also lands in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu-check}"; mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check.log") 2>&1
sys="$PWD/.device/sysroot"; lib="$sys/usr/lib/x86_64-linux-gnu"
[ -d "$sys" ] || { echo "missing .device/sysroot: run bench/gpu-check-prepare.sh here first"; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
read -r torch_prefix torch_abi torch_version < <(python3 -c \
  'import torch; print(torch.utils.cmake_prefix_path, int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.__version__)')
echo "PyTorch $torch_version, cxx11 ABI $torch_abi, cmake prefix $torch_prefix"
if [ "$torch_abi" != 1 ]; then
  echo "PyTorch's LibTorch uses the pre-C++11 ABI: Debian's yaml-cpp/spdlog cannot link with it"; exit 3
fi
export OPAL_PREFIX="$sys/usr" PATH="$sys/usr/bin:$PATH"
export LD_LIBRARY_PATH="$lib:$lib/openmpi/lib:$lib/hdf5/openmpi:$torch_prefix/../../lib:${LD_LIBRARY_PATH:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DFCT_WITH_CUDA=ON \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$sys/usr;$lib/cmake;$sys/usr/share/cmake" \
  -DMPI_SKIP_COMPILER_WRAPPER=ON -DMPI_C_HEADER_DIR="$lib/openmpi/include" \
  -DMPI_C_LIB_NAMES=mpi -DMPI_mpi_LIBRARY="$lib/libmpi.so.40" \
  -DMPIEXEC_EXECUTABLE="$sys/usr/bin/mpirun" \
  -DFCT_HDF5_INCLUDE_DIR="$sys/usr/include/hdf5/openmpi" \
  -DFCT_HDF5_LIBRARY="$lib/hdf5/openmpi/libhdf5.so" | tail -5
cmake --build build-gpu -j "$(nproc)" --target fct fct_distributed_mpi_tests fct_bench_train_throughput
echo "== NCCL communicator tests (1 rank, 1 GPU)"
mpirun -np 1 build-gpu/tests/fct_distributed_mpi_tests --gtest_filter='*Nccl*:*NCCL*' | tail -15
echo "== training throughput: fct (LibTorch C++) vs PyTorch eager, ResNet-18, batch 128, 3x224x224"
build-gpu/bench/fct_bench_train_throughput --device cuda --arch resnet18 --width 64 --head linear \
  --in-channels 3 --image-size 224 --global-batch 128 --steps 30 --warmup 5 | tee "$OUT/fct.json"
python3 - "$OUT/fct.json" <<'PY' | tee "$OUT/comparison.json"
import json, sys, time, torch, torchvision
model = torch.nn.Sequential(torchvision.models.resnet18(num_classes=128),
                            torch.nn.Linear(128, 10, bias=False)).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
x = torch.randn(128, 3, 224, 224, device="cuda"); y = torch.randint(0, 10, (128,), device="cuda")
loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
def step():
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
for _ in range(5): step()
torch.cuda.synchronize(); t = time.perf_counter()
for _ in range(30): step()
torch.cuda.synchronize(); eager = 128 * 30 / (time.perf_counter() - t)
fct = json.load(open(sys.argv[1]))
print(json.dumps({"fct_images_per_s": fct["images_per_s"], "pytorch_eager_images_per_s": eager,
                  "fct_over_eager": fct["images_per_s"] / eager}, indent=2))
PY
