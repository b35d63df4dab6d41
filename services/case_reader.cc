#include "services/case_reader.h"

namespace tripdesk::services {
namespace {

constexpr size_t kPage = 500;

}  // namespace

absl::Status ForEachCaseRecord(eventstore::EventStore& store, absl::string_view case_id,
                               const std::function<absl::Status(const eventstore::Record&)>& visit,
                               uint64_t from_revision) {
  return ForEachStreamRecord(store, workflows::CaseStream(case_id), visit, from_revision);
}

absl::Status CatchUpShared(eventstore::EventStore& store, const workflows::WorkflowRegistry& registry,
                           v1::SharedState& state) {
  const uint64_t from = state.exists() ? state.revision() + 1 : 0;
  return ForEachStreamRecord(
      store, state.stream(),
      [&](const eventstore::Record& record) { return registry.ApplyShared(state, record); }, from);
}

absl::Status ForEachStreamRecord(eventstore::EventStore& store, const std::string& stream,
                                 const std::function<absl::Status(const eventstore::Record&)>& visit,
                                 uint64_t from_revision) {
  for (uint64_t from = from_revision;;) {
    absl::StatusOr<std::vector<eventstore::Record>> page = store.ReadStream(stream, from, kPage);
    if (!page.ok()) return page.status();
    for (const eventstore::Record& record : *page) {
      if (absl::Status s = visit(record); !s.ok()) return s;
    }
    if (page->size() < kPage) return absl::OkStatus();
    from = page->back().revision() + 1;
  }
}

absl::StatusOr<v1::CaseState> FoldCase(eventstore::EventStore& store,
                                       const workflows::WorkflowRegistry& registry,
                                       absl::string_view case_id, const StopBefore& stop) {
  v1::CaseState state;
  state.set_case_id(std::string(case_id));
  bool stopped = false;
  absl::Status s = ForEachCaseRecord(store, case_id, [&](const eventstore::Record& record) {
    if (stop && stop(record)) {
      stopped = true;
      return absl::CancelledError("stop");  // ends the walk; not an error
    }
    return registry.Apply(state, record);
  });
  if (!s.ok() && !stopped) return s;
  return state;
}

absl::Status CatchUpCase(eventstore::EventStore& store, const workflows::WorkflowRegistry& registry,
                         v1::CaseState& state) {
  const uint64_t from = state.exists() ? state.revision() + 1 : 0;
  return ForEachCaseRecord(
      store, state.case_id(),
      [&](const eventstore::Record& record) { return registry.Apply(state, record); }, from);
}

}  // namespace tripdesk::services
