// The RV estimate reproduces the seed's alternate-dates example to the cent.
#include "workflows/rv/estimate.h"

#include <fstream>
#include <random>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/reference.h"
#include "workflows/reference_data.h"

namespace tripdesk::workflows::rv {
namespace {

const v1::RvReference& Shipped() {
  static const v1::RvReference* const kRv = [] {
    return new v1::RvReference(testing::ShippedReference()->proto().rv());
  }();
  return *kRv;
}

// PETERS/STEVEN: pick-up 09-01-15 13:00 TUS, return 09-15-15 11:00, C25/FRD,
// 1400 estimated miles, SLI with the promotion that includes it, card.
EstimateInput SeedReservation() {
  EstimateInput in;
  in.rate_code = "FRD";
  in.location_code = "TUS";
  in.pick_up = absl::CivilMinute(2015, 9, 1, 13, 0);
  in.drop_off = absl::CivilMinute(2015, 9, 15, 11, 0);
  in.options = {{"SLI", 1}, {"PROMODISC", 1}};
  in.pay_by_card = true;
  return in;
}

int64_t Line(const v1::RvEstimate& e, const std::string& label) {
  for (const auto& line : e.lines()) {
    if (line.label() == label) return line.amount().minor_units();
  }
  ADD_FAILURE() << "no line " << label;
  return 0;
}

TEST(RvEstimate, ReproducesTheSeedsAlternateDatesTableToTheCent) {
  absl::StatusOr<std::vector<v1::RvEstimate>> columns =
      EstimateWithAlternates(Shipped(), SeedReservation());
  ASSERT_TRUE(columns.ok()) << columns.status();
  ASSERT_EQ(columns->size(), 3u);
  const v1::RvEstimate& early = (*columns)[0];
  const v1::RvEstimate& asked = (*columns)[1];
  const v1::RvEstimate& late = (*columns)[2];
  EXPECT_EQ(early.pick_up_date(), "2015-08-28");
  EXPECT_EQ(asked.pick_up_date(), "2015-09-01");
  EXPECT_EQ(late.pick_up_date(), "2015-09-05");

  // ROLL DATE 1=08-28-15 2=09-01-15 3=09-05-15
  EXPECT_EQ(Line(early, "PERIOD"), 35700);
  EXPECT_EQ(Line(asked, "PERIOD"), 32700);
  EXPECT_EQ(Line(late, "PERIOD"), 32700);
  EXPECT_EQ(Line(early, "XDAYS"), 130900);  // 11 @ 119.00
  EXPECT_EQ(Line(asked, "XDAYS"), 119900);  // 11 @ 109.00
  for (const v1::RvEstimate* e : {&early, &asked, &late}) {
    EXPECT_EQ(e->days(), 14);
    EXPECT_EQ(e->estimated_miles(), 1400);
    EXPECT_EQ(Line(*e, "MILES"), 47600);  // 1400 @ .34
    EXPECT_EQ(Line(*e, "SLI"), 22050);
    EXPECT_EQ(Line(*e, "PROMODISC"), -22050);
    EXPECT_EQ(Line(*e, "SECURITY"), 50000);
  }
  EXPECT_EQ(Line(early, "STATE TAX"), 14994);
  EXPECT_EQ(Line(asked, "STATE TAX"), 14014);
  EXPECT_EQ(Line(late, "STATE TAX"), 14014);
  EXPECT_EQ(early.total().minor_units(), 279194);
  EXPECT_EQ(asked.total().minor_units(), 264214);
  EXPECT_EQ(late.total().minor_units(), 264214);
}

TEST(RvEstimate, SecurityDepositDependsOnPayingByCard) {
  EstimateInput other = SeedReservation();
  other.pay_by_card = false;
  absl::StatusOr<v1::RvEstimate> e = Estimate(Shipped(), other);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Line(*e, "SECURITY"), 100000);
  EXPECT_EQ(e->total().minor_units(), 264214 - 50000 + 100000);
}

TEST(RvEstimate, HandEditedMilesAreKeptWhateverTheDates) {
  EstimateInput edited = SeedReservation();
  edited.edited_miles = 1750;
  edited.drop_off = absl::CivilMinute(2015, 9, 20, 11, 0);
  absl::StatusOr<v1::RvEstimate> e = Estimate(Shipped(), edited);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->estimated_miles(), 1750);
  EXPECT_EQ(Line(*e, "MILES"), 1750 * 34);
}

