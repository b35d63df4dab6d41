// The checks every command gets on the generic path before any workflow
// decides, driven by the proto descriptors so that a new field is covered
// the day it is added:
//
//   - every string: valid UTF-8; no control characters (C0, DEL, C1; line
//     breaks and tabs only in multiline fields); no bidirectional
//     overrides or isolates; no card number (a Luhn-valid run of 13 to 19
//     digits, single spaces or dashes allowed between them); at most 200
//     bytes (4000 multiline); dates well-formed and within range;
//   - every timestamp within 1900-01-01 .. 2100-12-31;
//   - every enum a value the API defines;
//   - every repeated field within its declared count, without duplicates
//     where it says so;
//   - no unknown fields (bytes a newer client sent that would otherwise be
//     copied into the log unread).
//
// The per-field rules come from `(tripdesk.v1.rules)` options (see
// proto/tripdesk/v1/field_rules.proto). A refusal is INVALID_ARGUMENT
// naming the field by its path ("save_reservation.renter.address.city");
// a value that looks like a card number is never echoed.
//
// Pure and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_FIELD_RULES_H_
#define TRIPDESK_WORKFLOWS_FIELD_RULES_H_

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::workflows {

// The range of dates and instants any command may carry.
inline constexpr char kEarliestDate[] = "1900-01-01";
inline constexpr char kLatestDate[] = "2100-12-31";
// Strings without a declared size.
inline constexpr size_t kDefaultMaxBytes = 200;
inline constexpr size_t kDefaultMultilineMaxBytes = 4000;
// Repeated fields without a declared count (a test makes sure none exist).
inline constexpr int kDefaultMaxCount = 100;

// Whether `text` holds a run of 13 to 19 digits, with single spaces or
// dashes allowed between them, of which some 13 to 19 consecutive digits
// pass the Luhn check: what a card number typed into free text looks like.
bool ContainsCardNumber(absl::string_view text);
// The same in a phone number: only runs that also carry a card brand's
// prefix and length a phone number can reach (15 digits at most): American
// Express (34, 37; 15 digits) and Diners Club (300-305, 36, 38; 14 digits).
bool ContainsCardNumberInPhone(absl::string_view text);

// Checks `message` and everything in it; paths start at `path`.
absl::Status CheckFields(const google::protobuf::Message& message, absl::string_view path);

// Checks the workflow command set in `command`, its paths starting at the
// command's name ("send_quote.amount.currency"). INVALID_ARGUMENT when no
// command is set.
absl::Status CheckCommandFields(const v1::CaseCommand& command);

// A command id or correlation id: at most 128 visible ASCII characters (no
// spaces or controls); empty is allowed (no id). Ids are not searched for
// card numbers: machine-made ids (a millisecond clock and a counter) pass
// the Luhn check one time in ten, and nobody types a card into one.
absl::Status CheckRequestId(absl::string_view field, absl::string_view value);

// The paths of every string field of `message` (any message, e.g. a stored
// event) holding what looks like a card number; for finding data written
// before the generic check existed.
std::vector<std::string> FindCardNumbers(const google::protobuf::Message& message,
                                         absl::string_view path = "");

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_FIELD_RULES_H_
