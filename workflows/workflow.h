// Workflow: one kind of case (a manual car booking, ...) as a decider.
//
//   Decide(command, state, context) -> events | refusal   (pure)
//   Evolve(state, event)            -> state              (pure, total)
//
// No I/O and no clock: the time, the actor and the reference data arrive in
// the DecisionContext. A refusal is FAILED_PRECONDITION (not allowed now:
// names the state, the rule and what is allowed), INVALID_ARGUMENT (a field
// is malformed: names the field) or PERMISSION_DENIED (the actor's role).
//
// Implementations are immutable and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_WORKFLOW_H_
#define TRIPDESK_WORKFLOWS_WORKFLOW_H_

#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tripdesk/v1/cases.pb.h"
#include "workflows/reference_data.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {

// Roles a workflow checks (see DESIGN.md, "Who may do what").
inline constexpr char kRoleAgent[] = "agent";
inline constexpr char kRoleTechSpoc[] = "tech_spoc";
inline constexpr char kRoleSupervisor[] = "supervisor";

struct Actor {
  std::string id;
  // The role this call acts in (the one that allowed it).
  std::string role;
  // Every role the caller holds.
  std::vector<std::string> roles = {};
  // Where the caller is logged in (the token's location claim, e.g. TUS or
  // CEN); empty when the token names none.
  std::string location = {};
};

struct DecisionContext {
  absl::Time now;
  Actor actor;
  const ReferenceData* reference = nullptr;
  // The shared streams the workflow's SharedStreams named, folded as of the
  // decision (exists = false for a stream with no events yet).
  std::vector<v1::SharedState> shared;

  const v1::SharedState* Shared(absl::string_view stream) const {
    for (const v1::SharedState& s : shared) {
      if (s.stream() == stream) return &s;
    }
    return nullptr;
  }
};

// An event a case event puts on a shared stream (an RV unit's), appended in
// the same atomic batch, guarded by the revision the decision read.
struct SharedAppend {
  std::string stream;
  v1::SharedEvent event;
};

// One step a workflow declares (see step_table.h), as the server publishes
// it: the access policy, the allowed commands and the command list come
// from these.
struct StepDeclaration {
  std::string workflow;  // the workflow's field in CaseCommand, e.g. "car_booking"
  std::string command;   // its field name, e.g. "send_quote"
  std::vector<std::string> from;  // stage names; NOT_OPENED for the opening command
  std::vector<std::string> roles;
  std::string rule;
  bool opens = false;
};

// A field of one of a workflow's events that holds a unique external
// reference: no two open cases may carry the same value (see
// ReferenceClaimed in cases.proto).
struct UniqueReferenceField {
  std::string kind;   // e.g. "confirmation_number"
  std::string event;  // the event's field in the workflow's event message, e.g. "booking_confirmed"
  std::string field;  // the field of that event, e.g. "confirmation_number"
};

// What the log says about an event beyond its payload.
struct EventMeta {
  uint64_t revision = 0;
  uint64_t position = 0;
  absl::Time recorded_at;
  std::string actor_id;
};

// How many of a case's notes its state and view keep (the rest: ListNotes).
inline constexpr int kLatestNotes = 3;

// Adds a note to the case as the event's actor wrote it (nothing when empty):
// the fold of every workflow's notes, reasons and comments. The header
// counts them and keeps the last few; the notes view keeps them all.
inline void AppendNote(v1::CaseState& state, const EventMeta& meta, absl::string_view text) {
  if (text.empty()) return;
  v1::CaseHeader& header = *state.mutable_header();
  header.set_note_count(header.note_count() + 1);
  v1::CaseNote* n = header.add_latest_notes();
  *n->mutable_at() = ToProto(meta.recorded_at);
  n->set_author(meta.actor_id);
  n->set_text(std::string(text));
  n->set_number(header.note_count());
  if (header.latest_notes_size() > kLatestNotes) {
    header.mutable_latest_notes()->DeleteSubrange(0, header.latest_notes_size() - kLatestNotes);
  }
}

class Workflow {
 public:
  virtual ~Workflow() = default;

  virtual v1::Workflow type() const = 0;
  // The workflow's stage enum (CarBookingStage, ...): CaseView.state is the
  // name of one of its values.
  virtual const google::protobuf::EnumDescriptor& Stages() const = 0;
  // Its steps, in the order of its table.
  virtual std::vector<StepDeclaration> Steps() const = 0;
  // Whether this workflow owns the command / the event.
  virtual bool Owns(const v1::CaseCommand& command) const = 0;
  virtual bool Owns(const v1::CaseEvent& event) const = 0;

