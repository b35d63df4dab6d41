#include "workflows/fleet/fleet_workflow.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "workflows/fleet/fleet_billing.h"
#include "workflows/fleet/fleet_reference.h"
#include "workflows/money.h"
#include "workflows/step_table.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::workflows::fleet {
namespace {

using Cmd = v1::FleetBookingCommand;
using Ev = v1::FleetBookingEvent;
using Stage = v1::FleetStage;
using Events = std::vector<v1::CaseEvent>;
using Steps_ = StepTable<Cmd, Stage>;
using S = const v1::CaseState&;
using Ctx = const DecisionContext&;

constexpr int kAccountIdChars = 10;
constexpr int kDriverIdChars = 8;
constexpr size_t kBookingReferenceChars = 8;
// What going back clears, as the events name it.
constexpr char kAsset[] = "asset";
constexpr char kOptions[] = "options";
constexpr char kDriver[] = "driver";

const Steps_& Table();

v1::CaseEvent Wrap(Ev event) {
  v1::CaseEvent out;
  *out.mutable_fleet() = std::move(event);
  return out;
}

// The wizard's stage: the first choice still missing, once opened.
Stage StageOf(const v1::FleetBookingState& f) {
  if (f.stage() == v1::FLEET_STAGE_UNSPECIFIED || f.stage() == v1::FLEET_BOOKING_CANCELLED ||
      f.stage() == v1::FLEET_BOOKING_REQUESTED) {
    return f.stage();
  }
  if (f.asset().id().empty()) return v1::FLEET_START_CHOSEN;
  if (!f.has_options()) return v1::FLEET_ASSET_SELECTED;
  if (f.account_id().empty()) return v1::FLEET_OPTIONS_CHOSEN;
  if (f.driver_id().empty()) return v1::FLEET_ACCOUNT_SELECTED;
  if (f.handover_mode().empty()) return v1::FLEET_DRIVER_SELECTED;
  return v1::FLEET_HANDOVER_CHOSEN;
}

absl::Status Refuse(S state, absl::string_view command, absl::string_view rule) {
  return Table().Refusal(state, state.fleet().stage(), command, rule);
}

const v1::FleetReference& Fleet(Ctx ctx) { return ctx.reference->proto().fleet(); }
absl::TimeZone ZoneOf(Ctx ctx) { return ctx.reference->Zone(Fleet(ctx).zone()); }

std::string Local(absl::Time t, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%dT%H:%M", t, zone);
}

// "YYYY-MM-DDTHH:MM" in the operator's zone, not in the past; a time the
// clocks skip (the spring change) does not exist.
absl::StatusOr<absl::Time> ParseStart(absl::string_view field, const std::string& text, Ctx ctx) {
  absl::CivilMinute civil;
  if (!absl::ParseCivilTime(text, &civil) || absl::FormatCivilTime(civil) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text, "' is not a local date and time, YYYY-MM-DDTHH:MM"));
  }
  const absl::TimeZone zone = ZoneOf(ctx);
  const absl::TimeZone::TimeInfo info = zone.At(civil);
  if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", text, " does not exist in ",
                                                   zone.name(), " (the clocks skip it)"));
  }
  // An hour that happens twice (the autumn change) is its first.
  const absl::Time start = info.pre;
  if (start < ctx.now) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", text, " is in the past (now is ",
                                                   Local(ctx.now, zone), " in ", zone.name(), ")"));
  }
  return start;
}

absl::Time End(const v1::FleetBookingState& f) { return FromProto(f.options().end()); }

// The hold of another case overlapping [start, end) on the asset; null
// when free. Touching intervals do not overlap.
const v1::FleetAssetHeld* Holder(Ctx ctx, const std::string& asset_id, const std::string& case_id,
                                 absl::Time start, absl::Time end) {
  const v1::SharedState* asset = ctx.Shared(AssetStream(asset_id));
  if (asset == nullptr) return nullptr;
  for (const v1::FleetAssetHeld& h : asset->fleet_asset().holds()) {
    if (h.case_id() != case_id && FromProto(h.start()) < end && start < FromProto(h.end())) return &h;
  }
  return nullptr;
}

absl::Status CheckFree(S state, absl::string_view command, Ctx ctx, const std::string& asset_id,
                       absl::Time start, absl::Time end) {
  const v1::FleetAssetHeld* h = Holder(ctx, asset_id, state.case_id(), start, end);
  if (h == nullptr) return absl::OkStatus();
  const absl::TimeZone zone = ZoneOf(ctx);
  return Refuse(state, command,
                absl::StrCat("asset ", asset_id, " is held by case ", h->case_id(), " (booking ",
                             h->booking_reference(), ") from ", Local(FromProto(h->start()), zone),
                             " to ", Local(FromProto(h->end()), zone),
                             "; no two bookings of one asset overlap: choose another asset or time"));
}

// The account's stream as read, or INVALID_ARGUMENT naming the field.
absl::StatusOr<const v1::FleetAccountState*> Account(Ctx ctx, absl::string_view field,
                                                      const std::string& account_id) {
  if (account_id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  const v1::SharedState* s = ctx.Shared(AccountStream(account_id));
  if (s == nullptr || !s->exists() || !s->has_fleet_account()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": no account ", account_id, " (search the accounts, or add one with add_account)"));
  }
  return &s->fleet_account();
}

