// Every stream's name, in one place. Streams are named
//   case-<case id>            a case's events
//   unit-<vehicle number>     an RV unit's rentals (shared)
//   ref-<kind>-<value>        who holds a unique external reference (shared)
//   asset-<asset id>          a fleet asset's held intervals (shared)
//   account-<account id>      a fleet customer account and its drivers (shared)
// No code outside this file builds or takes apart a stream name.
#ifndef TRIPDESK_WORKFLOWS_STREAMS_H_
#define TRIPDESK_WORKFLOWS_STREAMS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tripdesk::workflows {

std::string CaseStream(absl::string_view case_id);
// The case id of a case stream's name; empty for any other stream.
absl::string_view CaseIdOfStream(absl::string_view stream);
bool IsCaseStream(absl::string_view stream);
std::string UnitStream(absl::string_view vehicle_number);
std::string ReferenceStream(absl::string_view kind, absl::string_view value);
std::string AssetStream(absl::string_view asset_id);
std::string AccountStream(absl::string_view account_id);
// For a stream with no events: when its name is none of the above (a bare
// case id, say), how streams are named; else empty.
std::string StreamNameHint(absl::string_view stream);
// Checks a case id: 1 to 64 characters of [A-Za-z0-9_-].
absl::Status CheckCaseId(absl::string_view case_id);

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_STREAMS_H_
