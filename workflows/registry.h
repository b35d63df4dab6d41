// WorkflowRegistry: maps commands, events and workflow types to their
// Workflow, and folds a case's records into its state with the same code
// for live commands, views and replays.
//
// Immutable after construction; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_REGISTRY_H_
#define TRIPDESK_WORKFLOWS_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tripdesk/v1/cases.pb.h"
#include "tripdesk/v1/log.pb.h"
#include "workflows/streams.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows {

class WorkflowRegistry {
 public:
  // Every workflow tripdesk knows.
  static const WorkflowRegistry& Default();

  // The workflow of a workflow's command (null for a step every case has:
  // CaseCommand.common).
  const Workflow* ForCommand(const v1::CaseCommand& command) const;
  // Whether a command is set and some workflow (or the common steps) takes it.
  bool Knows(const v1::CaseCommand& command) const;

  // The one decision path: a workflow's command by its workflow, a common
  // step by the case steps (case_steps.h) on a case of any workflow.
  absl::StatusOr<std::vector<v1::CaseEvent>> Decide(const v1::CaseCommand& command,
                                                    const v1::CaseState& state,
                                                    const DecisionContext& context) const;
  // The shared streams to fold before deciding, and what a decided event
  // puts on them (see Workflow).
  std::vector<std::string> SharedStreams(const v1::CaseCommand& command, const v1::CaseState& state,
                                         const DecisionContext& context) const;
  std::vector<SharedAppend> SharedEffects(const v1::CaseState& state,
                                          const v1::CaseEvent& event) const;
  // The unique external references `event` carries (letters upper-cased).
  std::vector<v1::CaseReference> ReferencesOf(const v1::CaseEvent& event) const;
  // The kinds of reference every workflow declares.
  std::vector<std::string> ReferenceKinds() const;
  // What a decision does to unique references: the ones its events claim
  // and, when they close or cancel the case, the ones it releases.
  struct ReferencePlan {
    std::vector<v1::CaseReference> claims;
    std::vector<v1::CaseReference> releases;
    // The reference streams to read before appending.
    std::vector<std::string> Streams() const;
  };
  ReferencePlan PlanReferences(const v1::CaseState& before,
                               const std::vector<v1::CaseEvent>& events) const;
  // The claims and releases to append, each guarded by the reference stream
  // as read (in `context.shared`); ALREADY_EXISTS naming the holder when
  // another open case holds a reference the events claim.
  absl::StatusOr<std::vector<SharedAppend>> ReferenceAppends(const ReferencePlan& plan,
                                                             const std::string& case_id,
                                                             const DecisionContext& context) const;

  // The record types of a case event and a shared event.
  std::string EventType(const v1::CaseEvent& event) const;
  std::string SharedEventType(const v1::SharedEvent& event) const;
  const Workflow* ForEvent(const v1::CaseEvent& event) const;
  const Workflow* ForType(v1::Workflow type) const;
  // Every workflow's section of the reference data (ReferenceData runs it).
  absl::Status CheckReference(const v1::ReferenceData& data) const;
  // Whether `state` names a stage of `type`'s workflow (of any workflow for
  // WORKFLOW_UNSPECIFIED); INVALID_ARGUMENT otherwise, listing the stages.
  absl::Status CheckStageName(v1::Workflow type, absl::string_view state) const;

  // Every workflow's declared steps, workflow by workflow in table order.
  const std::vector<StepDeclaration>& Steps() const { return steps_; }
  // The roles that may issue "<workflow>.<command>" ("car_booking.send_quote")
  // as its step declares them; empty when no workflow declares it.
  const std::vector<std::string>& RolesForCommand(absl::string_view key) const;
  // The workflows, their stages and steps, as DescribeWorkflows answers.
  v1::DescribeWorkflowsResponse Describe() const;
  // "<workflow>.<command>" of a command; empty when none is set.
  static std::string CommandKey(const v1::CaseCommand& command);

  // Folds one stored record of `state`'s case into it. DATA_LOSS if the
  // payload does not decode or belongs to no workflow.
  absl::Status Apply(v1::CaseState& state, const v1::RecordEnvelope& record) const;
  // The same, for a record whose payload the caller already decoded into
  // `event` (the views decode each record once).
  absl::Status Apply(v1::CaseState& state, const v1::RecordEnvelope& record,
                     const v1::CaseEvent& event) const;
  // Folds a decided (not yet stored) event, as Apply would once stored.
  void ApplyEvent(v1::CaseState& state, const v1::CaseEvent& event, const EventMeta& meta) const;

  const Workflow* ForSharedEvent(const v1::SharedEvent& event) const;
  // Folds one stored record of a shared stream (an RV unit's). DATA_LOSS as
  // for Apply.
  absl::Status ApplyShared(v1::SharedState& state, const v1::RecordEnvelope& record) const;

  // Who a folded case is for (Workflow::Customer); empty for none.
  v1::Person Customer(const v1::CaseState& state) const;
  // The case view of a folded state.
  v1::CaseView View(const v1::CaseState& state) const;
  // Its booking, when its workflow has one (see Workflow::FillReservation).
  std::optional<v1::ReservationView> Reservation(const v1::CaseState& state) const;
  // The booking for a command's reply: only where the workflow wants it there.
  std::optional<v1::ReservationView> ReplyReservation(const v1::CaseState& state) const;

 private:
  WorkflowRegistry();
  // The command's own decision, before what it entails in time.
  absl::StatusOr<std::vector<v1::CaseEvent>> DecideStep(const v1::CaseCommand& command,
                                                        const v1::CaseState& state,
                                                        const DecisionContext& context) const;
  std::vector<std::unique_ptr<Workflow>> workflows_;
  std::vector<StepDeclaration> steps_;
  absl::flat_hash_map<std::string, std::vector<std::string>> roles_by_command_;
  // The declared unique reference fields, resolved once: the workflow's
  // event field (in CaseEvent), the event's field in it, the field.
  struct ReferenceField {
    const google::protobuf::FieldDescriptor* workflow;
    const google::protobuf::FieldDescriptor* event;
    const google::protobuf::FieldDescriptor* field;
    std::string kind;
  };
  std::vector<ReferenceField> reference_fields_;
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_REGISTRY_H_