const v1::FleetDriverRecord* DriverOf(const v1::FleetAccountState& account, absl::string_view id) {
  for (const v1::FleetDriverRecord& d : account.drivers()) {
    if (d.driver().driver_id() == id) return &d;
  }
  return nullptr;
}

// The licence is valid through the booking's last day (local).
absl::Status CheckLicence(S state, absl::string_view command, Ctx ctx, const v1::FleetDriver& driver) {
  const std::string end_day = Local(End(state.fleet()), ZoneOf(ctx)).substr(0, 10);
  if (driver.licence_valid_until() < end_day) {
    return Refuse(state, command,
                  absl::StrCat("driver ", driver.driver_id(), "'s licence is valid until ",
                               driver.licence_valid_until(), ", before the booking ends on ", end_day));
  }
  return absl::OkStatus();
}

absl::Status CheckSelectable(S state, absl::string_view command, Ctx ctx,
                             const v1::FleetDriverRecord& d) {
  if (!d.verified()) {
    return Refuse(state, command,
                  absl::StrCat("driver ", d.driver().driver_id(), " (", d.driver().name(),
                               ") is not verified: verify_driver first"));
  }
  return CheckLicence(state, command, ctx, d.driver());
}

// ---- The wizard's steps ----

absl::StatusOr<Events> StartBooking(const v1::StartFleetBooking& c, S, Ctx ctx) {
  if (Fleet(ctx).assets().empty()) {
    return absl::FailedPreconditionError("the reference data has no fleet: no asset can be booked");
  }
  absl::StatusOr<absl::Time> start = ParseStart("start_booking.start", c.start(), ctx);
  if (!start.ok()) return start.status();
  Ev e;
  v1::FleetBookingStarted& s = *e.mutable_booking_started();
  s.set_start_local(c.start());
  *s.mutable_start() = ToProto(*start);
  s.set_zone(Fleet(ctx).zone());
  return Events{Wrap(std::move(e))};
}

// The choices `changed` invalidates, among those the case has: the asset
// was searched at the start; options were priced for the asset and end at
// start + duration; the driver's licence was checked against the end.
std::vector<std::string> Dependents(const v1::FleetBookingState& f, absl::string_view changed) {
  std::vector<std::string> out;
  if (changed == "start" && !f.asset().id().empty()) out.push_back(kAsset);
  if ((changed == "start" || changed == kAsset) && f.has_options()) out.push_back(kOptions);
  if (!f.driver_id().empty()) out.push_back(kDriver);
  return out;
}

absl::StatusOr<Events> ChangeStart(const v1::ChangeFleetStart& c, S state, Ctx ctx) {
  absl::StatusOr<absl::Time> start = ParseStart("change_start.start", c.start(), ctx);
  if (!start.ok()) return start.status();
  if (c.start() == state.fleet().start_local()) return Events{};  // already so
  Ev e;
  v1::FleetStartChanged& s = *e.mutable_start_changed();
  s.set_start_local(c.start());
  *s.mutable_start() = ToProto(*start);
  for (std::string& d : Dependents(state.fleet(), "start")) s.add_cleared(std::move(d));
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> SelectAsset(const v1::SelectFleetAsset& c, S state, Ctx ctx) {
  const v1::FleetAsset* asset = FindAsset(Fleet(ctx), c.asset_id());
  if (asset == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("select_asset.asset_id: '", c.asset_id(),
                                                   "' is not one of the fleet's assets"));
  }
  if (asset->id() == state.fleet().asset().id()) return Events{};  // already selected
  const absl::Time start = FromProto(state.fleet().start());
  // Free at the start; the whole interval is checked once the duration is known.
  if (absl::Status s = CheckFree(state, "select_asset", ctx, asset->id(), start, start + absl::Seconds(1));
      !s.ok()) {
    return s;
  }
  Ev e;
  v1::FleetAssetSelected& s = *e.mutable_asset_selected();
  *s.mutable_asset() = *asset;
  for (std::string& d : Dependents(state.fleet(), kAsset)) s.add_cleared(std::move(d));
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> ChooseOptions(const v1::ChooseFleetOptions& c, S state, Ctx ctx) {
  const v1::FleetReference& ref = Fleet(ctx);
  BillingInput in;
  in.reference = &ref;
  in.asset = FindAsset(ref, state.fleet().asset().id());
  in.duration = FindDuration(ref, c.duration_id());
  in.mileage = FindMileage(ref, c.mileage_id());
  auto ids = [](const auto& list) {
    std::vector<std::string> out;
    for (const auto& x : list) out.push_back(x.id());
    return absl::StrJoin(out, ", ");
  };
  if (in.asset == nullptr) {
    return Refuse(state, "choose_options",
                  absl::StrCat("asset ", state.fleet().asset().id(),
                               " is no longer in the reference data: select another asset"));
  }
  if (in.duration == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("choose_options.duration_id: '", c.duration_id(),
                                                   "' is not offered; one of ", ids(ref.durations())));
  }
  if (in.mileage == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("choose_options.mileage_id: '", c.mileage_id(),
                                                   "' is not offered; one of ", ids(ref.mileage())));
  }
  for (const std::string& id : c.extra_ids()) {
    const v1::FleetExtra* extra = FindExtra(ref, id);
    if (extra == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("choose_options.extra_ids: '", id,
                                                     "' is not an extra; one of ", ids(ref.extras())));
    }
    in.extras.push_back(extra);
  }
  const absl::TimeZone zone = ZoneOf(ctx);
  const absl::Time start = FromProto(state.fleet().start());
  if (!c.promo_code().empty()) {
    in.promo = FindPromo(ref, absl::AsciiStrToUpper(c.promo_code()));
    if (in.promo == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("choose_options.promo_code: '", c.promo_code(), "' is not a promo code"));
    }
    if (absl::Status s = CheckPromo(*in.promo, in.asset->asset_class(), absl::ToCivilDay(start, zone));
        !s.ok()) {
      return Refuse(state, "choose_options", s.message());
    }
  }
  const absl::Time end = start + absl::Hours(in.duration->hours());
  if (absl::Status s = CheckFree(state, "choose_options", ctx, in.asset->id(), start, end); !s.ok()) {
    return s;
  }
  absl::StatusOr<v1::FleetBilling> billing = ComputeBilling(in);
  if (!billing.ok()) return billing.status();
  Ev e;
  v1::FleetOptionsChosen& o = *e.mutable_options_chosen();
  o.set_duration_id(in.duration->id());
  o.set_duration_label(in.duration->label());
  o.set_hours(in.duration->hours());
  o.set_mileage_id(in.mileage->id());
  o.set_mileage_label(in.mileage->label());
  for (const v1::FleetExtra* x : in.extras) o.add_extra_ids(x->id());
  *o.mutable_end() = ToProto(end);
  o.set_end_local(Local(end, zone));
  *o.mutable_billing() = *std::move(billing);
  const bool end_moved = !state.fleet().has_options() || End(state.fleet()) != end;
  if (end_moved && !state.fleet().driver_id().empty()) o.add_cleared(kDriver);
  return Events{Wrap(std::move(e))};
}

