// Cutting blanks off both ends of a text (command-line values, tool output).
#pragma once

#include <string>

namespace fct {

std::string trim(const std::string& text, const char* blanks = " \t");

}  // namespace fct
