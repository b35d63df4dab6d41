// CommandRunner: the one generic path from a command to the log. It folds
// the case from its stream, lets the workflow decide, appends the events
// with the case's revision as the expected revision, and re-decides a
// bounded number of times when another writer got there first. No workflow
// logic lives here.
//
// Thread-safe.
#ifndef TRIPDESK_SERVICES_COMMAND_RUNNER_H_
#define TRIPDESK_SERVICES_COMMAND_RUNNER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "services/case_state_cache.h"
#include "tripdesk/v1/cases.pb.h"
#include "workflows/reference_data.h"
#include "workflows/registry.h"

namespace tripdesk::services {

struct CaseCommandRequest {
  std::string case_id;
  // Opening a case: it must not exist yet. Otherwise it must exist.
  bool open = false;
  std::string command_id;
  std::string correlation_id;
  std::optional<uint64_t> expected_revision;
  v1::CaseCommand command;
  workflows::Actor actor;
  // Past it nothing is written (DEADLINE_EXCEEDED).
  absl::Time deadline = absl::InfiniteFuture();
};

struct CaseCommandResult {
  v1::CaseState state;  // the case after the command
  eventstore::AppendOutcome outcome;
};

class CommandRunner {
 public:
  using Done = std::function<void(absl::StatusOr<CaseCommandResult>)>;
  static constexpr int kMaxAttempts = 4;

  CommandRunner(eventstore::EventStore* store, const workflows::WorkflowRegistry& registry,
                std::shared_ptr<const workflows::ReferenceData> reference,
                size_t cached_cases = 10000)
      : store_(store), registry_(registry), reference_(std::move(reference)),
        cache_(cached_cases) {}

  // Completes `done` once the events are durable (or refused); `done` may
  // run on the store's thread.
  void Execute(CaseCommandRequest request, Done done);

  // The case folded from the log, up to `max_revision` when given.
  absl::StatusOr<v1::CaseState> Load(absl::string_view case_id,
                                     std::optional<uint64_t> max_revision = std::nullopt) const;

 private:
  void Attempt(std::shared_ptr<CaseCommandRequest> request, int attempt, Done done);
  // The live case: the cached state brought up to date, or a full fold.
  absl::StatusOr<v1::CaseState> Current(const std::string& case_id);

  eventstore::EventStore* store_;
  const workflows::WorkflowRegistry& registry_;
  std::shared_ptr<const workflows::ReferenceData> reference_;
  CaseStateCache cache_;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_COMMAND_RUNNER_H_
