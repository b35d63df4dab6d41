// Money as people write it: ISO 4217 codes, each with its minor-unit digits,
// "USD 123.45" read and written. Its own small library, so the command-line
// client reads and prints amounts as the server checks them.
#ifndef TRIPDESK_WORKFLOWS_MONEY_H_
#define TRIPDESK_WORKFLOWS_MONEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tripdesk/v1/common.pb.h"

namespace tripdesk::workflows {

bool IsIsoCurrency(absl::string_view code);
// "USD 123.45", with the currency's minor-unit digits ("JPY 1200").
std::string FormatMoney(const v1::Money& money);
// The amount alone, "123.45" ("-0.50"), as the RV estimate's columns show it.
std::string FormatAmount(const v1::Money& money);
// "USD 123.45", "USD 123.4", "USD 123", "-12.50 EUR": at most the currency's
// digits after the point. INVALID_ARGUMENT says what is wrong.
absl::StatusOr<v1::Money> ParseMoney(absl::string_view text);

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_MONEY_H_
