// FleetBookingWorkflow: the decider of seed 001, a back-office booking of a
// fleet asset (the operator's "Ops" wizard): start → asset → duration,
// mileage, promo code and extras (the server computes the billing) →
// customer account (added, approved) → driver (verified) → handover mode →
// the booking request, answered with a booking reference. See
// workflows/fleet/README.md for every rule and the message a person sees.
//
// Shared streams, appended in the same batch as the case:
//   asset-<id>    the intervals the asset is held for: no two bookings of
//                 one asset overlap (touching is fine);
//   account-<id>  the account, its approval, its drivers and their
//                 verifications: done once, seen by every later booking.
//
// Immutable; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_FLEET_FLEET_WORKFLOW_H_
#define TRIPDESK_WORKFLOWS_FLEET_FLEET_WORKFLOW_H_

#include <string>
#include <vector>

#include "workflows/workflow.h"

namespace tripdesk::workflows::fleet {

class FleetBookingWorkflow final : public Workflow {
 public:
  v1::Workflow type() const override { return v1::WORKFLOW_FLEET_BOOKING; }
  const google::protobuf::EnumDescriptor& Stages() const override {
    return *v1::FleetStage_descriptor();
  }
  std::vector<StepDeclaration> Steps() const override;
  bool Owns(const v1::CaseCommand& command) const override { return command.has_fleet(); }
  bool Owns(const v1::CaseEvent& event) const override { return event.has_fleet(); }

  absl::StatusOr<std::vector<v1::CaseEvent>> Decide(
      const v1::CaseCommand& command, const v1::CaseState& state,
      const DecisionContext& context) const override;
  void Evolve(v1::CaseState& state, const v1::CaseEvent& event,
              const EventMeta& meta) const override;
  bool IsClosed(const v1::CaseState& state) const override;
  std::string CurrentStageName(const v1::CaseState& state) const override;
  std::string ClientCompany(const v1::CaseState& state) const override;
  v1::Person Customer(const v1::CaseState& state) const override {
    v1::Person p;
    p.set_name(state.fleet().account_name());
    return p;
  }
  std::string CancelRule(const v1::CaseState& state) const override;
  std::vector<UniqueReferenceField> UniqueReferences() const override {
    return {{"booking_reference", "booking_requested", "booking_reference"}};
  }
  void FillView(const v1::CaseState& state, v1::CaseView& view) const override;
  bool FillReservation(const v1::CaseState& state, v1::ReservationView& view) const override;
  // The desk reads the billing summary as it chooses.
  bool ReservationInReply() const override { return true; }
  std::string EventType(const v1::CaseEvent& event) const override;
  std::string CommandName(const v1::CaseCommand& command) const override;
  absl::Status CheckReference(const v1::ReferenceData& data) const override;

  std::vector<std::string> SharedStreams(const v1::CaseCommand& command,
                                         const v1::CaseState& state,
                                         const DecisionContext& context) const override;
  std::vector<SharedAppend> SharedEffects(const v1::CaseState& state,
                                          const v1::CaseEvent& event) const override;
  bool OwnsShared(const v1::SharedEvent& event) const override {
    return event.has_fleet_asset() || event.has_fleet_account();
  }
  void EvolveShared(v1::SharedState& state, const v1::SharedEvent& event) const override;
  std::string SharedEventType(const v1::SharedEvent& event) const override;

  // The booking reference a case is given: the first of its candidates
  // (derived from the case id) no case ever claimed.
  static std::string BookingReferenceCandidate(absl::string_view case_id, int attempt);
  static constexpr int kReferenceAttempts = 3;
};

}  // namespace tripdesk::workflows::fleet

#endif  // TRIPDESK_WORKFLOWS_FLEET_FLEET_WORKFLOW_H_
