// The RV workflow's parts, shared by its files (rv_fields.cc: fields, dates,
// money and deposits; rv_reservation.cc: the reservation screen, saving and
// cancelling; rv_rental_agreement.cc: the RA screens; rv_workflow.cc: the
// step table and the folds; rv_unit_stream.cc: the units' streams).
// Internal to workflows/rv/.
#ifndef TRIPDESK_WORKFLOWS_RV_RV_STEPS_H_
#define TRIPDESK_WORKFLOWS_RV_RV_STEPS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "workflows/rv/estimate.h"
#include "workflows/rv/rv_workflow.h"
#include "workflows/step_table.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::rv::internal {

using Cmd = v1::RvCommand;
using Ev = v1::RvEvent;
using Stage = v1::RvStage;
using Events = std::vector<v1::CaseEvent>;

constexpr int64_t kMaxDepositCents = 10'000'000;  // 100,000.00
constexpr int64_t kMaxMiles = 100'000;
constexpr int kMaxPassengers = 60;
constexpr int kMaxRentalDays = 365;

using Steps_ = StepTable<Cmd, Stage>;
using S = const v1::CaseState&;
using Ctx = const DecisionContext&;

// ---- Fields, dates, money and deposits (rv_fields.cc) ----

std::string NameOf(Cmd::CommandCase command);
std::string StageName(Stage stage);
v1::CaseEvent Wrap(Ev event);
absl::Status Refuse(S state, absl::string_view command, absl::string_view rule);
std::string Amount(int64_t cents);
std::string Tenths(int64_t tenths);
absl::Status CheckFreeText(absl::string_view field, absl::string_view value, bool required,
                           size_t max = kMaxLongText);
absl::Status CheckCard(absl::string_view field, const v1::PaymentCard& card);
absl::Status CheckAmount(absl::string_view field, const v1::Money& m, absl::string_view currency,
                         int64_t max = kMaxDepositCents);
bool HasDeposit(const v1::RvDeposit& d);
absl::Status CheckDeposit(absl::string_view field, const v1::RvDeposit& d,
                          absl::string_view currency);
std::string CaseCurrency(const v1::RvState& rv, const v1::RvReference& ref);
absl::CivilDay Today(const DecisionContext& ctx, absl::string_view location);
absl::StatusOr<absl::CivilDay> ParseDay(absl::string_view field, const std::string& value);
absl::StatusOr<absl::CivilMinute> ParseMoment(absl::string_view field, const v1::RvMoment& m,
                                              absl::string_view default_time);
v1::RvMoment MomentOf(absl::CivilMinute t, absl::string_view location);
absl::CivilMinute Minute(const v1::RvMoment& m);
absl::StatusOr<const v1::RvLocation*> RentalLocation(const v1::RvReference& ref,
                                                     absl::string_view field,
                                                     absl::string_view code);
bool IsAuthCode(absl::string_view code);
bool HasAddress(const v1::RvAddress& a);
absl::Status CheckAddress(absl::string_view field, const v1::RvAddress& a);
absl::StatusOr<const v1::RvLocation*> BookingLocation(const v1::RvReference& ref,
                                                      absl::string_view given, const Actor& actor);
int AlternateDatesOffset(const v1::RvReference& ref, absl::string_view user);
EstimateInput ReservationInput(const v1::RvReservationSaved& r);
EstimateInput RentalInput(const v1::RvState& rv, absl::CivilMinute from, absl::CivilMinute to);
int64_t ChargesWithoutSecurity(const v1::RvEstimate& e);
v1::CaseEvent DepositTaken(const v1::RvDeposit& deposit, const v1::Money& previous_total,
                           bool on_ra);
Events WithDeposit(Ev first, const v1::RvDeposit* deposit, const v1::Money& previous_total,
                   bool on_ra);

// ---- The reservation screen: save and cancel (rv_reservation.cc) ----

absl::Status CheckRenter(const v1::RvRenter& r);
bool RestoreFromLead(const v1::RvReservationSaved& lead, v1::SaveRvReservation& r);
absl::StatusOr<const v1::RvTourOperator*> CompleteVoucher(const v1::RvReference& ref,
                                                          const v1::CaseState& state,
                                                          const std::string& class_code,
                                                          int32_t days, v1::RvTourVoucher& voucher);
absl::Status ApplyOptions(const v1::RvReference& ref, const v1::CaseState& state,
                          v1::SaveRvReservation& r, v1::RvReservationSaved& out);
absl::StatusOr<Events> SaveReservation(const v1::SaveRvReservation& given, S state, Ctx ctx);
absl::StatusOr<Events> CancelReservation(const v1::CancelRvReservation& c,
                                         const v1::CaseState& state, const DecisionContext& ctx);

// ---- The rental agreement screens (rv_rental_agreement.cc) ----

v1::RvUnitState UnitNow(const v1::RvUnit& unit, const DecisionContext& ctx);
absl::StatusOr<Events> OpenRentalAgreement(const v1::OpenRentalAgreement& o,
                                           const v1::CaseState& state, const DecisionContext& ctx);
absl::StatusOr<Events> ExtendRentalAgreement(const v1::ExtendRentalAgreement& x,
                                             const v1::CaseState& state, const DecisionContext& ctx);
absl::StatusOr<Events> AdjustCharges(const v1::AdjustRvCharges& a, const v1::CaseState& state,
                                     const DecisionContext& ctx);
absl::StatusOr<Events> CloseRentalAgreement(const v1::CloseRentalAgreement& c,
                                            const v1::CaseState& state, const DecisionContext& ctx);

// ---- The step table (rv_workflow.cc) ----

absl::StatusOr<Events> TakeDeposit(const v1::TakeRvDeposit& c, S state, Ctx ctx);
absl::StatusOr<Events> AddNote(const v1::AddRvNote& c, S, Ctx);
const std::vector<std::string>& Counter();
const Steps_& Table();

}  // namespace tripdesk::workflows::rv::internal

#endif  // TRIPDESK_WORKFLOWS_RV_RV_STEPS_H_
