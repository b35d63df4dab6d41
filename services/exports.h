// Export formats for auditors' tools: a case history as JSON Lines
// (protobuf's JSON mapping of HistoryEntry, one per line) or CSV (RFC 4180),
// and tracker rows as CSV. Pure functions, thread-safe.
#ifndef TRIPDESK_SERVICES_EXPORTS_H_
#define TRIPDESK_SERVICES_EXPORTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "tripdesk/v1/audit.pb.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::services {

absl::StatusOr<std::string> HistoryJsonLine(const v1::HistoryEntry& entry);
std::string HistoryCsvHeader();
absl::StatusOr<std::string> HistoryCsvLine(const v1::HistoryEntry& entry);
std::string TrackerCsvHeader();
std::string TrackerCsvLine(const v1::TrackerRow& row);

// One CSV field, quoted when it holds a comma, quote or line break; a value
// a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
// carriage return, other than a plain number) is kept as text: quoted, with
// a single quote in front (OWASP's advice against CSV injection).
std::string CsvField(absl::string_view value);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_EXPORTS_H_
