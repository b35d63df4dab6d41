// ManualCarBookingWorkflow: the decider of seed 000, a car booking the IL
// platform cannot take, made offline by the support desk. See
// workflows/car_booking/README.md for the steps, rules and template fields.
//
// Immutable; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_CAR_BOOKING_CAR_BOOKING_WORKFLOW_H_
#define TRIPDESK_WORKFLOWS_CAR_BOOKING_CAR_BOOKING_WORKFLOW_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows {

// The {{placeholders}} car booking email templates may use.
absl::flat_hash_set<std::string> CarBookingTemplateFields();

class ManualCarBookingWorkflow final : public Workflow {
 public:
  v1::Workflow type() const override { return v1::WORKFLOW_MANUAL_CAR_BOOKING; }
  const google::protobuf::EnumDescriptor& Stages() const override {
    return *v1::CarBookingStage_descriptor();
  }
  std::vector<StepDeclaration> Steps() const override;
  bool Owns(const v1::CaseCommand& command) const override {
    return command.has_car_booking();
  }
  bool Owns(const v1::CaseEvent& event) const override { return event.has_car_booking(); }

  absl::StatusOr<std::vector<v1::CaseEvent>> Decide(
      const v1::CaseCommand& command, const v1::CaseState& state,
      const DecisionContext& context) const override;
  void Evolve(v1::CaseState& state, const v1::CaseEvent& event,
              const EventMeta& meta) const override;
  bool IsClosed(const v1::CaseState& state) const override;
  std::string CurrentStageName(const v1::CaseState& state) const override;
  // A quote sent, or the customer emailed: their answer is awaited.
  bool WaitingOnCustomer(const v1::CaseState& state) const override;
  v1::Person Customer(const v1::CaseState& state) const override {
    return state.car_booking().request().customer();
  }
  std::string ClientCompany(const v1::CaseState& state) const override {
    return state.car_booking().request().client_company();
  }
  bool FillReservation(const v1::CaseState& state, v1::ReservationView& view) const override;
  std::vector<UniqueReferenceField> UniqueReferences() const override {
    return {{"confirmation_number", "booking_confirmed", "confirmation_number"}};
  }
  void OnCancelled(v1::CaseState& state, const EventMeta& meta) const override;
  void FillView(const v1::CaseState& state, v1::CaseView& view) const override;
  std::string EventType(const v1::CaseEvent& event) const override;
  std::string CommandName(const v1::CaseCommand& command) const override;
  absl::Status CheckReference(const v1::ReferenceData& data) const override;

  // The commands a case at `stage` accepts, by name.
  static std::vector<std::string> AllowedCommands(v1::CarBookingStage stage);
  static bool IsTerminal(v1::CarBookingStage stage);
};

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_CAR_BOOKING_CAR_BOOKING_WORKFLOW_H_
