// The steps every case has, whatever its workflow (case_steps.proto): add a
// note, cancel, assign, transfer to a queue, set the priority, add and
// remove tags. Declared once here, in the same kind of table as a
// workflow's steps; the registry routes CaseCommand.common here and folds
// their events into the case header.
//
// Pure and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_CASE_STEPS_H_
#define TRIPDESK_WORKFLOWS_CASE_STEPS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows {

// At most this many tags on a case.
inline constexpr int kMaxTags = 30;

class CaseSteps {
 public:
  // The declarations, as for a workflow (workflow "common").
  static std::vector<StepDeclaration> Steps();
  // Where a case stands whatever its stage: open, closed or cancelled.
  static v1::CaseStatus Status(const v1::CaseState& state, const Workflow& workflow);
  // Decides a step on a case of `workflow` (null for a case not opened,
  // which no step applies to); a step already satisfied (the same agent,
  // queue or priority; tags already there or not there) decides no events.
  static absl::StatusOr<std::vector<v1::CaseEvent>> Decide(const v1::CaseStepCommand& command,
                                                          const v1::CaseState& state,
                                                          const Workflow* workflow,
                                                          const DecisionContext& context);
  // Folds one of their events into the header (and a cancel into the
  // workflow's own state).
  static void Evolve(v1::CaseState& state, const v1::CaseStepEvent& event, const EventMeta& meta,
                     const Workflow& workflow);
  static std::string EventType(const v1::CaseStepEvent& event);
  // The allowed commands of a case at `status`, by name.
  static const std::vector<std::string>& Allowed(v1::CaseStatus status);
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_CASE_STEPS_H_
