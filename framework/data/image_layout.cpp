#include "framework/data/image_layout.h"

#include <algorithm>

#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "framework/data/image_folder_layout.h"
#include "framework/data/imagenet_layout.h"
#include "framework/data/places365_layout.h"
#include "framework/data/vggface2_layout.h"

namespace fct::data {
namespace {

template <class Layout>
std::unique_ptr<ImageLayout> make() {
  return std::make_unique<Layout>();
}

}  // namespace

void ImageLayout::require_split(const std::string& split) const {
  const auto known = splits();
  if (std::find(known.begin(), known.end(), split) != known.end()) return;
  std::string list;
  for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
  throw ConfigError(name() + ": unknown split '" + split + "'" + did_you_mean(split, known) +
                    "; known: " + list);
}

const Registry<LayoutFactory>& layout_registry() {
  // Built on first use from this explicit list (see registry.h); immutable afterwards.
  static const Registry<LayoutFactory> registry("dataset layout",
                                                {{"imagenet", &make<ImagenetLayout>},
                                                 {"places365", &make<Places365Layout>},
                                                 {"vggface2", &make<VggFace2Layout>},
                                                 {"image_folder", &make<ImageFolderLayout>},
                                                 {"image_list", &make<ImageListLayout>}});
  return registry;
}

}  // namespace fct::data
