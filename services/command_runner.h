// CommandRunner: the one generic path from a command to the log. It folds
// the case from its stream, lets the workflow decide, appends the events
// with the case's revision as the expected revision, and re-decides a
// bounded number of times when another writer got there first. No workflow
// logic lives here.
//
// A command on a cached case decides on the cached state without reading
// the log: the append's expected revision proves it current. Anything
// that would be answered without writing (a refusal, nothing to do) is
// first decided again on the case read from the log, then checked against
// the stored outcomes so a retried command gets its first answer.
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
#include "services/clock.h"
#include "services/metrics.h"
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
  // What the command id stands for: set by Execute from the command and the
  // actor (see CommandFingerprint).
  std::string fingerprint;
  // Past it nothing is written (DEADLINE_EXCEEDED).
  absl::Time deadline = absl::InfiniteFuture();
  // Decide and answer what would be appended, writing nothing.
  bool preview = false;
};

struct CaseCommandResult {
  std::shared_ptr<const v1::CaseState> state;  // the case after the command
  eventstore::AppendOutcome outcome;
  // The events the command decided (empty for a retry answered from the
  // first outcome, or a command already satisfied).
  std::vector<v1::CaseEvent> events;
};

// SHA-256 over the command (kind and deterministic bytes) and the caller's
// subject: a retry with the same command id must carry the same.
std::string CommandFingerprint(const v1::CaseCommand& command, absl::string_view subject);

class CommandRunner {
 public:
  using Done = std::function<void(absl::StatusOr<CaseCommandResult>)>;
  static constexpr int kMaxAttempts = 4;

  // `clock` (the system clock when null) tells deciders what time it is;
  // it must outlive the runner.
  CommandRunner(eventstore::EventStore* store, const workflows::WorkflowRegistry& registry,
                std::shared_ptr<const workflows::ReferenceData> reference,
                size_t cached_cases = 10000, const Clock* clock = nullptr)
      : store_(store), registry_(registry), reference_(std::move(reference)),
        cache_(cached_cases), shared_cache_(cached_cases),
        clock_(clock != nullptr ? clock : &system_clock_) {}

  // Times every decision into `metrics` (which must outlive the runner).
  void ObserveDecisions(ServerMetrics* metrics) { metrics_ = metrics; }

  // Completes `done` once the events are durable (or refused); `done` may
  // run on the store's thread.
  void Execute(CaseCommandRequest request, Done done);

  // The case folded from the log, up to `max_revision` when given.
  absl::StatusOr<v1::CaseState> Load(absl::string_view case_id,
                                     std::optional<uint64_t> max_revision = std::nullopt) const;
  // A shared stream (an RV unit, a reference) folded from the log as it is
  // now; exists = false when it has no records.
  absl::StatusOr<v1::SharedState> LoadShared(const std::string& stream) const;

 private:
  // `verify`: read the log past the cached state (else trust the cache).
  void Attempt(std::shared_ptr<CaseCommandRequest> request, int attempt, bool verify, Done done);
  struct Loaded {
    std::shared_ptr<v1::CaseState> state;  // the caller's own copy
    bool verified = false;                 // checked against the log
  };
  absl::StatusOr<Loaded> Current(const std::string& case_id, bool verify);
  // The shared stream `stream` (an RV unit) as the log has it now: the
  // cached fold caught up with the records appended since, so a unit's
  // long rental history is not read again for every rental.
  absl::StatusOr<v1::SharedState> CurrentShared(const std::string& stream);
  // For a command that writes nothing: decides again on a verified state
  // if it used an unverified one, answers a retry of a committed command
  // with its first outcome, otherwise answers `answer`.
  void AnswerUnwritten(std::shared_ptr<CaseCommandRequest> request, int attempt, bool verified,
                       absl::StatusOr<CaseCommandResult> answer, Done done);
  // The answer to a command id the log already holds with `outcome`.
  void AnswerStored(const CaseCommandRequest& request, const eventstore::AppendOutcome& outcome,
                    const Done& done) const;

  eventstore::EventStore* store_;
  const workflows::WorkflowRegistry& registry_;
  std::shared_ptr<const workflows::ReferenceData> reference_;
  CaseStateCache cache_;
  SharedStateCache shared_cache_;
  SystemClock system_clock_;
  const Clock* clock_;
  ServerMetrics* metrics_ = nullptr;
};

}  // namespace tripdesk::services

#endif  // TRIPDESK_SERVICES_COMMAND_RUNNER_H_
