// Timekeeping: time in the log, for every workflow. A deadline is a
// TimerScheduled event with its due time computed here, from the reference
// data the decision was given, and ends with exactly one DeadlineReached
// (the scheduler's fire_timer) or TimerCanceled. SLA policies (reference
// data, ours) put clocks on a case when it opens: SlaApplied with its due
// time on a business calendar, a warning and a breach timer; the clock
// stops while the case waits on the customer (SlaPaused / SlaResumed move
// the due time by the business time paused), and ends fulfilled by the
// events the policy names, or when the case closes or is cancelled, its
// pending timers cancelled in the same batch.
//
// Pure and thread-safe: the registry calls Follow after every decision.
#ifndef TRIPDESK_WORKFLOWS_TIMEKEEPING_H_
#define TRIPDESK_WORKFLOWS_TIMEKEEPING_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tripdesk/v1/cases.pb.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows {

// The actor the scheduler fires timers as: a role no token may claim.
inline constexpr char kRoleSystem[] = "system";

class Timekeeping {
 public:
  // "sla.<metric>.warning" / "sla.<metric>.breach".
  static std::string SlaTimerKind(const std::string& metric, bool warning);
  // The timer id of a timer of `kind` scheduled by the event at `revision`.
  static std::string TimerId(const std::string& case_id, const std::string& kind,
                             uint64_t revision);
  // The command id the scheduler fires a timer with: a second firing is
  // the same command, which the log answers without writing.
  static std::string FiringCommandId(const std::string& timer_id) { return "timer:" + timer_id; }

  // Whether a decision on `state` may entail time events (so the registry
  // folds the decided events to see).
  static bool Concerns(const v1::CaseState& state, const DecisionContext& context);

  // What `decided` (the workflow's events, whose first is at
  // `first_revision`) entail in time, given the case `before` and `after`
  // them: SLAs applied when they open the case, fulfilled by their event
  // types, paused and resumed as the stage enters and leaves a waiting
  // stage, ended and every pending timer cancelled when the case closes.
  static std::vector<v1::CaseEvent> Follow(
      const v1::CaseState& before, const v1::CaseState& after,
      const std::vector<v1::CaseEvent>& decided, uint64_t first_revision,
      const DecisionContext& context, const Workflow& workflow,
      const std::function<std::string(const v1::CaseEvent&)>& event_type);

  // The scheduler's fire_timer: DeadlineReached (with how late) and its
  // consequence (an SLA warned or breached); FAILED_PRECONDITION when the
  // timer is not pending or not due yet.
  static absl::StatusOr<std::vector<v1::CaseEvent>> Fire(const v1::FireTimer& command,
                                                         const v1::CaseState& state,
                                                         const DecisionContext& context);

  // Folds a time event (timer_scheduled ... sla_ended) into the header;
  // false for any other event.
  static bool Evolve(v1::CaseHeader& header, const v1::CaseStepEvent& event, const EventMeta& meta);

  // The policy for a case: the most specific one matching its workflow,
  // client company and priority; null when none.
  static const v1::SlaPolicy* PolicyFor(const v1::ReferenceData& data, v1::Workflow workflow,
                                        const std::string& client_company,
                                        v1::CasePriority priority);
  // Checks the SLA policies against the calendars and the workflows'
  // stages (`stage_exists(workflow, stage)`): INVALID_ARGUMENT naming the
  // policy and field.
  static absl::Status CheckPolicies(
      const v1::ReferenceData& data,
      const std::function<absl::Status(v1::Workflow, const std::string&)>& stage_exists);
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_TIMEKEEPING_H_
