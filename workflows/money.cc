#include "workflows/money.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tripdesk::workflows {
namespace {

struct Currency {
  const char* code;
  int digits;
};

// ISO 4217 active codes with their minor-unit digits.
constexpr Currency kCurrencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2},
    {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2},
    {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
    {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2},
    {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2},
    {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
    {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
    {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
    {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
    {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
    {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
    {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
    {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
    {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2},
    {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2},
    {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2},
    {"UYU", 2}, {"UZS", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0},
    {"XCD", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWL", 2},
};

const Currency* FindCurrency(absl::string_view code) {
  for (const Currency& c : kCurrencies) {
    if (code == c.code) return &c;
  }
  return nullptr;
}

int DigitsOf(absl::string_view currency) {
  const Currency* c = FindCurrency(currency);
  return c != nullptr ? c->digits : 2;
}

int64_t Scale(int digits) {
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  return scale;
}

}  // namespace

bool IsIsoCurrency(absl::string_view code) { return FindCurrency(code) != nullptr; }

std::string FormatAmount(const v1::Money& money) {
  const int digits = DigitsOf(money.currency());
  const int64_t scale = Scale(digits);
  const int64_t units = money.minor_units();
  const uint64_t magnitude = units < 0 ? -static_cast<uint64_t>(units) : units;
  std::string out = absl::StrCat(units < 0 ? "-" : "", magnitude / scale);
  if (digits > 0) absl::StrAppend(&out, absl::StrFormat(".%0*d", digits, magnitude % scale));
  return out;
}

std::string FormatMoney(const v1::Money& money) {
  return absl::StrCat(money.currency(), " ", FormatAmount(money));
}

absl::StatusOr<v1::Money> ParseMoney(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' ", why, " (write an amount as \"USD 123.45\")"));
  };
  std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipWhitespace());
  if (words.size() != 2) return bad("is not a currency and an amount");
  absl::string_view currency = words[0], amount = words[1];
  if (!IsIsoCurrency(currency)) std::swap(currency, amount);
  if (!IsIsoCurrency(currency)) return bad("has no ISO 4217 currency code");
  const bool negative = absl::ConsumePrefix(&amount, "-");
  std::vector<absl::string_view> parts = absl::StrSplit(amount, '.');
  const int digits = DigitsOf(currency);
  if (parts.size() > 2 || parts[0].empty()) return bad("is not a number");
  std::string fraction = parts.size() == 2 ? std::string(parts[1]) : "";
  if (static_cast<int>(fraction.size()) > digits) {
    return bad(absl::StrCat("has more decimals than ", currency, "'s ", digits));
  }
  fraction.append(digits - fraction.size(), '0');
  for (absl::string_view p : {parts[0], absl::string_view(fraction)}) {
    for (char ch : p) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return bad("is not a number");
    }
  }
  uint64_t whole = 0, minor = 0;
  if (!absl::SimpleAtoi(parts[0], &whole) || (!fraction.empty() && !absl::SimpleAtoi(fraction, &minor)) ||
      whole > 10'000'000'000'000ULL / static_cast<uint64_t>(Scale(digits))) {
    return bad("is out of range");
  }
  const int64_t units = static_cast<int64_t>(whole) * Scale(digits) + static_cast<int64_t>(minor);
  v1::Money m;
  m.set_currency(std::string(currency));
  m.set_minor_units(negative ? -units : units);
  return m;
}

}  // namespace tripdesk::workflows
