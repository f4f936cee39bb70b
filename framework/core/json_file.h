// Reading a JSON file that fct wrote (records, results, graphs): one place that names the file
// when it is missing or not JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fct {

// Throws fct::Error naming `path` when it cannot be read or parsed.
nlohmann::json read_json_file(const std::string& path);

}  // namespace fct
