// CsvReader: RFC-4180 records of a CSV file (VGG-Face2's box and identity files, Kaggle ImageNet's
// val solution), parsed by libcsv in strict mode: quoted fields may hold commas, doubled quotes and
// line breaks; blanks around fields (VGG-Face2's ", " separators) are trimmed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fct::data {

struct CsvRecord {
  int64_t line = 0;  // 1-based line of the file where the record starts
  std::vector<std::string> fields;
};

// Calls `on_record` for each record of `text` in order (blank lines yield none); `origin` names the
// text in errors. Throws DataError "origin:line: ..." for malformed quoting. Records are streamed,
// not kept: a box file has millions.
void parse_csv(const std::string& text, const std::string& origin,
               const std::function<void(const CsvRecord&)>& on_record);

// parse_csv over the file at `path`; DataError naming it when it cannot be read.
void read_csv_file(const std::string& path, const std::function<void(const CsvRecord&)>& on_record);

// The index of the header field equal to `name` (headers compared after trimming); DataError naming
// `origin` and the header's fields when there is none.
std::size_t csv_column(const CsvRecord& header, const std::string& name, const std::string& origin);

}  // namespace fct::data
