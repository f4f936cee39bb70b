// Text from outside (a tool's output, a line of a data file) quoted inside an error message.
#pragma once

#include <string>
#include <string_view>

namespace fct {

// `text` with control bytes other than newline and tab written as \xNN: an error's what() is a C
// string, so a NUL in quoted output would cut the message there (and the command or file named
// after it), and an escape sequence would reach the user's terminal.
std::string printable_text(std::string_view text);

}  // namespace fct
