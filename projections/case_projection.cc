#include "projections/case_projection.h"

#include "workflows/streams.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "projections/search_text.h"

namespace tripdesk::projections {
namespace {

std::string InvertedTime(const google::protobuf::Timestamp& ts) {
  const uint64_t micros = static_cast<uint64_t>(ts.seconds()) * 1000000 + ts.nanos() / 1000;
  uint64_t v = UINT64_MAX - micros;
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::string InvertedNumber(uint64_t n) {
  uint64_t v = UINT64_MAX - n;
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

// Timers and SLA clocks: the desk's own bookkeeping, not the customer's.
bool IsTimeEvent(const v1::CaseEvent& event) {
  if (!event.has_common()) return false;
  switch (event.common().event_case()) {
    case v1::CaseStepEvent::kTimerScheduled:
    case v1::CaseStepEvent::kTimerCanceled:
    case v1::CaseStepEvent::kDeadlineReached:
    case v1::CaseStepEvent::kSlaApplied:
    case v1::CaseStepEvent::kSlaPaused:
    case v1::CaseStepEvent::kSlaResumed:
    case v1::CaseStepEvent::kSlaWarned:
    case v1::CaseStepEvent::kSlaBreached:
    case v1::CaseStepEvent::kSlaFulfilled:
    case v1::CaseStepEvent::kSlaEnded:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string CustomerKey(const v1::Person& customer) {
  if (!customer.email().empty()) return FoldForSearch(customer.email());
  std::string digits;
  for (char c : customer.phone()) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

std::string CustomerTimelinePrefix(absl::string_view customer_key) {
  std::string prefix(customer_key);
  prefix.push_back('\0');
  return prefix;
}

std::string CaseNotesPrefix(absl::string_view case_id) {
  std::string prefix(case_id);
  prefix.push_back('\0');
  return prefix;
}

std::string CaseNoteKey(absl::string_view case_id, uint64_t number) {
  std::string key = CaseNotesPrefix(case_id);
  uint64_t v = UINT64_MAX - number;
  std::string inverted(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) inverted[i] = static_cast<char>(v & 0xff);
  return key + inverted;
}

std::string CaseIndexPrefix(char kind, absl::string_view value) {
  std::string prefix(1, kind);
  prefix.push_back('|');
  absl::StrAppend(&prefix, value);
  prefix.push_back('\0');
  return prefix;
}

std::vector<std::string> CaseIndexKeys(const v1::CaseView& view) {
  const std::string suffix = absl::StrCat(InvertedTime(view.updated_at()), "|", view.case_id());
  std::vector<std::string> keys;
  // Listings: most recently updated first (the key changes with each update).
  auto add_recent = [&](char kind, absl::string_view value) {
    keys.push_back(absl::StrCat(CaseIndexPrefix(kind, value), suffix));
  };
  // Search: by case id within a value, so the key stays put while the value
  // does and an update rewrites only the keys whose values changed.
  const std::string by_id = absl::StrCat("|", view.case_id());
  auto add = [&](char kind, absl::string_view value) {
    std::string key = absl::StrCat(CaseIndexPrefix(kind, value), by_id);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  };
  add_recent('u', "");
  add_recent('s', view.state());
  add_recent('w', v1::Workflow_Name(view.workflow()));
  add_recent('a', view.assigned_agent());
  if (!view.queue().empty()) add_recent('q', view.queue());
  if (view.waiting_on_customer()) add_recent('o', "");
  add('p', v1::CasePriority_Name(view.priority()));
  for (const std::string& word : SearchWords(view.customer().name())) add('n', word);
  if (!view.customer().email().empty()) add('n', FoldForSearch(view.customer().email()));
  if (!view.client_company().empty()) add('c', FoldForSearch(view.client_company()));
  for (const v1::CaseReference& r : view.references()) add('r', FoldForSearch(r.value()));
  if (!view.ticket_ref().empty()) add('r', FoldForSearch(view.ticket_ref()));
  if (!view.destination().empty()) add('d', FoldForSearch(view.destination()));
  for (const std::string& tag : view.tags()) add('t', tag);
  if (!view.travel_from().empty()) add('f', view.travel_from());
  return keys;
}

absl::string_view CaseIdOfIndexKey(absl::string_view key) {
  const size_t bar = key.rfind('|');
  return bar == absl::string_view::npos ? absl::string_view() : key.substr(bar + 1);
}

absl::Status CaseProjection::Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                                   ViewTxn& txn) {
  const absl::string_view case_id = workflows::CaseIdOfStream(record.stream());
  absl::StatusOr<RowCache<v1::CaseState>::Entry*> entry = states_.Get(txn, case_id);
  if (!entry.ok()) return entry.status();
  v1::CaseState& state = (*entry)->row;
  state.set_case_id(std::string(case_id));
  const uint64_t notes_before = state.header().note_count();
  if (absl::Status s = registry_.Apply(state, record, event); !s.ok()) return s;
  // The notes this record added are the header's last ones; each gets its
  // own row, so the state stays small however many a case has.
  const auto& latest = state.header().latest_notes();
  std::string text;
  for (const v1::CaseNote& note : latest) {
    if (note.number() > notes_before) {
      txn.Put(kCaseNotesFamily, CaseNoteKey(case_id, note.number()), note.SerializeAsString());
      text = note.text();
    }
  }
  if (IsTimeEvent(event)) return absl::OkStatus();
  const std::string customer = CustomerKey(registry_.Customer(state));
  if (!customer.empty()) {
    v1::CustomerTimelineEntry entry;
    *entry.mutable_at() = record.recorded_at();
    entry.set_case_id(std::string(case_id));
    entry.set_workflow(state.workflow());
    entry.set_event_type(record.event_type());
    entry.set_text(std::move(text));
    entry.set_actor(record.actor_id());
    entry.set_position(record.position());
    txn.Put(kCustomerTimelineFamily,
            absl::StrCat(CustomerTimelinePrefix(customer), InvertedTime(record.recorded_at()),
                         InvertedNumber(record.position())),
            entry.SerializeAsString());
  }
  return absl::OkStatus();
}

absl::Status CaseProjection::Flush(ViewTxn& txn) {
  // Index keys change with every update: replace the stored ones by the
  // page's last ones, once per case.
  return states_.Flush(txn, [&](const std::string&, RowCache<v1::CaseState>::Entry& entry) {
    RowCache<v1::CaseState>::ReplaceKeys(txn, kCaseIndexFamily, entry,
                                         CaseIndexKeys(registry_.View(entry.row)), "",
                                         /*value_changes=*/false);
    return absl::OkStatus();
  });
}

}  // namespace tripdesk::projections
