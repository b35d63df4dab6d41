#include "workflows/case_steps.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/step_table.h"
#include "workflows/streams.h"
#include "workflows/timekeeping.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {
namespace {

using Cmd = v1::CaseStepCommand;
using Ev = v1::CaseStepEvent;
using Events = std::vector<v1::CaseEvent>;
using Steps_ = StepTable<Cmd, v1::CaseStatus>;
using S = const v1::CaseState&;
using Ctx = const DecisionContext&;

Events One(Ev event) {
  Events out(1);
  *out[0].mutable_common() = std::move(event);
  return out;
}

absl::StatusOr<Events> AddNote(const v1::AddNote& c, S, Ctx) {
  if (absl::Status s = CheckText("add_note.text", c.text(), true, kMaxLongText); !s.ok()) return s;
  Ev e;
  e.mutable_note_added()->set_text(c.text());
  return One(std::move(e));
}

absl::StatusOr<Events> Cancel(const v1::CancelOpenCase& c, S, Ctx) {
  if (absl::Status s = CheckText("cancel.reason", c.reason(), true, kMaxLongText); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_cancelled()->set_reason(c.reason());
  return One(std::move(e));
}

absl::StatusOr<Events> Assign(const v1::AssignCase& c, S state, Ctx) {
  if (absl::Status s = CheckText("assign.agent", c.agent(), false); !s.ok()) return s;
  if (c.agent() == state.assigned_agent()) return Events{};
  Ev e;
  e.mutable_assigned()->set_agent(c.agent());
  e.mutable_assigned()->set_previous(state.assigned_agent());
  return One(std::move(e));
}

absl::StatusOr<Events> TransferToQueue(const v1::TransferToQueue& c, S state, Ctx) {
  if (absl::Status s = CheckText("transfer_to_queue.queue", c.queue(), true); !s.ok()) return s;
  if (c.queue() == state.header().queue()) return Events{};
  Ev e;
  e.mutable_transferred_to_queue()->set_queue(c.queue());
  e.mutable_transferred_to_queue()->set_previous(state.header().queue());
  return One(std::move(e));
}

absl::StatusOr<Events> SetPriority(const v1::SetPriority& c, S state, Ctx) {
  if (c.priority() == v1::CASE_PRIORITY_UNSPECIFIED || !v1::CasePriority_IsValid(c.priority())) {
    return absl::InvalidArgumentError(
        "set_priority.priority: must be CASE_PRIORITY_LOW, _NORMAL, _HIGH or _URGENT");
  }
  const v1::CasePriority now = state.header().priority() == v1::CASE_PRIORITY_UNSPECIFIED
                                   ? v1::CASE_PRIORITY_NORMAL
                                   : state.header().priority();
  if (c.priority() == now) return Events{};
  Ev e;
  e.mutable_priority_set()->set_priority(c.priority());
  e.mutable_priority_set()->set_previous(now);
  return One(std::move(e));
}

// Tags as stored: lower case, 1 to 40 of [a-z0-9-_.:].
absl::StatusOr<std::set<std::string>> Tags(absl::string_view field,
                                           const google::protobuf::RepeatedPtrField<std::string>& given) {
  if (given.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": give at least one tag"));
  std::set<std::string> tags;
  for (int i = 0; i < given.size(); ++i) {
    const std::string tag = absl::AsciiStrToLower(given[i]);
    if (tag.empty() || tag.size() > 40 || !std::all_of(tag.begin(), tag.end(), [](char ch) {
          return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
                 ch == '.' || ch == ':';
        })) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, "[", i, "]: '", given[i], "' is not a tag (1 to 40 letters, digits, '-', '_', '.' or ':')"));
    }
    tags.insert(tag);
  }
  return tags;
}

absl::StatusOr<Events> AddTags(const v1::AddTags& c, S state, Ctx) {
  absl::StatusOr<std::set<std::string>> tags = Tags("add_tags.tags", c.tags());
  if (!tags.ok()) return tags.status();
  const auto& have = state.header().tags();
  Ev e;
  for (const std::string& tag : *tags) {
    if (std::find(have.begin(), have.end(), tag) == have.end()) e.mutable_tags_added()->add_tags(tag);
  }
  if (!e.has_tags_added()) return Events{};
  if (have.size() + e.tags_added().tags_size() > kMaxTags) {
    return absl::FailedPreconditionError(absl::StrCat(
        "case ", state.case_id(), " has ", have.size(), " tags: add_tags refused: a case has at most ",
        kMaxTags, " tags; remove some first"));
  }
  return One(std::move(e));
}

