// FlightChangeWorkflow: the decider of seed 003, an agent changing the dates
// or the destination of a booked flight: verify the booking, the airline's
// rules for the ticket bought, the customer's three approvals (to go on,
// the new option, its cost), the payment when something is due, the
// reissue, the updated itinerary and its receipt, the documentation. See
// workflows/flight_change/README.md for every rule and its message.
//
// The booking reference (PNR) is a unique reference: one open change case
// per booking.
//
// Immutable; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_FLIGHT_CHANGE_FLIGHT_CHANGE_WORKFLOW_H_
#define TRIPDESK_WORKFLOWS_FLIGHT_CHANGE_FLIGHT_CHANGE_WORKFLOW_H_

#include <string>
#include <vector>

#include "workflows/workflow.h"

namespace tripdesk::workflows::flight_change {

class FlightChangeWorkflow final : public Workflow {
 public:
  v1::Workflow type() const override { return v1::WORKFLOW_FLIGHT_CHANGE; }
  const google::protobuf::EnumDescriptor& Stages() const override {
    return *v1::FlightChangeStage_descriptor();
  }
  std::vector<StepDeclaration> Steps() const override;
  bool Owns(const v1::CaseCommand& command) const override { return command.has_flight_change(); }
  bool Owns(const v1::CaseEvent& event) const override { return event.has_flight_change(); }

  absl::StatusOr<std::vector<v1::CaseEvent>> Decide(
      const v1::CaseCommand& command, const v1::CaseState& state,
      const DecisionContext& context) const override;
  void Evolve(v1::CaseState& state, const v1::CaseEvent& event,
              const EventMeta& meta) const override;
  bool IsClosed(const v1::CaseState& state) const override;
  std::string CurrentStageName(const v1::CaseState& state) const override;
  void OnCancelled(v1::CaseState& state, const EventMeta&) const override {
    state.mutable_flight_change()->set_stage(v1::FC_CHANGE_CANCELLED);
  }
  // Told the airline's rules, the options or the cost: the customer decides.
  v1::Person Customer(const v1::CaseState& state) const override {
    return state.flight_change().booking().customer();
  }
  bool WaitingOnCustomer(const v1::CaseState& state) const override {
    const v1::FlightChangeStage s = state.flight_change().stage();
    return s == v1::FC_FEASIBILITY_TOLD || s == v1::FC_OPTIONS_PROPOSED || s == v1::FC_COST_TOLD;
  }
  std::vector<UniqueReferenceField> UniqueReferences() const override {
    return {{"pnr", "booking_retrieved", "booking_reference"}};
  }
  void FillView(const v1::CaseState& state, v1::CaseView& view) const override;
  bool FillReservation(const v1::CaseState& state, v1::ReservationView& view) const override;
  bool ReservationInReply() const override { return true; }
  std::string EventType(const v1::CaseEvent& event) const override;
  std::string CommandName(const v1::CaseCommand& command) const override;
  absl::Status CheckReference(const v1::ReferenceData& data) const override;
};

}  // namespace tripdesk::workflows::flight_change

#endif  // TRIPDESK_WORKFLOWS_FLIGHT_CHANGE_FLIGHT_CHANGE_WORKFLOW_H_
