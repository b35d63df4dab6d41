#include "workflows/registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/car_booking/car_booking_workflow.h"
#include "workflows/case_steps.h"
#include "workflows/fleet/fleet_workflow.h"
#include "workflows/flight_change/flight_change_workflow.h"
#include "workflows/rv/rv_workflow.h"
#include "workflows/validation.h"
#include "workflows/timekeeping.h"

namespace tripdesk::workflows {

WorkflowRegistry::WorkflowRegistry() {
  workflows_.push_back(std::make_unique<ManualCarBookingWorkflow>());
  workflows_.push_back(std::make_unique<rv::RvRentalWorkflow>());
  workflows_.push_back(std::make_unique<fleet::FleetBookingWorkflow>());
  workflows_.push_back(std::make_unique<flight_change::FlightChangeWorkflow>());
  for (const auto& w : workflows_) {
    for (StepDeclaration& step : w->Steps()) steps_.push_back(std::move(step));
  }
  for (StepDeclaration& step : CaseSteps::Steps()) steps_.push_back(std::move(step));
  // Asked on every command's admission: a lookup, not a scan of the steps.
  for (const StepDeclaration& step : steps_) {
    roles_by_command_.emplace(absl::StrCat(step.workflow, ".", step.command), step.roles);
  }
  const google::protobuf::Descriptor* root = v1::CaseEvent::descriptor();
  for (const auto& w : workflows_) {
    for (const UniqueReferenceField& declared : w->UniqueReferences()) {
      for (int i = 0; i < root->field_count(); ++i) {
        const google::protobuf::FieldDescriptor* workflow = root->field(i);
        const google::protobuf::FieldDescriptor* event =
            workflow->message_type()->FindFieldByName(declared.event);
        const google::protobuf::FieldDescriptor* field =
            event != nullptr && event->message_type() != nullptr
                ? event->message_type()->FindFieldByName(declared.field)
                : nullptr;
        v1::CaseEvent probe;
        probe.GetReflection()->MutableMessage(&probe, workflow);
        if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
            !w->Owns(probe)) {
          continue;
        }
        reference_fields_.push_back({workflow, event, field, declared.kind});
      }
    }
  }
}

const std::vector<std::string>& WorkflowRegistry::RolesForCommand(absl::string_view key) const {
  static const std::vector<std::string>* const kNone = new std::vector<std::string>();
  auto it = roles_by_command_.find(key);
  return it != roles_by_command_.end() ? it->second : *kNone;
}

v1::DescribeWorkflowsResponse WorkflowRegistry::Describe() const {
  v1::DescribeWorkflowsResponse out;
  auto describe = [&](v1::Workflow type, const google::protobuf::EnumDescriptor& stages,
                      const std::vector<StepDeclaration>& steps) {
    v1::WorkflowDescription* d = out.add_workflows();
    d->set_workflow(type);
    for (int i = 0; i < stages.value_count(); ++i) {
      if (stages.value(i)->number() != 0) d->add_stages(stages.value(i)->name());
    }
    for (const StepDeclaration& step : steps) {
      d->set_name(step.workflow);
      v1::WorkflowStep* s = d->add_steps();
      s->set_command(step.command);
      for (const std::string& from : step.from) s->add_from_stages(from);
      for (const std::string& role : step.roles) s->add_roles(role);
      s->set_rule(step.rule);
      s->set_opens(step.opens);
    }
  };
  for (const auto& w : workflows_) describe(w->type(), w->Stages(), w->Steps());
  // The steps every case has, on a case of any workflow; their "stages" are
  // the case's status.
  describe(v1::WORKFLOW_UNSPECIFIED, *v1::CaseStatus_descriptor(), CaseSteps::Steps());
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
  absl::StatusOr<std::vector<v1::CaseEvent>> events = DecideStep(command, state, context);
  if (!events.ok() || events->empty() || !Timekeeping::Concerns(state, context) ||
      (command.has_common() && command.common().has_fire_timer())) {
    return events;
  }
  // What the decision means in time needs the case after it.
  v1::CaseState after = state;
  const uint64_t first = state.exists() ? state.revision() + 1 : 0;
  EventMeta meta;
  meta.recorded_at = context.now;
  meta.actor_id = context.actor.id;
  meta.revision = first;
  for (const v1::CaseEvent& e : *events) {
    ApplyEvent(after, e, meta);
    ++meta.revision;
  }
  const Workflow* workflow = ForType(after.workflow());
  if (workflow == nullptr) return events;
  for (v1::CaseEvent& e : Timekeeping::Follow(state, after, *events, first, context, *workflow,
                                              [this](const v1::CaseEvent& e) { return EventType(e); })) {
    events->push_back(std::move(e));
  }
  return events;
}

