#include "workflows/validation.h"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tripdesk::workflows {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool ValidUtf8(absl::string_view s) {
  uint32_t cp = 0;
  for (size_t i = 0; i < s.size();) {
    if (!DecodeUtf8(s, &i, &cp)) return false;
  }
  return true;
}

bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != absl::string_view::npos;
}

}  // namespace

bool DecodeUtf8(absl::string_view s, size_t* i, uint32_t* code_point) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  size_t extra = 0;
  uint32_t cp = 0;
  if (c < 0x80) {
    *code_point = c;
    ++*i;
    return true;
  } else if ((c & 0xE0) == 0xC0) {
    extra = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    cp = c & 0x07;
  } else {
    return false;
  }
  if (*i + extra >= s.size()) return false;  // truncated sequence
  for (size_t k = 1; k <= extra; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past Unicode are not UTF-8.
  if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return false;
  }
  *i += extra + 1;
  *code_point = cp;
  return true;
}

absl::Status CheckText(absl::string_view field, absl::string_view value, bool required,
                       size_t max) {
  if (value.empty()) {
    return required ? Invalid(field, "is required") : absl::OkStatus();
  }
  if (value.size() > max) {
    return Invalid(field, absl::StrFormat("is %d bytes, at most %d allowed", value.size(), max));
  }
  if (!ValidUtf8(value)) return Invalid(field, "is not valid UTF-8");
  const bool multiline = max > kMaxShortText;
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      if (multiline && (c == '\n' || c == '\t' || c == '\r')) continue;
      return Invalid(field, "contains a control character");
    }
  }
  if (absl::StripAsciiWhitespace(value).empty()) return Invalid(field, "is blank");
  return absl::OkStatus();
}

absl::Status CheckEmail(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "an email address is required");
  if (value.size() > 254) return Invalid(field, "is longer than 254 characters");
  const size_t at = value.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == value.size()) {
    return Invalid(field, absl::StrCat("'", value, "' is not an email address (name@domain)"));
  }
  const absl::string_view local = value.substr(0, at);
  const absl::string_view domain = value.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != absl::string_view::npos ||
      !std::all_of(local.begin(), local.end(), [](char c) { return IsAtext(c) || c == '.'; })) {
    return Invalid(field, absl::StrCat("'", value, "' has an invalid part before the @"));
  }
  if (domain.find('.') == absl::string_view::npos) {
    return Invalid(field, absl::StrCat("'", value, "' has no domain after the @"));
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == absl::string_view::npos) end = domain.size();
    const absl::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      return Invalid(field, absl::StrCat("'", value, "' has an invalid domain"));
    }
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::Status CheckPhone(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  if (value.front() == '+') {
    const absl::string_view digits = value.substr(1);
    if (digits.size() < 8 || digits.size() > 15 || digits.front() == '0' ||
        !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
      return Invalid(field, "an international number must be E.164: + and 8 to 15 digits");
    }
    return absl::OkStatus();
  }
  int digits = 0;
  for (char c : value) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (absl::string_view(" -()").find(c) == absl::string_view::npos) {
      return Invalid(field, "may hold only digits, spaces, dashes and parentheses");
    }
  }
  if (digits < 6 || digits > 15) return Invalid(field, "needs 6 to 15 digits");
  return absl::OkStatus();
}

absl::Status CheckAcriss(absl::string_view field, absl::string_view value) {
  static constexpr std::array<absl::string_view, 4> kLetters = {
      "MNEHCDIJSRFGPULWOX", "BCDWVLSTFJXPQZEMRHYNGK", "MNCABD", "RNDQHIECLSABMFVZUX"};
  static constexpr std::array<absl::string_view, 4> kMeaning = {
      "category", "type", "transmission/drive", "fuel/air conditioning"};
  if (value.size() != 4) {
    return Invalid(field, absl::StrCat("'", value, "' is not a 4-letter ACRISS code such as ICAR"));
  }
  for (size_t i = 0; i < 4; ++i) {
    if (kLetters[i].find(value[i]) == absl::string_view::npos) {
      return Invalid(field, absl::StrFormat("'%s': letter %d ('%c') is not an ACRISS %s letter",
                                            value, i + 1, value[i], kMeaning[i]));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLocation(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "a location is required");
  auto upper = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(), absl::ascii_isupper);
  };
  if (value.size() == 3 && upper(value)) return absl::OkStatus();
  if (value.size() >= 4 && value.size() <= 15 && value[2] == '-' &&
      std::all_of(value.begin(), value.begin() + 2, [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c));
      }) &&
      std::all_of(value.begin() + 3, value.end(), [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return absl::OkStatus();
  }
  return Invalid(field, absl::StrCat("'", value,
                                     "' is neither an IATA code (LAX) nor a vendor location "
                                     "id (ZE-LAXT01)"));
}

