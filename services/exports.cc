#include "services/exports.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace tripdesk::services {
namespace {

absl::StatusOr<std::string> Json(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
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

std::string CsvField(absl::string_view value) {
  if (value.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(value);
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
}

absl::StatusOr<std::string> HistoryJsonLine(const v1::HistoryEntry& entry) {
  absl::StatusOr<std::string> json = Json(entry);
  if (!json.ok()) return json.status();
  return absl::StrCat(*json, "\n");
}

std::string HistoryCsvHeader() {
  return Row({"position", "stream", "revision", "event_type", "recorded_at", "actor_id",
              "actor_role", "command_id", "correlation_id", "hash", "event"});
}

absl::StatusOr<std::string> HistoryCsvLine(const v1::HistoryEntry& entry) {
  const v1::RecordEnvelope& r = entry.envelope();
  absl::StatusOr<std::string> event = Json(entry.event());
  if (!event.ok()) return event.status();
  return Row({absl::StrCat(r.position()), r.stream(), absl::StrCat(r.revision()), r.event_type(),
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
