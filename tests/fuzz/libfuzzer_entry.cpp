// libFuzzer's entry point for one target, chosen at compile time (FCT_FUZZ_FUNCTION, set by
// tests/fuzz/CMakeLists.txt for each fct_fuzz_<target> of a FCT_FUZZ build).
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  return fct::fuzz::FCT_FUZZ_FUNCTION(data, size);
}
