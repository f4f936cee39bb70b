#!/usr/bin/env bash
# bench/fuzz.sh --list            the fuzz targets, one a line
# bench/fuzz.sh TARGET SECONDS    builds what it needs (clang, libFuzzer, ASan + UBSan, in
#                                 build-fuzz/) and fuzzes TARGET for SECONDS; exits non-zero on a
#                                 finding (crash, hang, leak, sanitizer report, unclear error)
# bench/fuzz.sh all SECONDS       every target, one after the other
#
# Seeds: tests/fuzz/corpus/TARGET/ (and regression/TARGET/); new coverage goes to
# build-fuzz/corpus/TARGET/, findings to build-fuzz/findings/TARGET/. Keep a finding, once fixed,
# as tests/fuzz/regression/TARGET/<name>: the suite replays it (CTest label fuzz).
# Environment: FCT_FUZZ_BUILD (build folder), FCT_FUZZ_JOBS (build jobs), FCT_FUZZ_FLAGS (extra
# libFuzzer flags), FCT_FUZZ_NO_BUILD=1 (use the built target as it is: for several runs at once,
# which must not build the same folder together).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FCT_FUZZ_BUILD:-$root/build-fuzz}
targets=$(sed -n '/^set(FCT_FUZZ_HARNESSES/,/)/p' "$root/tests/fuzz/CMakeLists.txt" |
  grep -o '[a-z0-9_]*:[a-z0-9_]*\.cpp' | cut -d: -f1)

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
if [ "$1" = "--list" ]; then
  printf '%s\n' $targets
  exit 0
fi
[ $# -eq 2 ] || usage
target=$1 seconds=$2
case $seconds in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
if [ "$target" != all ] && ! printf '%s\n' $targets | grep -qx "$target"; then
  echo "fuzz.sh: no target '$target'; bench/fuzz.sh --list names them" >&2
  exit 2
fi
# clang and its libFuzzer/ASan/UBSan runtimes (libclang-rt-14-dev).
runtime=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
if ! command -v clang++-14 >/dev/null || [ ! -f "$runtime" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
  else
    echo "fuzz.sh: needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 2
  fi
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DFCT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DFCT_WITH_CUDA=OFF \
    -DFCT_USE_PCH=OFF >/dev/null
fi
jobs=${FCT_FUZZ_JOBS:-$(nproc)}
if [ "$target" = all ]; then
  cmake --build "$build" --target fct_fuzz_all -j "$jobs"
  status=0
  for t in $targets; do "$0" "$t" "$seconds" || status=1; done
  exit $status
fi
if [ "${FCT_FUZZ_NO_BUILD:-0}" != 1 ] || [ ! -x "$build/fct_fuzz_$target" ]; then
  cmake --build "$build" --target "fct_fuzz_$target" -j "$jobs"
fi

# Images, stores and model files are larger than the texts.
case $target in
  model_file|state_dict) max_len=262144 ;;
  jpeg|png|jpeg_region|store) max_len=65536 ;;
  *) max_len=16384 ;;
esac
work="$build/corpus/$target" findings="$build/findings/$target"
mkdir -p "$work" "$findings"
seeds=("$root/tests/fuzz/corpus/$target")
[ -d "$root/tests/fuzz/regression/$target" ] && seeds+=("$root/tests/fuzz/regression/$target")
# Leaks in libraries fct does not own are suppressed by name, each with its reason.
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"
# Slow unwinding on malloc: leak reports (and their suppressions) need the frames inside the
# uninstrumented libraries (LibTorch, HDF5), which the fast unwinder cannot walk.
export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=0:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_NUM_THREADS=1
echo "fuzz.sh: $target for $seconds s (seeds: ${seeds[*]})"
set +e
# shellcheck disable=SC2086
"$build/fct_fuzz_$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
  -max_len="$max_len" -artifact_prefix="$findings/" -print_final_stats=1 -print_funcs=0 \
  ${FCT_FUZZ_FLAGS:-} "$work" "${seeds[@]}" 2>&1 | tee "$build/fuzz-$target.log" | grep -v '^#[0-9]*.*\(NEW\|REDUCE\|pulse\)'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: $target FOUND something (exit $status); inputs in $findings/, log $build/fuzz-$target.log" >&2
  echo "  replay: $build/fct_fuzz_$target $findings/<file>" >&2
  exit 1
fi
echo "fuzz.sh: $target: no findings in $seconds s"
