// tripdesk fleet bookings|availability|accounts: the fleet's views, their
// filters given as the request's fields (--asset_id=VAN-01 --from_date=...).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "tools/cli/case_commands.h"
#include "tools/cli/field_flags.h"
#include "tools/cli/output.h"
#include "tripdesk/v1/cases.grpc.pb.h"
#include "workflows/money.h"

namespace tripdesk::cli {
namespace {

// Fills `request` from the words, calls `rpc`, and prints with `print`.
template <typename Request, typename Response, typename Print>
int Query(const Context& ctx,
          grpc::Status (v1::CaseService::Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
          Print print) {
  Request request;
  if (absl::Status s = SetFields(ctx.fields, request); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  auto stub = v1::CaseService::NewStub(ctx.channel);
  grpc::ClientContext context;
  SetDeadline(context);
  Response response;
  grpc::Status status = ((*stub).*rpc)(&context, request, &response);
  if (!status.ok()) return Fail(status);
  if (ctx.json) {
    std::cout << ToJsonLine(response) << "\n";
    return 0;
  }
  print(response);
  return 0;
}

void AddBooking(Table& t, const v1::FleetBookingRow& b) {
  t.Add({b.booking_reference(), b.asset_id(), b.account_name(), b.driver_name(), b.start_local(),
         b.end_local(), b.handover_mode(), workflows::FormatMoney(b.total()),
         b.status() == v1::FLEET_BOOKING_CANCELLED ? "cancelled" : "requested", b.case_id()});
}

}  // namespace

int FleetBookings(const Context& ctx, const Args&) {
  return Query(ctx, &v1::CaseService::Stub::ListFleetBookings,
               [](const v1::ListFleetBookingsResponse& r) {
                 Table t({"REFERENCE", "ASSET", "ACCOUNT", "DRIVER", "START", "END", "HANDOVER",
                          "TOTAL", "STATUS", "CASE"});
                 for (const v1::FleetBookingRow& b : r.bookings()) AddBooking(t, b);
                 std::cout << t.Render();
                 if (!r.next_page_token().empty()) {
                   std::cerr << "more: --page_token=" << r.next_page_token() << "\n";
                 }
               });
}

int FleetAvailability(const Context& ctx, const Args&) {
  return Query(ctx, &v1::CaseService::Stub::GetFleetAvailability,
               [](const v1::FleetAssetAvailabilityResponse& r) {
                 Table t({"ASSET", "CLASS", "LOCATION", "FREE", "HELD BY"});
                 for (const v1::FleetAssetAvailability& a : r.assets()) {
                   std::string held;
                   for (const v1::FleetBookingRow& b : a.bookings()) {
                     absl::StrAppend(&held, held.empty() ? "" : ", ", b.booking_reference(), " ",
                                     b.start_local(), "..", b.end_local());
                   }
                   t.Add({a.asset().id(), a.asset().asset_class(), a.asset().location(),
                          a.free() ? "yes" : "no", held});
                 }
                 std::cout << t.Render();
               });
}

int FleetAccounts(const Context& ctx, const Args&) {
  return Query(ctx, &v1::CaseService::Stub::ListFleetAccounts,
               [](const v1::ListFleetAccountsResponse& r) {
                 Table t({"ACCOUNT", "NAME", "COMPANY", "APPROVED", "DRIVERS"});
                 for (const v1::FleetAccountRow& a : r.accounts()) {
                   std::string drivers;
                   for (const v1::FleetDriverRecord& d : a.drivers()) {
                     absl::StrAppend(&drivers, drivers.empty() ? "" : ", ", d.driver().name(), " (",
                                     d.driver().driver_id(), d.verified() ? ", verified)" : ", unverified)");
                   }
                   t.Add({a.account().account_id(), a.account().name(), a.account().company(),
                          a.approved() ? "yes" : "no", drivers});
                 }
                 std::cout << t.Render();
                 if (!r.next_page_token().empty()) {
                   std::cerr << "more: --page_token=" << r.next_page_token() << "\n";
                 }
               });
}

}  // namespace tripdesk::cli