// ---- Accounts and drivers: records on their own streams ----

std::string AccountIdCandidate(S state, int attempt) {
  return absl::StrCat("AC", ReadableCode(absl::StrCat("account/", state.case_id(), "/",
                                                      state.revision() + 1, "/", attempt),
                                         kAccountIdChars));
}

absl::StatusOr<Events> AddAccount(const v1::AddFleetAccount& c, S state, Ctx ctx) {
  const v1::FleetAccount& a = c.account();
  if (!a.account_id().empty()) {
    return absl::InvalidArgumentError(
        "add_account.account.account_id: is assigned by the server; leave it empty");
  }
  if (absl::Status s = FirstError({CheckText("add_account.account.name", a.name(), true),
                                   CheckText("add_account.account.company", a.company(), false)});
      !s.ok()) {
    return s;
  }
  if (a.email().empty() && a.phone().empty()) {
    return absl::InvalidArgumentError("add_account.account: an email or a phone is required");
  }
  if (!a.email().empty()) {
    if (absl::Status s = CheckEmail("add_account.account.email", a.email()); !s.ok()) return s;
  }
  for (int k = 0; k < FleetBookingWorkflow::kReferenceAttempts; ++k) {
    const std::string id = AccountIdCandidate(state, k);
    const v1::SharedState* taken = ctx.Shared(AccountStream(id));
    if (taken != nullptr && taken->exists()) continue;
    Ev e;
    v1::FleetAccount& added = *e.mutable_account_added()->mutable_account();
    added = a;
    added.set_account_id(id);
    return Events{Wrap(std::move(e))};
  }
  return absl::AbortedError("add_account: no free account id; retry the command");
}

