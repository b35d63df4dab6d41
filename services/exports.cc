#include "services/exports.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace tripdesk::services {
namespace {

absl::StatusOr<std::string> Json(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  // Zero values too ("revision": 0, "open": false): a reader never has to
  // know proto3 omits them.
  options.always_print_primitive_fields = true;
  google::protobuf::util::Status s = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!s.ok()) return absl::InternalError(absl::StrCat("JSON export: ", s.ToString()));
  return json;
}

std::string Time(const google::protobuf::Timestamp& ts) {
  return ts.seconds() == 0 && ts.nanos() == 0 ? ""
                                              : google::protobuf::util::TimeUtil::ToString(ts);
}

std::string Row(std::initializer_list<std::string> fields) {
  std::vector<std::string> quoted;
  for (const std::string& f : fields) quoted.push_back(CsvField(f));
  return absl::StrCat(absl::StrJoin(quoted, ","), "\r\n");
}

}  // namespace

namespace {

// An integer or decimal number: a spreadsheet reads it as a number, never a
// formula, so a minus sign in front of it is left alone.
bool IsPlainNumber(absl::string_view value) {
  if (absl::ConsumePrefix(&value, "-") && value.empty()) return false;
  bool digits = false;
  bool point = false;
  for (char c : value) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digits;
}

}  // namespace

std::string CsvField(absl::string_view value) {
  // OWASP's advice against CSV injection: a cell a spreadsheet would read as
  // a formula (=, +, -, @, or a tab or carriage return first) is prefixed
  // with a single quote and quoted, so it opens as text.
  const bool formula = !value.empty() && absl::string_view("=+-@\t\r").find(value[0]) !=
                                             absl::string_view::npos &&
                       !IsPlainNumber(value);
  if (!formula && value.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(value);
  }
  return absl::StrCat("\"", formula ? "'" : "", absl::StrReplaceAll(value, {{"\"", "\"\""}}),
                      "\"");
}

absl::StatusOr<std::string> HistoryJsonLine(const v1::HistoryEntry& entry) {
  absl::StatusOr<std::string> json = Json(entry);
  if (!json.ok()) return json.status();
  return absl::StrCat(*json, "\n");
}

std::string HistoryCsvHeader() {
  return Row({"position", "leaf_index", "stream", "revision", "event_type", "recorded_at", "actor_id",
              "actor_role", "command_id", "correlation_id", "hash", "event"});
}

absl::StatusOr<std::string> HistoryCsvLine(const v1::HistoryEntry& entry) {
  const v1::RecordEnvelope& r = entry.envelope();
  absl::StatusOr<std::string> event = Json(entry.event());
  if (!event.ok()) return event.status();
  return Row({absl::StrCat(r.position()), absl::StrCat(entry.leaf_index()), r.stream(), absl::StrCat(r.revision()), r.event_type(),
              Time(r.recorded_at()), r.actor_id(), r.actor_role(), r.command_id(),
              r.correlation_id(), absl::BytesToHexString(r.hash()), *event});
}

std::string TrackerCsvHeader() {
  return Row({"date", "case_id", "agent", "client_company", "vendor_code", "confirmation_number",
              "mis_filed", "fee_charged", "fee_minor_units", "fee_currency", "closed_at",
              "tracker_ref"});
}

std::string TrackerCsvLine(const v1::TrackerRow& row) {
  return Row({row.date(), row.case_id(), row.agent(), row.client_company(), row.vendor_code(),
              row.confirmation_number(), row.mis_filed() ? "true" : "false",
              row.fee_charged() ? "true" : "false",
              row.fee_charged() ? absl::StrCat(row.fee().minor_units()) : "",
              row.fee().currency(), Time(row.closed_at()), row.tracker_ref()});
}

}  // namespace tripdesk::services
