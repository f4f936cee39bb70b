// Text for reports (tables, CSV, SVG plots): one escaping rule per format, used by every writer.
#pragma once

#include <string>

namespace fct {

// A CSV field, quoted (RFC 4180) only when it holds a comma, quote or newline.
std::string csv_field(const std::string& text);

// Text safe inside an XML/SVG element or attribute.
std::string xml_escape(const std::string& text);

// "12.34": two decimals, as tables show percentages.
std::string fixed2(double value);

}  // namespace fct