TEST(RvEstimate, RefusesUnknownCodesAndAReturnBeforeThePickUp) {
  EstimateInput bad = SeedReservation();
  bad.rate_code = "NOPE";
  EXPECT_EQ(Estimate(Shipped(), bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = SeedReservation();
  bad.options.push_back({"NOPE", 1});
  EXPECT_EQ(Estimate(Shipped(), bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = SeedReservation();
  bad.drop_off = bad.pick_up;
  EXPECT_EQ(Estimate(Shipped(), bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = SeedReservation();
  bad.pick_up = absl::CivilMinute(2014, 1, 1, 13, 0);
  bad.drop_off = absl::CivilMinute(2014, 1, 5, 11, 0);
  EXPECT_THAT(std::string(Estimate(Shipped(), bad).status().message()),
              ::testing::HasSubstr("no season"));
}

// Property: whatever the dates, miles and options, the lines sum to the total.
TEST(RvEstimate, LinesAlwaysSumToTheTotal) {
  std::mt19937 random(7);
  const std::vector<std::string> codes = {"SLI", "PROMODISC", "GEN", "DROP", "DROP-F", "CXLPEN"};
  for (int i = 0; i < 2000; ++i) {
    EstimateInput in = SeedReservation();
    in.location_code = random() % 2 == 0 ? "TUS" : "LAX";
    in.pick_up = absl::CivilMinute(2015, 6, 1, 13, 0) + static_cast<int>(random() % 200) * 24 * 60 +
                 static_cast<int>(random() % 600);
    in.drop_off = in.pick_up + 1 + static_cast<int>(random() % (40 * 24 * 60));
    if (random() % 3 == 0) in.edited_miles = random() % 5000;
    in.options.clear();
    for (const std::string& code : codes) {
      if (random() % 2 == 0) in.options.push_back({code, 1 + static_cast<int64_t>(random() % 3)});
    }
    in.pay_by_card = random() % 2 == 0;
    in.include_security = random() % 4 != 0;
    if (random() % 3 == 0) in.flat_tax_bp = static_cast<int32_t>(random() % 1500);
    if (random() % 3 == 0) in.discount_bp = static_cast<int32_t>(random() % 3000);
    if (random() % 3 == 0) in.discount_cents = random() % 20000;
    if (random() % 3 == 0) {
      in.prepaid_days = 1 + static_cast<int32_t>(random() % 20);
      if (random() % 2 == 0) in.prepaid_options = {"SLI", "MILES"};
    }
    if (random() % 3 == 0) in.fuel_cents = random() % 12000;
    if (random() % 3 == 0) in.credit_cents = random() % 30000;
    absl::StatusOr<v1::RvEstimate> e = Estimate(Shipped(), in);
    ASSERT_TRUE(e.ok()) << e.status();
    int64_t sum = 0;
    for (const auto& line : e->lines()) sum += line.amount().minor_units();
    ASSERT_EQ(sum, e->total().minor_units());
    if (in.prepaid_days == 0) {
      ASSERT_EQ(Line(*e, "PERIOD") + Line(*e, "XDAYS") + Line(*e, "MILES"), e->subtotal().minor_units());
    }
  }
}

TEST(RvEstimate, FlatTaxEvensTheStateTaxToTheOperatorsRate) {
  // Seed: flat tax 10%, state tax 8% -> a 2% charge; 13% -> a 3% credit.
  EstimateInput in = SeedReservation();  // TUS: 7%
  in.flat_tax_bp = 1000;
  absl::StatusOr<v1::RvEstimate> e = Estimate(Shipped(), in);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Line(*e, "STATE TAX"), 14014);
  // 3% of the taxable 2002.00 (time and mileage).
  EXPECT_EQ(Line(*e, "BKG FEE/CR"), 6006);
  in.flat_tax_bp = 500;  // below the state's 7%: a credit
  e = Estimate(Shipped(), in);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Line(*e, "BKG FEE/CR"), -4004);
}

TEST(RvEstimate, AVouchersPrepaidDaysAndOptionsAreListedFirstWithNoRate) {
  EstimateInput in = SeedReservation();  // 14 days
  in.prepaid_days = 10;
  in.prepaid_options = {"SLI"};
  absl::StatusOr<v1::RvEstimate> e = Estimate(Shipped(), in);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->lines(0).label(), "PREPAID DAYS");
  EXPECT_EQ(e->lines(0).quantity(), 10);
  EXPECT_EQ(e->lines(0).amount().minor_units(), 0);
  EXPECT_EQ(e->lines(1).label(), "VOUCHER SLI");
  EXPECT_EQ(Line(*e, "XDAYS"), 4 * 10900);  // out of voucher
}

}  // namespace
}  // namespace tripdesk::workflows::rv