  // The events `command` produces on `state` (a state with exists = false
  // is a case not opened yet), or the refusal.
  virtual absl::StatusOr<std::vector<v1::CaseEvent>> Decide(
      const v1::CaseCommand& command, const v1::CaseState& state,
      const DecisionContext& context) const = 0;

  // Folds one of its events into the workflow's part of `state`.
  virtual void Evolve(v1::CaseState& state, const v1::CaseEvent& event,
                      const EventMeta& meta) const = 0;

  // Whether the case reached one of its end stages.
  virtual bool IsClosed(const v1::CaseState& state) const = 0;
  // The name of the case's stage (NOT_OPENED before it opens), as
  // CaseView.state spells it.
  virtual std::string CurrentStageName(const v1::CaseState& state) const = 0;
  // Who the case is for, as the case knows them (the view's customer; the
  // CRM timeline files the case's records under their email or phone).
  virtual v1::Person Customer(const v1::CaseState& /*state*/) const { return {}; }
  // Whether the open case waits for the customer's answer (the desk's
  // "waiting for the customer" list).
  virtual bool WaitingOnCustomer(const v1::CaseState& /*state*/) const { return false; }
  // The client company the case is for (SLA policies match on it); empty
  // when the workflow has none.
  virtual std::string ClientCompany(const v1::CaseState& /*state*/) const { return ""; }
  // How the shared cancel step (case_steps.h) applies: empty when any open
  // stage may be cancelled, else the rule naming the workflow's own way.
  virtual std::string CancelRule(const v1::CaseState& /*state*/) const { return ""; }
  // The fields of its events that are unique external references.
  virtual std::vector<UniqueReferenceField> UniqueReferences() const { return {}; }
  // Whether a case that reaches an end stage releases its references (a
  // cancelled one always does).
  virtual bool ReleasesReferencesWhenClosed() const { return true; }
  // Folds a shared cancel into the workflow's state (its cancelled stage).
  virtual void OnCancelled(v1::CaseState& /*state*/, const EventMeta& /*meta*/) const {}

  // The workflow's part of the case view: state name, open, customer,
  // allowed commands...
  virtual void FillView(const v1::CaseState& state, v1::CaseView& view) const = 0;
  // The booking the case has made so far (vendor, dates, codes; an RV
  // reservation's estimate and deposits); false when the workflow has none.
  virtual bool FillReservation(const v1::CaseState& /*state*/,
                               v1::ReservationView& /*view*/) const {
    return false;
  }
  // Whether a command's reply carries that booking too (an RV desk prices
  // as it types). Off when the case view already shows the booking: every
  // reply is built on the log's completion thread and read by the caller.
  virtual bool ReservationInReply() const { return false; }

  // Shared things a command reads and changes besides its case (an RV unit):
  // the streams to fold into the context before deciding.
  virtual std::vector<std::string> SharedStreams(const v1::CaseCommand& /*command*/,
                                                 const v1::CaseState& /*state*/,
                                                 const DecisionContext& /*context*/) const {
    return {};
  }
  // What `event`, decided on `state` (the case before the command), puts on
  // shared streams.
  virtual std::vector<SharedAppend> SharedEffects(const v1::CaseState& /*state*/,
                                                  const v1::CaseEvent& /*event*/) const {
    return {};
  }
  virtual bool OwnsShared(const v1::SharedEvent& /*event*/) const { return false; }
  // Folds one of its shared events.
  virtual void EvolveShared(v1::SharedState& /*state*/, const v1::SharedEvent& /*event*/) const {}

  // The record's event type, e.g. "QuoteSent" (or "RvUnitRentedOut").
  virtual std::string EventType(const v1::CaseEvent& event) const = 0;
  virtual std::string SharedEventType(const v1::SharedEvent& /*event*/) const { return "Unknown"; }
  // The command's name as clients know it, e.g. "send_quote".
  virtual std::string CommandName(const v1::CaseCommand& command) const = 0;

  // Its section of the reference data, checked once at load: INVALID_ARGUMENT
  // naming the entry, so a bad file stops the server before any decision.
  virtual absl::Status CheckReference(const v1::ReferenceData& /*data*/) const {
    return absl::OkStatus();
  }
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_WORKFLOW_H_