absl::StatusOr<Events> RemoveTags(const v1::RemoveTags& c, S state, Ctx) {
  absl::StatusOr<std::set<std::string>> tags = Tags("remove_tags.tags", c.tags());
  if (!tags.ok()) return tags.status();
  const auto& have = state.header().tags();
  Ev e;
  for (const std::string& tag : *tags) {
    if (std::find(have.begin(), have.end(), tag) != have.end()) e.mutable_tags_removed()->add_tags(tag);
  }
  if (!e.has_tags_removed()) return Events{};
  return One(std::move(e));
}

absl::StatusOr<Events> FireTimer(const v1::FireTimer& c, S state, Ctx ctx) {
  return Timekeeping::Fire(c, state, ctx);
}

absl::StatusOr<Events> LinkCase(const v1::LinkCase& c, S state, Ctx) {
  if (absl::Status s = CheckCaseId(c.case_id()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("link_case.", s.message()));
  }
  if (c.case_id() == state.case_id()) {
    return absl::InvalidArgumentError("link_case.case_id: a case is not linked to itself");
  }
  const auto& linked = state.header().linked_cases();
  if (std::find(linked.begin(), linked.end(), c.case_id()) != linked.end()) return Events{};
  Ev e;
  e.mutable_linked()->set_case_id(c.case_id());
  return One(std::move(e));
}

const std::vector<std::string>& Desk() {
  static const auto* const kDesk = new std::vector<std::string>{kRoleAgent, kRoleTechSpoc, kRoleSupervisor};
  return *kDesk;
}

const Steps_& Table() {
  static const auto* const kSteps = new Steps_({
      .type = v1::WORKFLOW_UNSPECIFIED,
      .closed = {v1::CASE_STATUS_CLOSED, v1::CASE_STATUS_CANCELLED},
      .steps = {
          {Cmd::kAddNote, {v1::CASE_STATUS_OPEN, v1::CASE_STATUS_CLOSED, v1::CASE_STATUS_CANCELLED},
           Desk(), "a note is added to a case that exists, open or closed",
           Steps_::On(&Cmd::add_note, &AddNote)},
          {Cmd::kCancel, {v1::CASE_STATUS_OPEN}, {kRoleSupervisor},
           "an open case is cancelled, once", Steps_::On(&Cmd::cancel, &Cancel)},
          {Cmd::kAssign, {v1::CASE_STATUS_OPEN}, Desk(), "an open case is assigned",
           Steps_::On(&Cmd::assign, &Assign)},
          {Cmd::kTransferToQueue, {v1::CASE_STATUS_OPEN}, Desk(),
           "an open case is transferred to a queue", Steps_::On(&Cmd::transfer_to_queue, &TransferToQueue)},
          {Cmd::kSetPriority, {v1::CASE_STATUS_OPEN}, Desk(), "an open case is prioritised",
           Steps_::On(&Cmd::set_priority, &SetPriority)},
          {Cmd::kAddTags, {v1::CASE_STATUS_OPEN, v1::CASE_STATUS_CLOSED, v1::CASE_STATUS_CANCELLED},
           Desk(), "a case that exists is tagged, open or closed", Steps_::On(&Cmd::add_tags, &AddTags)},
          {Cmd::kRemoveTags, {v1::CASE_STATUS_OPEN, v1::CASE_STATUS_CLOSED, v1::CASE_STATUS_CANCELLED},
           Desk(), "a case that exists is untagged, open or closed",
           Steps_::On(&Cmd::remove_tags, &RemoveTags)},
          {Cmd::kLinkCase, {v1::CASE_STATUS_OPEN, v1::CASE_STATUS_CLOSED, v1::CASE_STATUS_CANCELLED},
           Desk(), "a case that exists is linked to another, open or closed",
           Steps_::On(&Cmd::link_case, &LinkCase)},
          {Cmd::kFireTimer, {v1::CASE_STATUS_OPEN}, {kRoleSystem},
           "the scheduler fires an open case's timer once it is due",
           Steps_::On(&Cmd::fire_timer, &FireTimer)},
      },
  });
  return *kSteps;
}

