// The label lists and CSVs of ImageNet, Places-365 and VGG-Face2, read by scanning a dataset tree
// (Note [Fuzz targets]). An input is a whole small tree (parse_tree): the label files with their
// contents and the image files' names, so the fuzzer changes names and lists together.
#include "framework/data/image_layout.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {
namespace {

int scan_tree(const char* layout_name, const uint8_t* data, std::size_t size) {
  static const ScratchDirectory scratch("fct-fuzz-layout");
  scratch.clear();
  write_tree(parse_tree(std::string_view(reinterpret_cast<const char*>(data), size)), scratch);
  const auto layout = data::layout_registry().get(layout_name)();
  for (const auto& split : layout->splits()) {
    try {
      data::IndexSources sources;
      layout->scan(scratch.path(), split, sources);
    } catch (const Error& e) {
      require_named(e, scratch.path());
    }
  }
  return 0;
}

}  // namespace

int fuzz_imagenet_lists(const uint8_t* data, std::size_t size) {
  return scan_tree("imagenet", data, size);
}

int fuzz_places365_lists(const uint8_t* data, std::size_t size) {
  return scan_tree("places365", data, size);
}

int fuzz_vggface2_lists(const uint8_t* data, std::size_t size) {
  return scan_tree("vggface2", data, size);
}

}  // namespace fct::fuzz
