#include "workflows/money.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tripdesk::workflows {
namespace {

using ::testing::HasSubstr;

v1::Money Of(int64_t minor_units, const std::string& currency) {
  v1::Money m;
  m.set_minor_units(minor_units);
  m.set_currency(currency);
  return m;
}

TEST(Money, FormatsWithTheCurrencysMinorUnits) {
  EXPECT_EQ(FormatMoney(Of(123456, "USD")), "USD 1234.56");
  EXPECT_EQ(FormatMoney(Of(123456, "JPY")), "JPY 123456");
  EXPECT_EQ(FormatMoney(Of(123456, "KWD")), "KWD 123.456");
  // Under one unit, a negative amount keeps its sign.
  EXPECT_EQ(FormatAmount(Of(-50, "USD")), "-0.50");
  EXPECT_EQ(FormatAmount(Of(-66510, "USD")), "-665.10");
}

TEST(Money, ReadsWhatItWrites) {
  for (const v1::Money& m : {Of(123456, "USD"), Of(-50, "USD"), Of(0, "EUR"), Of(1200, "JPY"),
                             Of(1234, "KWD")}) {
    absl::StatusOr<v1::Money> read = ParseMoney(FormatMoney(m));
    ASSERT_TRUE(read.ok()) << FormatMoney(m) << ": " << read.status();
    EXPECT_EQ(read->SerializeAsString(), m.SerializeAsString()) << FormatMoney(m);
  }
}

TEST(Money, ReadsFewerDecimalsAndTheCodeOnEitherSide) {
  EXPECT_EQ(ParseMoney("USD 250")->minor_units(), 25000);
  EXPECT_EQ(ParseMoney("USD 250.5")->minor_units(), 25050);
  EXPECT_EQ(ParseMoney("250.00 USD")->minor_units(), 25000);
  EXPECT_EQ(ParseMoney("  EUR   -12.50 ")->minor_units(), -1250);
}

TEST(Money, RefusesWhatIsNotAnAmountSayingWhy) {
  EXPECT_THAT(ParseMoney("USD 250.001").status().message(), HasSubstr("more decimals than USD's 2"));
  EXPECT_THAT(ParseMoney("JPY 12.5").status().message(), HasSubstr("more decimals than JPY's 0"));
  EXPECT_THAT(ParseMoney("XYZ 12").status().message(), HasSubstr("no ISO 4217 currency code"));
  EXPECT_THAT(ParseMoney("usd 12").status().message(), HasSubstr("no ISO 4217 currency code"));
  EXPECT_THAT(ParseMoney("250.00").status().message(), HasSubstr("not a currency and an amount"));
  for (const char* text : {"USD 1.2.3", "USD abc", "USD .50", "USD 1,000.00", "USD +5", "USD --5",
                           "USD 1e5", "USD 0x10"}) {
    EXPECT_EQ(ParseMoney(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  EXPECT_THAT(ParseMoney("USD 99999999999999999").status().message(), HasSubstr("out of range"));
  EXPECT_THAT(ParseMoney("USD 999999999999999999999999").status().message(),
              HasSubstr("out of range"));
}

}  // namespace
}  // namespace tripdesk::workflows
