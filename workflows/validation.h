// Field checks shared by workflows. Each returns INVALID_ARGUMENT whose
// message starts with the field's path, e.g. "pick_up.location: ...".
//
// Pure and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_VALIDATION_H_
#define TRIPDESK_WORKFLOWS_VALIDATION_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tripdesk/v1/common.pb.h"
#include "workflows/money.h"

namespace tripdesk::workflows {

inline constexpr size_t kMaxShortText = 200;
// Bookings are taken up to two years ahead; a later pick-up is a typing
// mistake (a year 2062 for 2026).
inline constexpr int kMaxBookingDaysAhead = 731;
inline constexpr size_t kMaxLongText = 4000;

// Decodes the UTF-8 code point at s[*i] and advances *i past it; false for
// invalid UTF-8 (truncated, overlong, a surrogate, past U+10FFFF).
bool DecodeUtf8(absl::string_view s, size_t* i, uint32_t* code_point);

// Non-empty (when required), at most `max` bytes, valid UTF-8, no control
// characters except newlines and tabs in long text.
absl::Status CheckText(absl::string_view field, absl::string_view value, bool required,
                       size_t max = kMaxShortText);
// RFC 5322 addr-spec in its common dot-atom form: local@domain.tld.
absl::Status CheckEmail(absl::string_view field, absl::string_view value);
// Empty, or E.164 (+ and 8 to 15 digits), or a national number of digits,
// spaces, dashes and parentheses.
absl::Status CheckPhone(absl::string_view field, absl::string_view value);
// ACRISS (SIPP) car class, checked letter by letter.
absl::Status CheckAcriss(absl::string_view field, absl::string_view value);
// IATA 3-letter code or vendor location id: 2-letter vendor code, '-', 1 to
// 12 letters or digits (ZE-LAXT01).
absl::Status CheckLocation(absl::string_view field, absl::string_view value);
// An IANA zone name such as America/Los_Angeles, or UTC.
absl::Status CheckZone(absl::string_view field, absl::string_view value);
// Location, time and zone present and well-formed.
absl::Status CheckPlace(absl::string_view field, const v1::Place& place);
// Drop-off after pick-up, pick-up not before `now` nor more than
// kMaxBookingDaysAhead after it.
absl::Status CheckTrip(absl::string_view field_prefix, const v1::Place& pick_up,
                       const v1::Place& drop_off, absl::Time now);
// Integer minor units (non-negative unless allowed) of an ISO 4217 currency.
absl::Status CheckMoney(absl::string_view field, const v1::Money& money,
                        bool allow_negative = false);

// The first failed check, or OK: decides which error a command gets when
// several fields are wrong.
absl::Status FirstError(std::initializer_list<absl::Status> checks);

// "2026-12-01 09:00 UTC".
std::string FormatInstant(absl::Time t);

absl::Time FromProto(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToProto(absl::Time t);

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_VALIDATION_H_
