// RvRentalWorkflow: the decider of seed 004, an RV rental from the first
// call (lead, quote or reservation, retail or tour) through the rental
// agreement's open, extension and close. See workflows/rv/README.md for the
// commands and every rule with the message a counter agent sees.
//
// The unit an RA holds lives on its own stream, unit-<vehicle number>,
// appended in the same batch as the case: two RAs cannot hold one unit.
//
// Immutable; thread-safe.
#ifndef TRIPDESK_WORKFLOWS_RV_RV_WORKFLOW_H_
#define TRIPDESK_WORKFLOWS_RV_RV_WORKFLOW_H_

#include <string>
#include <vector>

#include "workflows/rv/rv_reference.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows::rv {


// Whether an address line names a post-office box ("P.O. Box 12", "PO BOX",
// "Post Office Box").
bool IsPoBox(absl::string_view line);

class RvRentalWorkflow final : public Workflow {
 public:
  v1::Workflow type() const override { return v1::WORKFLOW_RV_RENTAL; }
  const google::protobuf::EnumDescriptor& Stages() const override {
    return *v1::RvStage_descriptor();
  }
  std::vector<StepDeclaration> Steps() const override;
  bool Owns(const v1::CaseCommand& command) const override { return command.has_rv(); }
  bool Owns(const v1::CaseEvent& event) const override { return event.has_rv(); }

  absl::StatusOr<std::vector<v1::CaseEvent>> Decide(
      const v1::CaseCommand& command, const v1::CaseState& state,
      const DecisionContext& context) const override;
  void Evolve(v1::CaseState& state, const v1::CaseEvent& event,
              const EventMeta& meta) const override;
  bool IsClosed(const v1::CaseState& state) const override { return IsTerminal(state.rv().stage()); }
  std::string CurrentStageName(const v1::CaseState& state) const override;
  std::string CancelRule(const v1::CaseState& state) const override;
  v1::Person Customer(const v1::CaseState& state) const override;
  std::vector<UniqueReferenceField> UniqueReferences() const override {
    return {{"ra_number", "rental_agreement_opened", "ra_number"}};
  }
  void FillView(const v1::CaseState& state, v1::CaseView& view) const override;
  bool FillReservation(const v1::CaseState& state, v1::ReservationView& view) const override;
  bool ReservationInReply() const override { return true; }
  std::string EventType(const v1::CaseEvent& event) const override;
  std::string CommandName(const v1::CaseCommand& command) const override;
  absl::Status CheckReference(const v1::ReferenceData& data) const override {
    return CheckRvReference(data.rv());
  }

  std::vector<std::string> SharedStreams(const v1::CaseCommand& command,
                                         const v1::CaseState& state,
                                         const DecisionContext& context) const override;
  std::vector<SharedAppend> SharedEffects(const v1::CaseState& state,
                                          const v1::CaseEvent& event) const override;
  bool OwnsShared(const v1::SharedEvent& event) const override { return event.has_rv_unit(); }
  void EvolveShared(v1::SharedState& state, const v1::SharedEvent& event) const override;
  std::string SharedEventType(const v1::SharedEvent& event) const override;

  static std::vector<std::string> AllowedCommands(v1::RvStage stage);
  static bool IsTerminal(v1::RvStage stage);
  // The reservation view's RV part: dates, class, unit, deposits, balance.
  static v1::RvReservationDetail Detail(const v1::RvState& state);
};

}  // namespace tripdesk::workflows::rv

#endif  // TRIPDESK_WORKFLOWS_RV_RV_WORKFLOW_H_