absl::StatusOr<Events> ApproveAccount(const v1::ApproveFleetAccount& c, S, Ctx ctx) {
  const std::string role = ApproverRole(Fleet(ctx));
  if (std::find(ctx.actor.roles.begin(), ctx.actor.roles.end(), role) == ctx.actor.roles.end() &&
      ctx.actor.role != role) {
    return absl::PermissionDeniedError(absl::StrCat("approve_account needs the ", role, " role (",
                                                    "the reference data's approver_role); ",
                                                    ctx.actor.id, " does not hold it"));
  }
  absl::StatusOr<const v1::FleetAccountState*> account =
      Account(ctx, "approve_account.account_id", c.account_id());
  if (!account.ok()) return account.status();
  if ((*account)->approved()) return Events{};  // done once, for every booking
  Ev e;
  e.mutable_account_approved()->set_account_id(c.account_id());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> AddDriver(const v1::AddFleetDriver& c, S state, Ctx ctx) {
  absl::StatusOr<const v1::FleetAccountState*> account =
      Account(ctx, "add_driver.account_id", c.account_id());
  if (!account.ok()) return account.status();
  const v1::FleetDriver& d = c.driver();
  if (!d.driver_id().empty()) {
    return absl::InvalidArgumentError(
        "add_driver.driver.driver_id: is assigned by the server; leave it empty");
  }
  if (absl::Status s = FirstError({CheckText("add_driver.driver.name", d.name(), true),
                                   CheckText("add_driver.driver.licence_number", d.licence_number(), true)});
      !s.ok()) {
    return s;
  }
  if (d.licence_valid_until().empty()) {
    return absl::InvalidArgumentError("add_driver.driver.licence_valid_until: is required, YYYY-MM-DD");
  }
  const std::string licence = absl::AsciiStrToUpper(d.licence_number());
  for (const v1::FleetDriverRecord& r : (*account)->drivers()) {
    if (absl::AsciiStrToUpper(r.driver().licence_number()) == licence) {
      return Refuse(state, "add_driver",
                    absl::StrCat("licence ", d.licence_number(), " is already driver ",
                                 r.driver().driver_id(), " (", r.driver().name(), ") of account ",
                                 c.account_id()));
    }
  }
  std::string id;
  for (int k = 0; id.empty() || DriverOf(**account, id) != nullptr; ++k) {
    id = absl::StrCat("DR", ReadableCode(absl::StrCat("driver/", state.case_id(), "/",
                                                      state.revision() + 1, "/", k),
                                         kDriverIdChars));
  }
  Ev e;
  v1::FleetDriverAdded& added = *e.mutable_driver_added();
  added.set_account_id(c.account_id());
  *added.mutable_driver() = d;
  added.mutable_driver()->set_driver_id(id);
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> VerifyDriver(const v1::VerifyFleetDriver& c, S state, Ctx ctx) {
  const std::string role = ApproverRole(Fleet(ctx));
  if (std::find(ctx.actor.roles.begin(), ctx.actor.roles.end(), role) == ctx.actor.roles.end() &&
      ctx.actor.role != role) {
    return absl::PermissionDeniedError(absl::StrCat("verify_driver needs the ", role, " role (",
                                                    "the reference data's approver_role); ",
                                                    ctx.actor.id, " does not hold it"));
  }
  absl::StatusOr<const v1::FleetAccountState*> account =
      Account(ctx, "verify_driver.account_id", c.account_id());
  if (!account.ok()) return account.status();
  const v1::FleetDriverRecord* d = DriverOf(**account, c.driver_id());
  if (d == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("verify_driver.driver_id: account ", c.account_id(),
                                                   " has no driver ", c.driver_id()));
  }
  if (absl::Status s = CheckLicence(state, "verify_driver", ctx, d->driver()); !s.ok()) return s;
  if (d->verified()) return Events{};  // done once, for every booking
  Ev e;
  v1::FleetDriverVerified& v = *e.mutable_driver_verified();
  v.set_account_id(c.account_id());
  v.set_driver_id(c.driver_id());
  v.set_licence_valid_until(d->driver().licence_valid_until());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> SelectAccount(const v1::SelectFleetAccount& c, S state, Ctx ctx) {
  absl::StatusOr<const v1::FleetAccountState*> account =
      Account(ctx, "select_account.account_id", c.account_id());
  if (!account.ok()) return account.status();
  const v1::FleetAccountState& a = **account;
  if (!a.approved()) {
    return Refuse(state, "select_account",
                  absl::StrCat("account ", c.account_id(), " (", a.account().name(),
                               ") is not approved: approve_account first"));
  }
  if (c.account_id() == state.fleet().account_id()) return Events{};  // already selected
  Ev e;
  v1::FleetAccountSelected& s = *e.mutable_account_selected();
  s.set_account_id(c.account_id());
  s.set_account_name(a.account().name());
  if (!state.fleet().driver_id().empty()) s.add_cleared(kDriver);
  Events out{Wrap(std::move(e))};
  // The driver is only asked when the account has several.
  if (a.drivers_size() == 1 && CheckSelectable(state, "select_account", ctx, a.drivers(0)).ok()) {
    Ev d;
    v1::FleetDriverSelected& ds = *d.mutable_driver_selected();
    ds.set_driver_id(a.drivers(0).driver().driver_id());
    ds.set_driver_name(a.drivers(0).driver().name());
    ds.set_with_account(true);
    out.push_back(Wrap(std::move(d)));
  }
  return out;
}

absl::StatusOr<Events> SelectDriver(const v1::SelectFleetDriver& c, S state, Ctx ctx) {
  absl::StatusOr<const v1::FleetAccountState*> account =
      Account(ctx, "select_driver", state.fleet().account_id());
  if (!account.ok()) return account.status();
  const v1::FleetDriverRecord* d = DriverOf(**account, c.driver_id());
  if (d == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("select_driver.driver_id: account ",
                                                   state.fleet().account_id(), " has no driver ",
                                                   c.driver_id()));
  }
  if (absl::Status s = CheckSelectable(state, "select_driver", ctx, *d); !s.ok()) return s;
  if (c.driver_id() == state.fleet().driver_id()) return Events{};
  Ev e;
  v1::FleetDriverSelected& ds = *e.mutable_driver_selected();
  ds.set_driver_id(c.driver_id());
  ds.set_driver_name(d->driver().name());
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> ChooseHandover(const v1::ChooseFleetHandover& c, S state, Ctx ctx) {
  const v1::FleetHandoverMode* mode = FindHandover(Fleet(ctx), c.mode());
  if (mode == nullptr) {
    std::vector<std::string> offered;
    for (const v1::FleetHandoverMode& m : Fleet(ctx).handover_modes()) offered.push_back(m.id());
    return absl::InvalidArgumentError(absl::StrCat("choose_handover.mode: '", c.mode(),
                                                   "' is not offered; one of ",
                                                   absl::StrJoin(offered, ", ")));
  }
  if (mode->id() == state.fleet().handover_mode()) return Events{};
  Ev e;
  e.mutable_handover_chosen()->set_mode(mode->id());
  e.mutable_handover_chosen()->set_label(mode->label());
  return Events{Wrap(std::move(e))};
}

// ---- The request, and cancelling it ----

absl::StatusOr<Events> CreateBooking(const v1::CreateFleetBooking&, S state, Ctx ctx) {
  const v1::FleetBookingState& f = state.fleet();
  const absl::Time start = FromProto(f.start());
  if (start < ctx.now) {
    return Refuse(state, "create_booking",
                  absl::StrCat("the start, ", f.start_local(), ", has passed: change_start first"));
  }
  if (absl::Status s = CheckFree(state, "create_booking", ctx, f.asset().id(), start, End(f)); !s.ok()) {
    return s;
  }
  absl::StatusOr<const v1::FleetAccountState*> account =
      Account(ctx, "create_booking", f.account_id());
  if (!account.ok()) return account.status();
  const v1::FleetDriverRecord* driver = DriverOf(**account, f.driver_id());
  if (!(*account)->approved() || driver == nullptr) {
    return Refuse(state, "create_booking", "the account must be approved and the driver one of its own");
  }
  if (absl::Status s = CheckSelectable(state, "create_booking", ctx, *driver); !s.ok()) return s;
  std::string reference;
  for (int k = 0; k < FleetBookingWorkflow::kReferenceAttempts && reference.empty(); ++k) {
    const std::string candidate = FleetBookingWorkflow::BookingReferenceCandidate(state.case_id(), k);
    const v1::SharedState* taken = ctx.Shared(ReferenceStream("booking_reference", candidate));
    // Never reused: a released reference still finds its cancelled booking.
    if (taken == nullptr || !taken->exists()) reference = candidate;
  }
  if (reference.empty()) return absl::AbortedError("create_booking: no free booking reference; retry");
  Ev e;
  v1::FleetBookingRequested& r = *e.mutable_booking_requested();
  r.set_booking_reference(reference);
  r.set_asset_id(f.asset().id());
  r.set_account_id(f.account_id());
  r.set_driver_id(f.driver_id());
  *r.mutable_start() = f.start();
  *r.mutable_end() = f.options().end();
  r.set_handover_mode(f.handover_mode());
  *r.mutable_total() = f.options().billing().total();
  r.set_asset_class(f.asset().asset_class());
  r.set_account_name(f.account_name());
  r.set_driver_name(f.driver_name());
  r.set_start_local(f.start_local());
  r.set_end_local(f.options().end_local());
  *r.mutable_decided_at() = ToProto(ctx.now);
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> CancelBooking(const v1::CancelFleetBooking& c, S state, Ctx) {
  if (absl::Status s = CheckText("cancel_booking.reason", c.reason(), true, kMaxLongText); !s.ok()) {
    return s;
  }
  Ev e;
  e.mutable_booking_cancelled()->set_reason(c.reason());
  e.mutable_booking_cancelled()->set_released_asset(state.fleet().stage() ==
                                                    v1::FLEET_BOOKING_REQUESTED);
  return Events{Wrap(std::move(e))};
}

absl::StatusOr<Events> AddNote(const v1::AddFleetNote& c, S, Ctx) {
  if (absl::Status s = CheckText("add_note.text", c.text(), true, kMaxLongText); !s.ok()) return s;
  Ev e;
  e.mutable_note_added()->set_text(c.text());
  return Events{Wrap(std::move(e))};
}

const std::vector<std::string>& Desk() {
  static const auto* const kDesk = new std::vector<std::string>{kRoleAgent, kRoleSupervisor};
  return *kDesk;
}

// The wizard goes back: a choice may be made again from any later step
// before the request is created.
std::vector<Stage> From(Stage first) {
  std::vector<Stage> out;
  for (int s = first; s <= v1::FLEET_HANDOVER_CHOSEN; ++s) out.push_back(static_cast<Stage>(s));
  return out;
}

const Steps_& Table() {
  static const auto* const kSteps = new Steps_({
      .type = v1::WORKFLOW_FLEET_BOOKING,
      .closed = {v1::FLEET_BOOKING_CANCELLED},
      .steps = {
          {Cmd::kStartBooking, {v1::FLEET_STAGE_UNSPECIFIED}, Desk(),
           "a booking starts with its start date and time",
           Steps_::On(&Cmd::start_booking, &StartBooking)},
          {Cmd::kChangeStart, From(v1::FLEET_START_CHOSEN), Desk(),
           "the start changes until the request is created",
           Steps_::On(&Cmd::change_start, &ChangeStart)},
          {Cmd::kSelectAsset, From(v1::FLEET_START_CHOSEN), Desk(),
           "an asset is selected once the start is chosen, until the request is created",
           Steps_::On(&Cmd::select_asset, &SelectAsset)},
          {Cmd::kChooseOptions, From(v1::FLEET_ASSET_SELECTED), Desk(),
           "mileage, duration, promo code and extras are chosen once an asset is selected",
           Steps_::On(&Cmd::choose_options, &ChooseOptions)},
          {Cmd::kAddAccount, From(v1::FLEET_OPTIONS_CHOSEN), Desk(),
           "the customer account is searched or added after the billing summary",
           Steps_::On(&Cmd::add_account, &AddAccount)},
          {Cmd::kApproveAccount, From(v1::FLEET_OPTIONS_CHOSEN), Desk(),
           "an account is approved at the customer step",
           Steps_::On(&Cmd::approve_account, &ApproveAccount)},
          {Cmd::kSelectAccount, From(v1::FLEET_OPTIONS_CHOSEN), Desk(),
           "the customer account is selected after the billing summary",
           Steps_::On(&Cmd::select_account, &SelectAccount)},
          {Cmd::kAddDriver, From(v1::FLEET_OPTIONS_CHOSEN), Desk(),
           "drivers are added at the customer step", Steps_::On(&Cmd::add_driver, &AddDriver)},
          {Cmd::kVerifyDriver, From(v1::FLEET_OPTIONS_CHOSEN), Desk(),
           "a driver is verified against the booking's end, once the duration is chosen",
           Steps_::On(&Cmd::verify_driver, &VerifyDriver)},
          {Cmd::kSelectDriver, From(v1::FLEET_ACCOUNT_SELECTED), Desk(),
           "a driver is selected once the account is",
           Steps_::On(&Cmd::select_driver, &SelectDriver)},
          {Cmd::kChooseHandover, From(v1::FLEET_DRIVER_SELECTED), Desk(),
           "the handover mode is chosen once the driver is",
           Steps_::On(&Cmd::choose_handover, &ChooseHandover)},
          {Cmd::kCreateBooking, {v1::FLEET_HANDOVER_CHOSEN}, Desk(),
           "the request is created once start, asset, options, account, driver and handover "
           "are chosen",
           Steps_::On(&Cmd::create_booking, &CreateBooking)},
          {Cmd::kCancelBooking, Steps_::StagesBut({v1::FLEET_BOOKING_CANCELLED}), Desk(),
           "a booking is cancelled until it is", Steps_::On(&Cmd::cancel_booking, &CancelBooking)},
          {Cmd::kAddNote, Steps_::StagesBut({}), Desk(), "notes are added to a case that exists",
           Steps_::On(&Cmd::add_note, &AddNote)},
      },
  });
  return *kSteps;
}

std::string EndDay(const v1::FleetBookingState& f) { return f.options().end_local().substr(0, 10); }

}  // namespace

std::string FleetBookingWorkflow::BookingReferenceCandidate(absl::string_view case_id, int attempt) {
  return ReadableCode(absl::StrCat("booking/", case_id, "/", attempt), kBookingReferenceChars);
}

std::vector<StepDeclaration> FleetBookingWorkflow::Steps() const { return Table().Declarations(); }

absl::StatusOr<std::vector<v1::CaseEvent>> FleetBookingWorkflow::Decide(
    const v1::CaseCommand& command, const v1::CaseState& state, const DecisionContext& ctx) const {
  if (ctx.reference == nullptr) return absl::InternalError("no reference data");
  return Table().Decide(command.fleet(), state, state.fleet().stage(), ctx);
}

void FleetBookingWorkflow::Evolve(v1::CaseState& state, const v1::CaseEvent& event,
                                  const EventMeta& meta) const {
  v1::FleetBookingState& f = *state.mutable_fleet();
  const Ev& e = event.fleet();
  auto clear = [&](const google::protobuf::RepeatedPtrField<std::string>& cleared) {
    for (const std::string& what : cleared) {
      if (what == kAsset) f.clear_asset();
      if (what == kOptions) f.clear_options();
      if (what == kDriver) {
        f.clear_driver_id();
        f.clear_driver_name();
      }
    }
  };
  switch (e.event_case()) {
    case Ev::kBookingStarted:
      f.set_stage(v1::FLEET_START_CHOSEN);
      f.set_start_local(e.booking_started().start_local());
      *f.mutable_start() = e.booking_started().start();
      break;
    case Ev::kStartChanged:
      f.set_start_local(e.start_changed().start_local());
      *f.mutable_start() = e.start_changed().start();
      clear(e.start_changed().cleared());
      break;
    case Ev::kAssetSelected:
      *f.mutable_asset() = e.asset_selected().asset();
      clear(e.asset_selected().cleared());
      break;
    case Ev::kOptionsChosen:
      *f.mutable_options() = e.options_chosen();
      clear(e.options_chosen().cleared());
      f.mutable_options()->clear_cleared();
      break;
    case Ev::kAccountSelected:
      f.set_account_id(e.account_selected().account_id());
      f.set_account_name(e.account_selected().account_name());
      clear(e.account_selected().cleared());
      break;
    case Ev::kDriverSelected:
      f.set_driver_id(e.driver_selected().driver_id());
      f.set_driver_name(e.driver_selected().driver_name());
      break;
    case Ev::kHandoverChosen:
      f.set_handover_mode(e.handover_chosen().mode());
      break;
    case Ev::kBookingRequested:
      f.set_stage(v1::FLEET_BOOKING_REQUESTED);
      f.set_booking_reference(e.booking_requested().booking_reference());
      *f.mutable_requested_at() = ToProto(meta.recorded_at);
      break;
    case Ev::kBookingCancelled:
      f.set_stage(v1::FLEET_BOOKING_CANCELLED);
      *f.mutable_cancellation() = e.booking_cancelled();
      state.mutable_header()->set_cancelled(true);
      AppendNote(state, meta, e.booking_cancelled().reason());
      break;
    case Ev::kNoteAdded:
      AppendNote(state, meta, e.note_added().text());
      break;
    // Records of the account's stream; the case keeps them in its history.
    case Ev::kAccountAdded:
      f.set_added_account_id(e.account_added().account().account_id());
      break;
    case Ev::kDriverAdded:
      f.set_added_driver_id(e.driver_added().driver().driver_id());
      break;
    case Ev::kAccountApproved:
    case Ev::kDriverVerified:
    case Ev::EVENT_NOT_SET:
      break;
  }
  f.set_stage(StageOf(f));
}

bool FleetBookingWorkflow::IsClosed(const v1::CaseState& state) const {
  return Table().IsClosed(state.fleet().stage());
}

std::string FleetBookingWorkflow::CurrentStageName(const v1::CaseState& state) const {
  return Steps_::StageName(state.fleet().stage());
}

std::string FleetBookingWorkflow::ClientCompany(const v1::CaseState&) const { return ""; }

std::string FleetBookingWorkflow::CancelRule(const v1::CaseState&) const {
  return "a fleet booking is cancelled with fleet.cancel_booking, which releases its asset";
}

void FleetBookingWorkflow::FillView(const v1::CaseState& state, v1::CaseView& view) const {
  const v1::FleetBookingState& f = state.fleet();
  view.set_state(Steps_::StageName(f.stage()));
  view.set_fleet_stage(f.stage());
  view.set_open(state.exists() && !IsClosed(state));
  *view.mutable_customer() = Customer(state);
  view.set_travel_from(f.start_local().substr(0, 10));
  if (f.has_options()) view.set_travel_to(EndDay(f));
  view.set_destination(f.asset().location());
  for (std::string& name : Table().Allowed(f.stage())) view.add_allowed_commands(std::move(name));
}

bool FleetBookingWorkflow::FillReservation(const v1::CaseState& state,
                                           v1::ReservationView& view) const {
  if (!state.exists()) return false;
  const v1::FleetBookingState& f = state.fleet();
  view.set_car_class(f.asset().asset_class());
  view.set_car_model(f.asset().description());
  view.set_confirmation_number(f.booking_reference());
  v1::Place& pick_up = *view.mutable_pick_up();
  pick_up.set_location(f.asset().location());
  *pick_up.mutable_time() = f.start();
  if (f.has_options()) {
    v1::Place& drop_off = *view.mutable_drop_off();
    drop_off.set_location(f.asset().location());
    *drop_off.mutable_time() = f.options().end();
    *view.mutable_quote_amount() = f.options().billing().total();
  }
  *view.mutable_fleet() = f;
  return true;
}

std::string FleetBookingWorkflow::EventType(const v1::CaseEvent& event) const {
  const google::protobuf::FieldDescriptor* field =
      Ev::descriptor()->FindFieldByNumber(event.fleet().event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

std::string FleetBookingWorkflow::CommandName(const v1::CaseCommand& command) const {
  return Steps_::Name(command.fleet().command_case());
}

absl::Status FleetBookingWorkflow::CheckReference(const v1::ReferenceData& data) const {
  return CheckFleetReference(data.fleet());
}

std::vector<std::string> FleetBookingWorkflow::SharedStreams(const v1::CaseCommand& command,
                                                             const v1::CaseState& state,
                                                             const DecisionContext&) const {
  const Cmd& c = command.fleet();
  const v1::FleetBookingState& f = state.fleet();
  switch (c.command_case()) {
    case Cmd::kSelectAsset:
      return {AssetStream(c.select_asset().asset_id())};
    case Cmd::kChooseOptions:
      return {AssetStream(f.asset().id())};
    case Cmd::kAddAccount: {
      std::vector<std::string> out;
      for (int k = 0; k < kReferenceAttempts; ++k) out.push_back(AccountStream(AccountIdCandidate(state, k)));
      return out;
    }
    case Cmd::kApproveAccount:
      return {AccountStream(c.approve_account().account_id())};
    case Cmd::kAddDriver:
      return {AccountStream(c.add_driver().account_id())};
    case Cmd::kVerifyDriver:
      return {AccountStream(c.verify_driver().account_id())};
    case Cmd::kSelectAccount:
      return {AccountStream(c.select_account().account_id())};
    case Cmd::kSelectDriver:
      return {AccountStream(f.account_id())};
    case Cmd::kCreateBooking: {
      std::vector<std::string> out = {AssetStream(f.asset().id()), AccountStream(f.account_id())};
      for (int k = 0; k < kReferenceAttempts; ++k) {
        out.push_back(ReferenceStream("booking_reference", BookingReferenceCandidate(state.case_id(), k)));
      }
      return out;
    }
    case Cmd::kCancelBooking:
      if (f.stage() == v1::FLEET_BOOKING_REQUESTED) return {AssetStream(f.asset().id())};
      return {};
    default:
      return {};
  }
}

std::vector<SharedAppend> FleetBookingWorkflow::SharedEffects(const v1::CaseState& state,
                                                              const v1::CaseEvent& event) const {
  const Ev& e = event.fleet();
  SharedAppend out;
  switch (e.event_case()) {
    case Ev::kAccountAdded:
      out.stream = AccountStream(e.account_added().account().account_id());
      *out.event.mutable_fleet_account()->mutable_added() = e.account_added();
      break;
    case Ev::kAccountApproved:
      out.stream = AccountStream(e.account_approved().account_id());
      *out.event.mutable_fleet_account()->mutable_approved() = e.account_approved();
      break;
    case Ev::kDriverAdded:
      out.stream = AccountStream(e.driver_added().account_id());
      *out.event.mutable_fleet_account()->mutable_driver_added() = e.driver_added();
      break;
    case Ev::kDriverVerified:
      out.stream = AccountStream(e.driver_verified().account_id());
      *out.event.mutable_fleet_account()->mutable_driver_verified() = e.driver_verified();
      break;
    case Ev::kBookingRequested: {
      const v1::FleetBookingRequested& r = e.booking_requested();
      out.stream = AssetStream(r.asset_id());
      v1::FleetAssetHeld& h = *out.event.mutable_fleet_asset()->mutable_held();
      h.set_case_id(state.case_id());
      h.set_booking_reference(r.booking_reference());
      *h.mutable_start() = r.start();
      *h.mutable_end() = r.end();
      *h.mutable_decided_at() = r.decided_at();
      break;
    }
    case Ev::kBookingCancelled:
      if (!e.booking_cancelled().released_asset()) return {};
      out.stream = AssetStream(state.fleet().asset().id());
      out.event.mutable_fleet_asset()->mutable_released()->set_case_id(state.case_id());
      break;
    default:
      return {};
  }
  return {std::move(out)};
}

void FleetBookingWorkflow::EvolveShared(v1::SharedState& state, const v1::SharedEvent& event) const {
  if (event.has_fleet_asset()) {
    v1::FleetAssetState& asset = *state.mutable_fleet_asset();
    const v1::FleetAssetEvent& e = event.fleet_asset();
    if (e.has_held()) {
      auto* holds = asset.mutable_holds();
      // A booking decided from now on starts now or later: holds over by
      // now can never overlap one, so the state stays the size of the
      // asset's future, not its history.
      const absl::Time decided = FromProto(e.held().decided_at());
      holds->erase(std::remove_if(holds->begin(), holds->end(),
                                  [&](const v1::FleetAssetHeld& h) { return FromProto(h.end()) <= decided; }),
                   holds->end());
      *holds->Add() = e.held();
      std::sort(holds->begin(), holds->end(), [](const auto& a, const auto& b) {
        return FromProto(a.start()) < FromProto(b.start());
      });
    } else if (e.has_released()) {
      auto* holds = asset.mutable_holds();
      holds->erase(std::remove_if(holds->begin(), holds->end(),
                                  [&](const v1::FleetAssetHeld& h) {
                                    return h.case_id() == e.released().case_id();
                                  }),
                   holds->end());
    }
    return;
  }
  v1::FleetAccountState& account = *state.mutable_fleet_account();
  const v1::FleetAccountEvent& e = event.fleet_account();
  switch (e.event_case()) {
    case v1::FleetAccountEvent::kAdded:
      *account.mutable_account() = e.added().account();
      break;
    case v1::FleetAccountEvent::kApproved:
      account.set_approved(true);
      break;
    case v1::FleetAccountEvent::kDriverAdded:
      *account.add_drivers()->mutable_driver() = e.driver_added().driver();
      break;
    case v1::FleetAccountEvent::kDriverVerified:
      for (v1::FleetDriverRecord& d : *account.mutable_drivers()) {
        if (d.driver().driver_id() == e.driver_verified().driver_id()) d.set_verified(true);
      }
      break;
    case v1::FleetAccountEvent::EVENT_NOT_SET:
      break;
  }
}

std::string FleetBookingWorkflow::SharedEventType(const v1::SharedEvent& event) const {
  const google::protobuf::FieldDescriptor* field =
      event.has_fleet_asset()
          ? v1::FleetAssetEvent::descriptor()->FindFieldByNumber(event.fleet_asset().event_case())
          : v1::FleetAccountEvent::descriptor()->FindFieldByNumber(event.fleet_account().event_case());
  return field != nullptr ? field->message_type()->name() : "Unknown";
}

}  // namespace tripdesk::workflows::fleet
