#include "projections/timer_projection.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::projections {
namespace {

// Due time as 8 big-endian bytes of Unix microseconds (offset so that order
// holds for any instant), then the timer id: keys sort by due time.
std::string DueKey(absl::Time due, absl::string_view timer_id) {
  const uint64_t micros = static_cast<uint64_t>(absl::ToUnixMicros(due)) ^ (uint64_t{1} << 63);
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>((micros >> (56 - 8 * i)) & 0xff);
  return absl::StrCat(key, timer_id);
}

absl::Time DueOf(absl::string_view key) {
  uint64_t micros = 0;
  for (int i = 0; i < 8; ++i) micros = (micros << 8) | static_cast<unsigned char>(key[i]);
  return absl::FromUnixMicros(static_cast<int64_t>(micros ^ (uint64_t{1} << 63)));
}

}  // namespace

absl::Status TimerProjection::Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                                    ViewTxn& txn) {
  if (!event.has_common()) return absl::OkStatus();
  const v1::CaseStepEvent& e = event.common();
  const absl::string_view case_id = workflows::CaseIdOfStream(record.stream());
  // A timer's end names its due time, so its row is found without a read.
  const std::string* ended = nullptr;
  const google::protobuf::Timestamp* ended_due = nullptr;
  switch (e.event_case()) {
    case v1::CaseStepEvent::kTimerScheduled: {
      const v1::TimerScheduled& t = e.timer_scheduled();
      const std::string key = DueKey(workflows::FromProto(t.due_at()), t.timer_id());
      txn.Put(kTimersDueFamily, key, absl::StrCat(case_id, "\t", t.kind()));
      return absl::OkStatus();
    }
    case v1::CaseStepEvent::kTimerCanceled:
      ended = &e.timer_canceled().timer_id();
      ended_due = &e.timer_canceled().due_at();
      break;
    case v1::CaseStepEvent::kDeadlineReached:
      ended = &e.deadline_reached().timer_id();
      ended_due = &e.deadline_reached().due_at();
      break;
    case v1::CaseStepEvent::kSlaBreached:
      txn.Put(kSlaBreachedFamily, absl::StrCat(case_id, "\t", e.sla_breached().metric()),
              e.sla_breached().due_at().SerializeAsString());
      return absl::OkStatus();
    case v1::CaseStepEvent::kSlaFulfilled:
      // Only a breached clock has a row to remove.
      if (e.sla_fulfilled().breached()) {
        txn.Delete(kSlaBreachedFamily, absl::StrCat(case_id, "\t", e.sla_fulfilled().metric()));
      }
      return absl::OkStatus();
    case v1::CaseStepEvent::kSlaEnded:
      txn.Delete(kSlaBreachedFamily, absl::StrCat(case_id, "\t", e.sla_ended().metric()));
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
  txn.Delete(kTimersDueFamily, DueKey(workflows::FromProto(*ended_due), *ended));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DueTimer>> TimerQueries::Due(absl::Time up_to, size_t limit,
                                                        absl::string_view kind,
                                                        absl::string_view after) const {
  std::vector<DueTimer> out;
  absl::Status s = views_->Scan(
      family_(kTimersDueFamily), "", after, [&](absl::string_view key, absl::string_view value) {
        if (key.size() <= 8 || key == after) return true;
        const absl::Time due = DueOf(key);
        if (due > up_to) return false;
        std::pair<std::string, std::string> row = absl::StrSplit(value, absl::MaxSplits('\t', 1));
        if (kind.empty() || row.second == kind) {
          out.push_back({row.first, std::string(key.substr(8)), row.second, due, std::string(key)});
        }
        return out.size() < limit;
      });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<DueTimer>> TimerQueries::Breached(size_t limit,
                                                             absl::string_view after) const {
  std::vector<DueTimer> out;
  absl::Status s = views_->Scan(
      family_(kSlaBreachedFamily), "", after, [&](absl::string_view key, absl::string_view value) {
        if (key == after) return true;
        std::pair<std::string, std::string> row = absl::StrSplit(key, absl::MaxSplits('\t', 1));
        google::protobuf::Timestamp due;
        due.ParseFromArray(value.data(), static_cast<int>(value.size()));
        out.push_back({row.first, "", absl::StrCat("sla.", row.second, ".breach"),
                       workflows::FromProto(due), std::string(key)});
        return out.size() < limit;
      });
  if (!s.ok()) return s;
  return out;
}

}  // namespace tripdesk::projections