absl::Status CheckZone(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "the IANA time zone is required (e.g. Europe/Paris)");
  if (value == "UTC") return absl::OkStatus();
  bool ok = value.size() <= 64 && value.find('/') != absl::string_view::npos &&
            value.front() != '/' && value.back() != '/';
  for (char c : value) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                absl::string_view("/_+-").find(c) != absl::string_view::npos);
  }
  if (!ok) return Invalid(field, absl::StrCat("'", value, "' is not an IANA zone name"));
  return absl::OkStatus();
}

absl::Status CheckPlace(absl::string_view field, const v1::Place& place) {
  if (absl::Status s = CheckLocation(absl::StrCat(field, ".location"), place.location());
      !s.ok()) {
    return s;
  }
  if (!place.has_time() || (place.time().seconds() == 0 && place.time().nanos() == 0)) {
    return Invalid(absl::StrCat(field, ".time"), "is required");
  }
  if (place.time().seconds() < 0 || place.time().seconds() > 253402300799 ||
      place.time().nanos() < 0 || place.time().nanos() > 999999999) {
    return Invalid(absl::StrCat(field, ".time"), "is not a valid instant");
  }
  return CheckZone(absl::StrCat(field, ".zone"), place.zone());
}

absl::Status CheckTrip(absl::string_view field_prefix, const v1::Place& pick_up,
                       const v1::Place& drop_off, absl::Time now) {
  const std::string prefix = field_prefix.empty() ? "" : absl::StrCat(field_prefix, ".");
  if (absl::Status s = CheckPlace(absl::StrCat(prefix, "pick_up"), pick_up); !s.ok()) return s;
  if (absl::Status s = CheckPlace(absl::StrCat(prefix, "drop_off"), drop_off); !s.ok()) return s;
  const absl::Time pick = FromProto(pick_up.time());
  const absl::Time drop = FromProto(drop_off.time());
  if (pick < now) {
    return Invalid(absl::StrCat(prefix, "pick_up.time"),
                   absl::StrCat(FormatInstant(pick), " is in the past (now ",
                                FormatInstant(now), ")"));
  }
  if (pick - now > absl::Hours(24 * kMaxBookingDaysAhead)) {
    return Invalid(absl::StrCat(prefix, "pick_up.time"),
                   absl::StrCat(FormatInstant(pick), " is more than two years ahead (bookings are "
                                "taken up to ", kMaxBookingDaysAhead, " days ahead)"));
  }
  if (drop <= pick) {
    return Invalid(absl::StrCat(prefix, "drop_off.time"),
                   absl::StrCat(FormatInstant(drop), " is not after the pick-up at ",
                                FormatInstant(pick)));
  }
  if (drop - pick > absl::Hours(24 * 366)) {
    return Invalid(absl::StrCat(prefix, "drop_off.time"), "is more than a year after the pick-up");
  }
  return absl::OkStatus();
}

absl::Status CheckMoney(absl::string_view field, const v1::Money& money, bool allow_negative) {
  if (!IsIsoCurrency(money.currency())) {
    return Invalid(absl::StrCat(field, ".currency"),
                   absl::StrCat("'", money.currency(), "' is not an ISO 4217 currency code"));
  }
  if (money.minor_units() < 0 && !allow_negative) {
    return Invalid(absl::StrCat(field, ".minor_units"), "may not be negative");
  }
  // Ten trillion in minor units is far past any booking; bigger is a typo.
  if (money.minor_units() > 10'000'000'000'000LL || money.minor_units() < -10'000'000'000'000LL) {
    return Invalid(absl::StrCat(field, ".minor_units"), "is out of range");
  }
  return absl::OkStatus();
}

std::string FormatInstant(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest * 1000));
  return ts;
}

absl::Status FirstError(std::initializer_list<absl::Status> checks) {
  for (const absl::Status& s : checks) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::workflows