absl::StatusOr<std::vector<v1::CaseEvent>> WorkflowRegistry::DecideStep(
    const v1::CaseCommand& command, const v1::CaseState& state,
    const DecisionContext& context) const {
  if (command.has_common()) {
    return CaseSteps::Decide(command.common(), state, ForType(state.workflow()), context);
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

std::vector<v1::CaseReference> WorkflowRegistry::ReferencesOf(const v1::CaseEvent& event) const {
  std::vector<v1::CaseReference> out;
  for (const ReferenceField& f : reference_fields_) {
    const google::protobuf::Reflection* r = event.GetReflection();
    if (!r->HasField(event, f.workflow)) continue;
    const google::protobuf::Message& inner = r->GetMessage(event, f.workflow);
    if (!inner.GetReflection()->HasField(inner, f.event)) continue;
    const google::protobuf::Message& body = inner.GetReflection()->GetMessage(inner, f.event);
    std::string value = absl::AsciiStrToUpper(body.GetReflection()->GetString(body, f.field));
    if (value.empty()) continue;
    v1::CaseReference& ref = out.emplace_back();
    ref.set_kind(f.kind);
    ref.set_value(std::move(value));
  }
  return out;
}

std::vector<std::string> WorkflowRegistry::ReferenceKinds() const {
  std::vector<std::string> kinds;
  for (const auto& w : workflows_) {
    for (const UniqueReferenceField& f : w->UniqueReferences()) {
      if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) kinds.push_back(f.kind);
    }
  }
  return kinds;
}

std::vector<std::string> WorkflowRegistry::ReferencePlan::Streams() const {
  std::vector<std::string> out;
  for (const auto* list : {&claims, &releases}) {
    for (const v1::CaseReference& r : *list) out.push_back(ReferenceStream(r.kind(), r.value()));
  }
  return out;
}

WorkflowRegistry::ReferencePlan WorkflowRegistry::PlanReferences(
    const v1::CaseState& before, const std::vector<v1::CaseEvent>& events) const {
  ReferencePlan plan;
  // Most decisions neither carry a reference nor hold one to release.
  if (before.header().references().empty() &&
      std::all_of(events.begin(), events.end(),
                  [&](const v1::CaseEvent& e) { return ReferencesOf(e).empty(); })) {
    return plan;
  }
  auto held = [](const v1::CaseState& s, const v1::CaseReference& r) {
    for (const v1::CaseReference& h : s.header().references()) {
      if (h.kind() == r.kind() && h.value() == r.value()) return true;
    }
    return false;
  };
  v1::CaseState after = before;
  EventMeta meta{before.revision(), before.last_position(), FromProto(before.updated_at()), ""};
  for (const v1::CaseEvent& event : events) {
    for (v1::CaseReference& ref : ReferencesOf(event)) {
      if (!held(after, ref)) plan.claims.push_back(std::move(ref));
    }
    ApplyEvent(after, event, meta);
  }
  const Workflow* workflow = ForType(after.workflow());
  if (workflow == nullptr || !before.exists()) return plan;
  const v1::CaseStatus was = CaseSteps::Status(before, *workflow);
  const v1::CaseStatus now = CaseSteps::Status(after, *workflow);
  const bool releases = now == v1::CASE_STATUS_CANCELLED ||
                        (now == v1::CASE_STATUS_CLOSED && workflow->ReleasesReferencesWhenClosed());
  if (was == v1::CASE_STATUS_OPEN && releases) {
    for (const v1::CaseReference& ref : after.header().references()) plan.releases.push_back(ref);
  }
  return plan;
}

absl::StatusOr<std::vector<SharedAppend>> WorkflowRegistry::ReferenceAppends(
    const ReferencePlan& plan, const std::string& case_id, const DecisionContext& context) const {
  std::vector<SharedAppend> out;
  for (const v1::CaseReference& ref : plan.claims) {
    const std::string stream = ReferenceStream(ref.kind(), ref.value());
    const v1::SharedState* read = context.Shared(stream);
    if (read != nullptr && read->reference().held() && read->reference().case_id() != case_id) {
      return absl::AlreadyExistsError(absl::StrCat(
          ref.kind(), " ", ref.value(), " is held by case ", read->reference().case_id(),
          ", which is open; no two open cases may share it"));
    }
    if (read != nullptr && read->reference().held()) continue;  // this case's already
    SharedAppend& claim = out.emplace_back();
    claim.stream = stream;
    v1::ReferenceClaimed* c = claim.event.mutable_reference()->mutable_claimed();
    c->set_kind(ref.kind());
    c->set_value(ref.value());
    c->set_case_id(case_id);
  }
  for (const v1::CaseReference& ref : plan.releases) {
    const std::string stream = ReferenceStream(ref.kind(), ref.value());
    const v1::SharedState* read = context.Shared(stream);
    const bool claimed_now = std::any_of(plan.claims.begin(), plan.claims.end(), [&](const auto& c) {
      return c.kind() == ref.kind() && c.value() == ref.value();
    });
    if (!claimed_now && (read == nullptr || !read->reference().held() ||
                         read->reference().case_id() != case_id)) {
      continue;  // not this case's to release
    }
    SharedAppend& release = out.emplace_back();
    release.stream = stream;
    release.event.mutable_reference()->mutable_released()->set_case_id(case_id);
  }
  return out;
}

std::string WorkflowRegistry::EventType(const v1::CaseEvent& event) const {
  if (event.has_common()) return CaseSteps::EventType(event.common());
  const Workflow* workflow = ForEvent(event);
  return workflow != nullptr ? workflow->EventType(event) : "Unknown";
}

std::string WorkflowRegistry::SharedEventType(const v1::SharedEvent& event) const {
  if (event.has_reference()) {
    return event.reference().has_claimed() ? "ReferenceClaimed" : "ReferenceReleased";
  }
  const Workflow* workflow = ForSharedEvent(event);
  return workflow != nullptr ? workflow->SharedEventType(event) : "Unknown";
}

const Workflow* WorkflowRegistry::ForEvent(const v1::CaseEvent& event) const {
  for (const auto& w : workflows_) {
    if (w->Owns(event)) return w.get();
  }
  return nullptr;
}

absl::Status WorkflowRegistry::CheckReference(const v1::ReferenceData& data) const {
  for (const auto& w : workflows_) {
    if (absl::Status s = w->CheckReference(data); !s.ok()) return s;
  }
  return absl::OkStatus();
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
  const bool decoded = event.ParseFromString(record.payload());
  const Workflow* workflow = decoded ? ForSharedEvent(event) : nullptr;
  if (!decoded || (workflow == nullptr && !event.has_reference())) {
    return absl::DataLossError(absl::StrCat("record at position ", record.position(), " (",
                                            record.stream(), "@", record.revision(),
                                            ") is not a known shared event"));
  }
  state.set_stream(record.stream());
  state.set_exists(true);
  state.set_revision(record.revision());
  if (workflow != nullptr) {
    workflow->EvolveShared(state, event);
    return absl::OkStatus();
  }
  // A unique reference's claim or release (the registry's own).
  v1::ReferenceState& ref = *state.mutable_reference();
  if (event.reference().has_claimed()) {
    ref.set_kind(event.reference().claimed().kind());
    ref.set_value(event.reference().claimed().value());
    ref.set_case_id(event.reference().claimed().case_id());
    ref.set_held(true);
  } else {
    ref.set_held(false);
  }
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
  return Apply(state, record, event);
}

absl::Status WorkflowRegistry::Apply(v1::CaseState& state, const v1::RecordEnvelope& record,
                                     const v1::CaseEvent& event) const {
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
  if (state.case_id().empty() && IsCaseStream(record.stream())) {
    state.set_case_id(std::string(CaseIdOfStream(record.stream())));
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
    return;
  }
  workflow->Evolve(state, event, meta);
  for (v1::CaseReference& ref : ReferencesOf(event)) {
    bool known = false;
    for (const v1::CaseReference& h : state.header().references()) {
      known = known || (h.kind() == ref.kind() && h.value() == ref.value());
    }
    if (!known) *state.mutable_header()->add_references() = std::move(ref);
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
    view.set_waiting_on_customer(view.status() == v1::CASE_STATUS_OPEN && w->WaitingOnCustomer(state));
    for (const std::string& step : CaseSteps::Allowed(view.status())) view.add_allowed_case_steps(step);
  }
  if (!header.queue().empty()) view.set_queue(header.queue());
  *view.mutable_references() = header.references();
  *view.mutable_linked_cases() = header.linked_cases();
  *view.mutable_deadlines() = header.timers();
  *view.mutable_sla() = header.sla();
  return view;
}

v1::Person WorkflowRegistry::Customer(const v1::CaseState& state) const {
  const Workflow* w = ForType(state.workflow());
  return w != nullptr ? w->Customer(state) : v1::Person();
}

std::optional<v1::ReservationView> WorkflowRegistry::Reservation(const v1::CaseState& state) const {
  const Workflow* w = ForType(state.workflow());
  v1::ReservationView view;
  view.set_case_id(state.case_id());
  view.set_revision(state.revision());
  if (w == nullptr || !w->FillReservation(state, view)) return std::nullopt;
  return view;
}

std::optional<v1::ReservationView> WorkflowRegistry::ReplyReservation(
    const v1::CaseState& state) const {
  const Workflow* w = ForType(state.workflow());
  if (w == nullptr || !w->ReservationInReply()) return std::nullopt;
  return Reservation(state);
}

}  // namespace tripdesk::workflows
