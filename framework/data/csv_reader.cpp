#include "framework/data/csv_reader.h"

#include <csv.h>

#include <exception>
#include <fstream>
#include <sstream>

#include "framework/core/error.h"

namespace fct::data {
namespace {

// What libcsv's callbacks fill; `line` is the physical line being fed to the parser.
struct ParseState {
  const std::function<void(const CsvRecord&)>* on_record = nullptr;
  CsvRecord record;
  int64_t line = 0;
  // The first non-blank line since the last record ended: where the next record starts (libcsv
  // reports a field only at its end, which for a quoted line break is lines later).
  int64_t record_start = 0;
  bool in_record = false;
  // An exception of `on_record`, held until libcsv (C code) has returned: never thrown through it.
  std::exception_ptr error;
};

void on_field(void* data, std::size_t length, void* user) {
  auto& state = *static_cast<ParseState*>(user);
  if (state.error) return;
  if (!state.in_record) {
    state.record.line = state.record_start;
    state.record.fields.clear();
    state.in_record = true;
  }
  state.record.fields.emplace_back(data ? static_cast<const char*>(data) : "", data ? length : 0);
}

void on_record_end(int /*terminator*/, void* user) {
  auto& state = *static_cast<ParseState*>(user);
  state.record_start = 0;
  if (state.error || !state.in_record) return;
  state.in_record = false;
  try {
    (*state.on_record)(state.record);
  } catch (...) {
    state.error = std::current_exception();
  }
}

// Owns the parser so that it is freed when a callback throws.
class Parser {
 public:
  Parser() {
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI) != 0)
      throw DataError("csv: cannot initialise the parser");
  }
  ~Parser() { csv_free(&parser_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  csv_parser* get() { return &parser_; }

 private:
  csv_parser parser_{};
};

}  // namespace

void parse_csv(const std::string& text, const std::string& origin,
               const std::function<void(const CsvRecord&)>& on_record) {
  Parser parser;
  ParseState state;
  state.on_record = &on_record;
  // Fed one physical line at a time, so that an error names the line it is on.
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    ++state.line;
    const std::size_t length = end - start;
    if (state.record_start == 0 && text.find_first_not_of(" \t\r\n", start) < end)
      state.record_start = state.line;
    if (csv_parse(parser.get(), text.data() + start, length, on_field, on_record_end, &state) !=
        length)
      throw DataError(origin + ":" + std::to_string(state.line) + ": malformed CSV (" +
                      csv_strerror(csv_error(parser.get())) + ")");
    if (state.error) std::rethrow_exception(state.error);
    start = end;
  }
  if (csv_fini(parser.get(), on_field, on_record_end, &state) != 0)
    throw DataError(origin + ":" +
                    std::to_string(state.record_start ? state.record_start : state.line) +
                    ": malformed CSV (a quoted field is not closed by the end of the file)");
  if (state.error) std::rethrow_exception(state.error);
}

void read_csv_file(const std::string& path,
                   const std::function<void(const CsvRecord&)>& on_record) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  parse_csv(text.str(), path, on_record);
}

std::size_t csv_column(const CsvRecord& header, const std::string& name,
                       const std::string& origin) {
  for (std::size_t i = 0; i < header.fields.size(); ++i)
    if (header.fields[i] == name) return i;
  std::string found;
  for (const auto& field : header.fields) found += (found.empty() ? "" : ", ") + field;
  throw DataError(origin + ":" + std::to_string(header.line) + ": no column '" + name +
                  "' in the header (" + found + ")");
}

}  // namespace fct::data
