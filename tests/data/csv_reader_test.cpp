#include "framework/data/csv_reader.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

std::vector<CsvRecord> parse(const std::string& text, const std::string& origin = "t.csv") {
  std::vector<CsvRecord> records;
  parse_csv(text, origin, [&](const CsvRecord& r) { records.push_back(r); });
  return records;
}

TEST(CsvReaderTest, QuotedCommasLeadingSpacesAndDoubledQuotes) {
  // identity_meta.csv as VGG-Face2 ships it: ", " separators, quoted names holding commas.
  const auto records = parse(
      "Class_ID, Name, Sample_Num, Flag, Gender\n"
      "n000077, \"Adhyaksa_Dault\", 319, 1, m\n"
      "n000009, \"Smith, \"\"Bo\"\"\" , 301,0,f\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields,
            (std::vector<std::string>{"Class_ID", "Name", "Sample_Num", "Flag", "Gender"}));
  EXPECT_EQ(records[1].fields,
            (std::vector<std::string>{"n000077", "Adhyaksa_Dault", "319", "1", "m"}));
  EXPECT_EQ(records[2].fields,
            (std::vector<std::string>{"n000009", "Smith, \"Bo\"", "301", "0", "f"}));
  EXPECT_EQ(records[2].line, 3);
}

TEST(CsvReaderTest, LineNumbersCountBlankLinesCrlfAndQuotedLineBreaks) {
  const auto records = parse("a,b\r\n\r\n\"x\ny\",2\nlast,3");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[1].line, 3);
  EXPECT_EQ(records[1].fields[0], "x\ny");
  EXPECT_EQ(records[2].line, 5);  // the last record has no line break
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"last", "3"}));
}

TEST(CsvReaderTest, EmptyFieldsAreKept) {
  const auto records = parse("a,,c\n,\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "", "c"}));
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"", ""}));
}

TEST(CsvReaderTest, MalformedQuotingNamesFileAndLine) {
  try {
    parse("a,b\nc,d\"e\n", "boxes.csv");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("boxes.csv:2:"), std::string::npos) << e.what();
  }
  try {
    parse("a,b\nc,\"open\n", "boxes.csv");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("boxes.csv:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not closed"), std::string::npos) << e.what();
  }
}

TEST(CsvReaderTest, CallbackErrorsPropagate) {
  EXPECT_THROW(parse_csv("a\nb\n", "t.csv", [](const CsvRecord&) { throw DataError("stop"); }),
               DataError);
}

TEST(CsvReaderTest, ColumnsByTrimmedHeaderName) {
  const auto records = parse("NAME_ID, X ,Y\n");
  EXPECT_EQ(csv_column(records[0], "X", "h.csv"), 1u);
  try {
    csv_column(records[0], "W", "h.csv");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("h.csv:1: no column 'W'"), std::string::npos) << e.what();
  }
}

TEST(CsvReaderTest, ReadsFilesAndNamesMissingOnes) {
  testing::ScratchDir dir;
  testing::write_text_file(dir.file("x.csv"), "k,v\n\"a,b\",1\n");
  std::vector<CsvRecord> records;
  read_csv_file(dir.file("x.csv"), [&](const CsvRecord& r) { records.push_back(r); });
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields[0], "a,b");
  try {
    read_csv_file(dir.file("none.csv"), [](const CsvRecord&) {});
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("none.csv")), std::string::npos);
  }
}

}  // namespace
}  // namespace fct::data
