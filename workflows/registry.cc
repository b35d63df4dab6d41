#include "workflows/registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/car_booking/car_booking_workflow.h"
#include "workflows/case_steps.h"
#include "workflows/rv/rv_workflow.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {

std::string CaseStream(absl::string_view case_id) { return absl::StrCat("case-", case_id); }

std::string CaseIdOfStream(absl::string_view stream) {
  return absl::StartsWith(stream, "case-") ? std::string(stream.substr(5)) : std::string();
}

std::string StreamNameHint(absl::string_view stream) {
  if (!CaseIdOfStream(stream).empty() || absl::StartsWith(stream, rv::UnitStream(""))) return "";
  return absl::StrCat("streams are named case-<case id> (", CaseStream(stream),
                      " for case ", stream, ") or unit-<vehicle number> (an RV unit)");
}

absl::Status CheckCaseId(absl::string_view case_id) {
  if (case_id.empty()) return absl::InvalidArgumentError("case_id: is required");
  if (case_id.size() > 64 ||
      !std::all_of(case_id.begin(), case_id.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      })) {
    return absl::InvalidArgumentError(
        "case_id: must be 1 to 64 letters, digits, '-' or '_'");
  }
  return absl::OkStatus();
}

WorkflowRegistry::WorkflowRegistry() {
  workflows_.push_back(std::make_unique<ManualCarBookingWorkflow>());
  workflows_.push_back(std::make_unique<rv::RvRentalWorkflow>());
  for (const auto& w : workflows_) {
    for (StepDeclaration& step : w->Steps()) steps_.push_back(std::move(step));
  }
  for (StepDeclaration& step : CaseSteps::Steps()) steps_.push_back(std::move(step));
}

std::vector<std::string> WorkflowRegistry::RolesForCommand(absl::string_view key) const {
  for (const StepDeclaration& step : steps_) {
    if (key.size() == step.workflow.size() + 1 + step.command.size() &&
        absl::StartsWith(key, step.workflow) && key[step.workflow.size()] == '.' &&
        absl::EndsWith(key, step.command)) {
      return step.roles;
    }
  }
  return {};
}

v1::DescribeWorkflowsResponse WorkflowRegistry::Describe() const {
  v1::DescribeWorkflowsResponse out;
  for (const auto& w : workflows_) {
    v1::WorkflowDescription* d = out.add_workflows();
    d->set_workflow(w->type());
    const google::protobuf::EnumDescriptor& stages = w->Stages();
    for (int i = 0; i < stages.value_count(); ++i) {
      if (stages.value(i)->number() != 0) d->add_stages(stages.value(i)->name());
    }
    for (const StepDeclaration& step : w->Steps()) {
      d->set_name(step.workflow);
      v1::WorkflowStep* s = d->add_steps();
      s->set_command(step.command);
      for (const std::string& from : step.from) s->add_from_stages(from);
      for (const std::string& role : step.roles) s->add_roles(role);
      s->set_rule(step.rule);
      s->set_opens(step.opens);
    }
  }
  return out;
}

std::string WorkflowRegistry::CommandKey(const v1::CaseCommand& command) {
  const google::protobuf::Reflection* r = command.GetReflection();
  const google::protobuf::FieldDescriptor* workflow =
      r->GetOneofFieldDescriptor(command, command.GetDescriptor()->oneof_decl(0));
  if (workflow == nullptr) return "";
  const google::protobuf::Message& inner = r->GetMessage(command, workflow);
  const google::protobuf::Descriptor* d = inner.GetDescriptor();
  if (d->oneof_decl_count() == 0) return "";
  const google::protobuf::FieldDescriptor* which =
      inner.GetReflection()->GetOneofFieldDescriptor(inner, d->oneof_decl(0));
  if (which == nullptr) return "";
  return absl::StrCat(workflow->name(), ".", which->name());
}

const WorkflowRegistry& WorkflowRegistry::Default() {
  static const WorkflowRegistry* const kRegistry = new WorkflowRegistry();
  return *kRegistry;
}