void Sorted(google::protobuf::RepeatedPtrField<std::string>& tags) { std::sort(tags.begin(), tags.end()); }

}  // namespace

std::vector<StepDeclaration> CaseSteps::Steps() { return Table().Declarations(); }

const std::vector<std::string>& CaseSteps::Allowed(v1::CaseStatus status) {
  static const auto* const kByStatus = [] {
    auto* by_status = new std::vector<std::vector<std::string>>();
    for (int s = 0; s <= v1::CaseStatus_MAX; ++s) {
      std::vector<std::string> allowed = Table().Allowed(static_cast<v1::CaseStatus>(s));
      std::erase(allowed, "fire_timer");  // the scheduler's step, no caller's
      by_status->push_back(std::move(allowed));
    }
    return by_status;
  }();
  return (*kByStatus)[v1::CaseStatus_IsValid(status) ? status : 0];
}

v1::CaseStatus CaseSteps::Status(const v1::CaseState& state, const Workflow& workflow) {
  if (!state.exists()) return v1::CASE_STATUS_UNSPECIFIED;
  if (state.header().cancelled()) return v1::CASE_STATUS_CANCELLED;
  return workflow.IsClosed(state) ? v1::CASE_STATUS_CLOSED : v1::CASE_STATUS_OPEN;
}

absl::StatusOr<std::vector<v1::CaseEvent>> CaseSteps::Decide(const v1::CaseStepCommand& command,
                                                            const v1::CaseState& state,
                                                            const Workflow* workflow,
                                                            const DecisionContext& context) {
  if (!state.exists() || workflow == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "command.common: ", Steps_::Name(command.command_case()),
        " applies to a case that exists; a case is opened with its workflow's opening command"));
  }
  const v1::CaseStatus status = Status(state, *workflow);
  if (command.has_cancel() && status == v1::CASE_STATUS_OPEN) {
    if (const std::string rule = workflow->CancelRule(state); !rule.empty()) {
      return Table().Refusal(state, status, "cancel", rule);
    }
  }
  return Table().Decide(command, state, status, context);
}

void CaseSteps::Evolve(v1::CaseState& state, const v1::CaseStepEvent& event, const EventMeta& meta,
                       const Workflow& workflow) {
  v1::CaseHeader& header = *state.mutable_header();
  if (Timekeeping::Evolve(header, event, meta)) return;
  switch (event.event_case()) {
    case Ev::kNoteAdded:
      AppendNote(state, meta, event.note_added().text());
      break;
    case Ev::kCancelled:
      header.set_cancelled(true);
      AppendNote(state, meta, event.cancelled().reason());
      workflow.OnCancelled(state, meta);
      break;
    case Ev::kAssigned:
      state.set_assigned_agent(event.assigned().agent());
      break;
    case Ev::kTransferredToQueue:
      header.set_queue(event.transferred_to_queue().queue());
      break;
    case Ev::kPrioritySet:
      header.set_priority(event.priority_set().priority());
      break;
    case Ev::kTagsAdded:
      for (const std::string& tag : event.tags_added().tags()) header.add_tags(tag);
      Sorted(*header.mutable_tags());
      break;
    case Ev::kTagsRemoved: {
      const auto& gone = event.tags_removed().tags();
      auto* tags = header.mutable_tags();
      tags->erase(std::remove_if(tags->begin(), tags->end(),
                                 [&](const std::string& t) {
                                   return std::find(gone.begin(), gone.end(), t) != gone.end();
                                 }),
                  tags->end());
      break;
    }
    case Ev::kLinked:
      header.add_linked_cases(event.linked().case_id());
      break;
    default:  // time events: Timekeeping::Evolve above
      break;
  }
}

std::string CaseSteps::EventType(const v1::CaseStepEvent& event) {
  const google::protobuf::FieldDescriptor* field = Ev::descriptor()->FindFieldByNumber(event.event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

}  // namespace tripdesk::workflows
