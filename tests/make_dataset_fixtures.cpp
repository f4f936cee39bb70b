// fct_make_fixtures <layout> <directory>: writes a small dataset tree of that layout (real JPEGs,
// label files, one bad file of each kind in the training split) for experiments to point at, then
// scans it with the layout and checks the labels, so a tree it reports is one fct reads.
#include <exception>
#include <iostream>
#include <stdexcept>

#include "framework/data/image_layout.h"
#include "tests/dataset_fixtures.h"

int main(int argc, char** argv) {
  using namespace fct;
  if (argc != 3) {
    std::cerr << "usage: fct_make_fixtures <layout> <directory>\n  layouts:";
    for (const auto& name : testing::fixture_names()) std::cerr << " " << name;
    std::cerr << "\n";
    return 2;
  }
  try {
    const auto fixture = testing::write_fixture(argv[1], argv[2]);
    const auto layout = data::layout_registry().get(fixture.layout)();
    for (const auto& [split_name, split] : fixture.splits) {
      data::IndexSources sources;
      const auto index = layout->scan(fixture.root, split_name, sources);
      const std::string differences = testing::compare_index(index, split);
      if (!differences.empty())
        throw std::runtime_error(split_name + ": the " + fixture.layout +
                                 " layout does not read the tree as written:\n" + differences);
      std::cout << fixture.layout << " " << split_name << ": " << index.entries.size()
                << " images, " << index.classes.size() << " classes, " << split.bad_files.size()
                << " bad files, root " << index.root << "\n";
      for (const auto& problem : index.problems) std::cout << "  problem: " << problem << "\n";
    }
    std::cout << "layout " << fixture.layout << ", root " << fixture.root << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fct_make_fixtures: " << e.what() << "\n";
    return 1;
  }
}