const Workflow* WorkflowRegistry::ForCommand(const v1::CaseCommand& command) const {
  for (const auto& w : workflows_) {
    if (w->Owns(command)) return w.get();
  }
  return nullptr;
}

bool WorkflowRegistry::Knows(const v1::CaseCommand& command) const {
  return command.has_common() ? command.common().command_case() != v1::CaseStepCommand::COMMAND_NOT_SET
                              : ForCommand(command) != nullptr;
}

absl::StatusOr<std::vector<v1::CaseEvent>> WorkflowRegistry::Decide(
    const v1::CaseCommand& command, const v1::CaseState& state,
    const DecisionContext& context) const {
  if (command.has_common()) {
    const Workflow* workflow = ForType(state.workflow());
    if (!state.exists() || workflow == nullptr) {
      return CaseSteps::Decide(command.common(), v1::CaseState(), *workflows_.front(), context);
    }
    return CaseSteps::Decide(command.common(), state, *workflow, context);
  }
  const Workflow* workflow = ForCommand(command);
  if (workflow == nullptr) return absl::InvalidArgumentError("command: no workflow command is set");
  if (state.exists() && state.workflow() != workflow->type()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", state.case_id(), " is a ", v1::Workflow_Name(state.workflow()), " case; a ",
        v1::Workflow_Name(workflow->type()), " command does not apply to it"));
  }
  return workflow->Decide(command, state, context);
}

std::vector<std::string> WorkflowRegistry::SharedStreams(const v1::CaseCommand& command,
                                                         const v1::CaseState& state,
                                                         const DecisionContext& context) const {
  const Workflow* workflow = ForCommand(command);
  return workflow != nullptr ? workflow->SharedStreams(command, state, context)
                             : std::vector<std::string>();
}

std::vector<SharedAppend> WorkflowRegistry::SharedEffects(const v1::CaseState& state,
                                                          const v1::CaseEvent& event) const {
  const Workflow* workflow = ForEvent(event);
  return workflow != nullptr ? workflow->SharedEffects(state, event) : std::vector<SharedAppend>();
}

std::string WorkflowRegistry::EventType(const v1::CaseEvent& event) const {
  if (event.has_common()) return CaseSteps::EventType(event.common());
  const Workflow* workflow = ForEvent(event);
  return workflow != nullptr ? workflow->EventType(event) : "Unknown";
}

std::string WorkflowRegistry::SharedEventType(const v1::SharedEvent& event) const {
  const Workflow* workflow = ForSharedEvent(event);
  return workflow != nullptr ? workflow->SharedEventType(event) : "Unknown";
}

const Workflow* WorkflowRegistry::ForEvent(const v1::CaseEvent& event) const {
  for (const auto& w : workflows_) {
    if (w->Owns(event)) return w.get();
  }
  return nullptr;
}

const Workflow* WorkflowRegistry::ForType(v1::Workflow type) const {
  for (const auto& w : workflows_) {
    if (w->type() == type) return w.get();
  }
  return nullptr;
}

absl::Status WorkflowRegistry::CheckStageName(v1::Workflow type, absl::string_view state) const {
  std::vector<std::string> names;
  for (const auto& w : workflows_) {
    if (type != v1::WORKFLOW_UNSPECIFIED && w->type() != type) continue;
    const google::protobuf::EnumDescriptor& stages = w->Stages();
    for (int i = 0; i < stages.value_count(); ++i) {
      if (stages.value(i)->number() == 0) continue;  // no case has it
      if (stages.value(i)->name() == state) return absl::OkStatus();
      names.push_back(stages.value(i)->name());
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "state: '", state, "' is not a stage", type == v1::WORKFLOW_UNSPECIFIED ? "" : " of ",
      type == v1::WORKFLOW_UNSPECIFIED ? "" : v1::Workflow_Name(type), "; one of ",
      absl::StrJoin(names, ", ")));
}

const Workflow* WorkflowRegistry::ForSharedEvent(const v1::SharedEvent& event) const {
  for (const auto& w : workflows_) {
    if (w->OwnsShared(event)) return w.get();
  }
  return nullptr;
}

