// The one CSV writer: RFC 4180 quoting, and no cell a spreadsheet would run
// as a formula.
#include "services/exports.h"

#include "gtest/gtest.h"

namespace tripdesk::services {
namespace {

TEST(CsvField, QuotesCommasQuotesAndLineBreaks) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvField, CellsThatWouldRunAsFormulasAreKeptAsText) {
  EXPECT_EQ(CsvField("=HYPERLINK(\"http://x\",\"click\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\"");
  EXPECT_EQ(CsvField("+1+cmd|' /C calc'!A0"), "\"'+1+cmd|' /C calc'!A0\"");
  EXPECT_EQ(CsvField("-2+3"), "\"'-2+3\"");
  EXPECT_EQ(CsvField("@SUM(A1:A9)"), "\"'@SUM(A1:A9)\"");
  EXPECT_EQ(CsvField("\t=1"), "\"'\t=1\"");
  EXPECT_EQ(CsvField("\r=1"), "\"'\r=1\"");
  // Numbers stay numbers.
  EXPECT_EQ(CsvField("-665"), "-665");
  EXPECT_EQ(CsvField("-665.10"), "-665.10");
  EXPECT_EQ(CsvField("-"), "\"'-\"");
  EXPECT_EQ(CsvField("-1.2.3"), "\"'-1.2.3\"");
}

}  // namespace
}  // namespace tripdesk::services
