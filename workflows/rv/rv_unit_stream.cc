#include "workflows/rv/rv_steps.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "workflows/rv/estimate.h"
#include "workflows/rv/rv_money.h"
#include "workflows/rv/rv_reference.h"
#include "workflows/step_table.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::rv {

using namespace internal;  // the workflow's own parts (rv_steps.h)

std::vector<std::string> RvRentalWorkflow::SharedStreams(const v1::CaseCommand& command,
                                                         const v1::CaseState& state,
                                                         const DecisionContext& ctx) const {
  const Cmd& cmd = command.rv();
  if (cmd.has_open_rental_agreement() && ctx.reference != nullptr &&
      FindUnit(ctx.reference->proto().rv(), cmd.open_rental_agreement().vehicle_number()) != nullptr) {
    return {UnitStream(cmd.open_rental_agreement().vehicle_number())};
  }
  if (cmd.has_close_rental_agreement() && !state.rv().rental_agreement().vehicle_number().empty()) {
    return {UnitStream(state.rv().rental_agreement().vehicle_number())};
  }
  return {};
}

std::vector<SharedAppend> RvRentalWorkflow::SharedEffects(const v1::CaseState& state,
                                                          const v1::CaseEvent& event) const {
  const Ev& e = event.rv();
  SharedAppend out;
  if (e.has_rental_agreement_opened()) {
    const v1::RentalAgreementOpened& ra = e.rental_agreement_opened();
    out.stream = UnitStream(ra.vehicle_number());
    v1::RvUnitRentedOut& u = *out.event.mutable_rv_unit()->mutable_rented_out();
    u.set_case_id(state.case_id());
    u.set_ra_number(ra.ra_number());
    u.set_odometer(ra.odometer());
    u.set_generator_tenths(ra.generator_tenths());
    *u.mutable_due_back() = ra.due_back();
    return {std::move(out)};
  }
  if (e.has_rental_agreement_closed()) {
    const v1::RentalAgreementOpened& ra = state.rv().rental_agreement();
    out.stream = UnitStream(ra.vehicle_number());
    v1::RvUnitReturned& u = *out.event.mutable_rv_unit()->mutable_returned();
    u.set_case_id(state.case_id());
    u.set_ra_number(ra.ra_number());
    u.set_odometer(e.rental_agreement_closed().odometer());
    u.set_generator_tenths(e.rental_agreement_closed().generator_tenths());
    return {std::move(out)};
  }
  return {};
}

void RvRentalWorkflow::EvolveShared(v1::SharedState& state, const v1::SharedEvent& event) const {
  v1::RvUnitState& unit = *state.mutable_rv_unit();
  const v1::RvUnitEvent& e = event.rv_unit();
  if (e.has_rented_out()) {
    unit.set_on_case_id(e.rented_out().case_id());
    unit.set_on_ra_number(e.rented_out().ra_number());
    unit.set_odometer(e.rented_out().odometer());
    unit.set_generator_tenths(e.rented_out().generator_tenths());
  } else if (e.has_returned()) {
    unit.clear_on_case_id();
    unit.clear_on_ra_number();
    unit.set_odometer(e.returned().odometer());
    unit.set_generator_tenths(e.returned().generator_tenths());
  }
}

std::string RvRentalWorkflow::SharedEventType(const v1::SharedEvent& event) const {
  const google::protobuf::FieldDescriptor* field =
      v1::RvUnitEvent::descriptor()->FindFieldByNumber(event.rv_unit().event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

}  // namespace tripdesk::workflows::rv