absl::Status WorkflowRegistry::ApplyShared(v1::SharedState& state,
                                           const v1::RecordEnvelope& record) const {
  v1::SharedEvent event;
  const Workflow* workflow = nullptr;
  if (!event.ParseFromString(record.payload()) ||
      (workflow = ForSharedEvent(event)) == nullptr) {
    return absl::DataLossError(absl::StrCat("record at position ", record.position(), " (",
                                            record.stream(), "@", record.revision(),
                                            ") is not a known shared event"));
  }
  state.set_stream(record.stream());
  state.set_exists(true);
  state.set_revision(record.revision());
  workflow->EvolveShared(state, event);
  return absl::OkStatus();
}

absl::Status WorkflowRegistry::Apply(v1::CaseState& state,
                                     const v1::RecordEnvelope& record) const {
  v1::CaseEvent event;
  if (!event.ParseFromString(record.payload())) {
    return absl::DataLossError(absl::StrCat("record at position ", record.position(), " (",
                                            record.stream(), "@", record.revision(),
                                            ") does not decode as a case event"));
  }
  if (ForEvent(event) == nullptr &&
      !(event.has_common() && state.exists() && ForType(state.workflow()) != nullptr)) {
    return absl::DataLossError(absl::StrCat("record at position ", record.position(),
                                            " belongs to no known workflow"));
  }
  EventMeta meta;
  meta.revision = record.revision();
  meta.position = record.position();
  meta.recorded_at = FromProto(record.recorded_at());
  meta.actor_id = record.actor_id();
  if (state.case_id().empty() && absl::StartsWith(record.stream(), "case-")) {
    state.set_case_id(record.stream().substr(5));
  }
  ApplyEvent(state, event, meta);
  return absl::OkStatus();
}

void WorkflowRegistry::ApplyEvent(v1::CaseState& state, const v1::CaseEvent& event,
                                  const EventMeta& meta) const {
  const Workflow* workflow = event.has_common() ? ForType(state.workflow()) : ForEvent(event);
  if (workflow == nullptr) return;
  const google::protobuf::Timestamp at = ToProto(meta.recorded_at);
  if (!state.exists()) {
    state.set_exists(true);
    state.set_workflow(workflow->type());
    *state.mutable_created_at() = at;
    state.set_assigned_agent(meta.actor_id);
  }
  state.set_revision(meta.revision);
  state.set_last_position(meta.position);
  *state.mutable_updated_at() = at;
  if (event.has_common()) {
    CaseSteps::Evolve(state, event.common(), meta, *workflow);
  } else {
    workflow->Evolve(state, event, meta);
  }
}

v1::CaseView WorkflowRegistry::View(const v1::CaseState& state) const {
  v1::CaseView view;
  view.set_case_id(state.case_id());
  view.set_workflow(state.workflow());
  view.set_revision(state.revision());
  view.set_last_position(state.last_position());
  *view.mutable_created_at() = state.created_at();
  *view.mutable_updated_at() = state.updated_at();
  view.set_assigned_agent(state.assigned_agent());
  const v1::CaseHeader& header = state.header();
  *view.mutable_notes() = header.latest_notes();
  view.set_note_count(header.note_count());
  view.set_priority(header.priority() == v1::CASE_PRIORITY_UNSPECIFIED ? v1::CASE_PRIORITY_NORMAL
                                                                       : header.priority());
  *view.mutable_tags() = header.tags();
  if (const Workflow* w = ForType(state.workflow())) {
    w->FillView(state, view);
    view.set_status(CaseSteps::Status(state, *w));
    for (std::string& step : CaseSteps::Allowed(view.status())) {
      view.add_allowed_case_steps(std::move(step));
    }
  }
  if (!header.queue().empty()) view.set_queue(header.queue());
  return view;
}

std::optional<v1::ReservationView> WorkflowRegistry::Reservation(const v1::CaseState& state) const {
  const Workflow* w = ForType(state.workflow());
  v1::ReservationView view;
  view.set_case_id(state.case_id());
  view.set_revision(state.revision());
  if (w == nullptr || !w->FillReservation(state, view)) return std::nullopt;
  return view;
}

}  // namespace tripdesk::workflows
