#include "framework/core/json_file.h"

#include <fstream>

#include "framework/core/error.h"

namespace fct {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw Error(path + " is not valid JSON: " + e.what());
  }
}

}  // namespace fct
