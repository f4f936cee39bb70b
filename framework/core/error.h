// fct::Error: the one exception type of the framework. Errors carry their context in the message
// (file, line, key, sample, rank) and are caught once, at the command's edge (framework/cli/).
#pragma once

#include <stdexcept>
#include <string>

namespace fct {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown for invalid configuration: the message names file:line:column and the key path.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message) {}
};

// Thrown for unreadable or inconsistent input data: the message names the file or the sample.
class DataError : public Error {
 public:
  explicit DataError(const std::string& message) : Error(message) {}
};

// Thrown when ranks disagree or a collective fails or times out.
class DistributedError : public Error {
 public:
  explicit DistributedError(const std::string& message) : Error(message) {}
};

}  // namespace fct
