// Sets fields of a protobuf message from command-line words such as
// --customer.email=a@b.example or --pick_up.time=2026-12-01T09:00:00Z, using
// protobuf reflection, so a new command needs no CLI code.
#ifndef TRIPDESK_TOOLS_CLI_FIELD_FLAGS_H_
#define TRIPDESK_TOOLS_CLI_FIELD_FLAGS_H_

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace tripdesk::cli {

// Each word is --path=value. Enums take their value name (or its last
// part: --channel=email for CHANNEL_EMAIL), bools true/false, timestamps
// RFC 3339, amounts "USD 250.00" (or --amount.minor_units= and
// --amount.currency=). INVALID_ARGUMENT names the word.
absl::Status SetFields(const std::vector<std::string>& words, google::protobuf::Message& message);

// The settable field paths of `descriptor`, for help texts.
std::vector<std::string> FieldPaths(const google::protobuf::Descriptor& descriptor);

}  // namespace tripdesk::cli

#endif  // TRIPDESK_TOOLS_CLI_FIELD_FLAGS_H_
