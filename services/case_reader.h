// Folds a case from its stream with the registry's fold, the one the views
// and the command path use, stopping before the first record `stop`
// accepts: the live case, or the case as it stood at any past point.
#ifndef TRIPDESK_SERVICES_CASE_READER_H_
#define TRIPDESK_SERVICES_CASE_READER_H_

#include <functional>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "tripdesk/v1/cases.pb.h"
#include "workflows/registry.h"

namespace tripdesk::services {

using StopBefore = std::function<bool(const eventstore::Record&)>;

absl::StatusOr<v1::CaseState> FoldCase(eventstore::EventStore& store,
                                       const workflows::WorkflowRegistry& registry,
                                       absl::string_view case_id, const StopBefore& stop = nullptr);

// Brings `state` (folded up to its revision, or new) up to date with the
// records of its case appended since.
absl::Status CatchUpCase(eventstore::EventStore& store, const workflows::WorkflowRegistry& registry,
                         v1::CaseState& state);

// Calls `visit` for each record of the case, in order, a page at a time.
absl::Status ForEachCaseRecord(eventstore::EventStore& store, absl::string_view case_id,
                               const std::function<absl::Status(const eventstore::Record&)>& visit,
                               uint64_t from_revision = 0);

absl::Status ForEachStreamRecord(eventstore::EventStore& store, const std::string& stream,
                                 const std::function<absl::Status(const eventstore::Record&)>& visit,
                                 uint64_t from_revision = 0);

// Applies to `state` (of the stream `state.stream()`, folded up to
// `state.revision()` if it exists) the records appended since.
absl::Status CatchUpShared(eventstore::EventStore& store, const workflows::WorkflowRegistry& registry,
                           v1::SharedState& state);

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_CASE_READER_H_
