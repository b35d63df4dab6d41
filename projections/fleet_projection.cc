#include "projections/fleet_projection.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "projections/queries.h"
#include "projections/search_text.h"
#include "workflows/streams.h"
#include "workflows/validation.h"

namespace tripdesk::projections {
namespace {

// Instants as fixed-width microseconds, so keys sort by time.
std::string TimeKey(absl::Time t) { return absl::StrFormat("%020d", absl::ToUnixMicros(t)); }

std::vector<std::string> BookingKeys(absl::string_view case_id, const v1::FleetBookingRow& row) {
  if (row.booking_reference().empty()) return {};
  const std::string start = TimeKey(workflows::FromProto(row.start()));
  return {absl::StrCat("s|", start, "|", case_id),
          absl::StrCat("a|", row.asset_id(), "|", start, "|", case_id),
          absl::StrCat("c|", row.account_id(), "|", start, "|", case_id)};
}

std::vector<std::string> AccountKeys(absl::string_view account_id, const v1::FleetAccountRow& row) {
  std::vector<std::string> keys;
  if (row.account().account_id().empty()) return keys;
  if (!row.approved()) keys.push_back(absl::StrCat("w|", account_id));
  if (std::any_of(row.drivers().begin(), row.drivers().end(),
                  [](const v1::FleetDriverRecord& d) { return !d.verified(); })) {
    keys.push_back(absl::StrCat("d|", account_id));
  }
  for (const std::string& text : {row.account().name(), row.account().company()}) {
    for (const std::string& word : SearchWords(text)) {
      std::string key = absl::StrCat("n|", word, "|", account_id);
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
    }
  }
  if (!row.account().email().empty()) {
    keys.push_back(absl::StrCat("n|", FoldForSearch(row.account().email()), "|", account_id));
  }
  return keys;
}

template <typename Row>
absl::Status Parse(absl::string_view value, Row& row) {
  if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return absl::DataLossError("views: a fleet row does not decode");
  }
  return absl::OkStatus();
}

// The instant a local date (plus `days`) starts in the fleet's zone.
absl::StatusOr<absl::Time> DayStart(absl::string_view field, const std::string& date,
                                    const v1::FleetReference& fleet, int days = 0) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(date, &day)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", date, "' is not a date as YYYY-MM-DD"));
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(fleet.zone(), &zone)) zone = absl::UTCTimeZone();
  return zone.At(day + days).pre;
}

}  // namespace

FleetProjection::FleetProjection()
    : bookings_(kFleetBookingsFamily, BookingKeys), accounts_(kFleetAccountsFamily, AccountKeys) {}

absl::Status FleetProjection::Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                                    ViewTxn& txn) {
  if (!event.has_fleet()) return absl::OkStatus();
  const v1::FleetBookingEvent& e = event.fleet();
  const absl::string_view case_id = workflows::CaseIdOfStream(record.stream());
  // The account a record is about, when it is about one.
  std::string account_id;
  switch (e.event_case()) {
    case v1::FleetBookingEvent::kAccountAdded:
      account_id = e.account_added().account().account_id();
      break;
    case v1::FleetBookingEvent::kAccountApproved:
      account_id = e.account_approved().account_id();
      break;
    case v1::FleetBookingEvent::kDriverAdded:
      account_id = e.driver_added().account_id();
      break;
    case v1::FleetBookingEvent::kDriverVerified:
      account_id = e.driver_verified().account_id();
      break;
    default:
      break;
  }
  if (!account_id.empty()) {
    absl::StatusOr<RowCache<v1::FleetAccountRow>::Entry*> entry = accounts_.Get(txn, account_id);
    if (!entry.ok()) return entry.status();
    v1::FleetAccountRow& row = (*entry)->row;
    if (e.has_account_added()) {
      *row.mutable_account() = e.account_added().account();
    } else if (e.has_account_approved()) {
      row.set_approved(true);
    } else if (e.has_driver_added()) {
      *row.add_drivers()->mutable_driver() = e.driver_added().driver();
    } else {
      for (v1::FleetDriverRecord& d : *row.mutable_drivers()) {
        if (d.driver().driver_id() == e.driver_verified().driver_id()) d.set_verified(true);
      }
    }
    return absl::OkStatus();
  }
  // Only a created request has a row; a wizard cancelled before it has none.
  const bool requested = e.has_booking_requested();
  if (!requested && !(e.has_booking_cancelled() && e.booking_cancelled().released_asset())) {
    return absl::OkStatus();
  }
  absl::StatusOr<RowCache<v1::FleetBookingRow>::Entry*> entry = bookings_.Get(txn, case_id);
  if (!entry.ok()) return entry.status();
  v1::FleetBookingRow& row = (*entry)->row;
  if (requested) {
    const v1::FleetBookingRequested& r = e.booking_requested();
    row.set_case_id(std::string(case_id));
    row.set_booking_reference(r.booking_reference());
    row.set_asset_id(r.asset_id());
    row.set_asset_class(r.asset_class());
    row.set_account_id(r.account_id());
    row.set_account_name(r.account_name());
    row.set_driver_id(r.driver_id());
    row.set_driver_name(r.driver_name());
    *row.mutable_start() = r.start();
    *row.mutable_end() = r.end();
    row.set_start_local(r.start_local());
    row.set_end_local(r.end_local());
    row.set_handover_mode(r.handover_mode());
    *row.mutable_total() = r.total();
    row.set_status(v1::FLEET_BOOKING_REQUESTED);
  } else {
    row.set_status(v1::FLEET_BOOKING_CANCELLED);
  }
  return absl::OkStatus();
}

absl::Status FleetProjection::Flush(ViewTxn& txn) {
  if (absl::Status s = bookings_.Flush(
          txn, [&](const std::string& case_id, RowCache<v1::FleetBookingRow>::Entry& e) {
            RowCache<v1::FleetBookingRow>::ReplaceKeys(txn, kFleetBookingIndexFamily, e,
                                                       BookingKeys(case_id, e.row),
                                                       e.row.SerializeAsString());
            return absl::OkStatus();
          });
      !s.ok()) {
    return s;
  }
  return accounts_.Flush(txn, [&](const std::string& id, RowCache<v1::FleetAccountRow>::Entry& e) {
    RowCache<v1::FleetAccountRow>::ReplaceKeys(txn, kFleetAccountIndexFamily, e, AccountKeys(id, e.row),
                                               "", /*value_changes=*/false);
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::ListFleetBookingsResponse> FleetQueries::ListBookings(
    const v1::ListFleetBookingsRequest& request, const v1::FleetReference& fleet) const {
  absl::StatusOr<uint32_t> page = PageSize(request.page_size());
  if (!page.ok()) return page.status();
  const std::string prefix =
      !request.asset_id().empty()     ? absl::StrCat("a|", request.asset_id(), "|")
      : !request.account_id().empty() ? absl::StrCat("c|", request.account_id(), "|")
                                      : std::string("s|");
  std::string from = prefix;
  std::string to;
  if (!request.from_date().empty()) {
    absl::StatusOr<absl::Time> t = DayStart("from_date", request.from_date(), fleet);
    if (!t.ok()) return t.status();
    from = absl::StrCat(prefix, TimeKey(*t));
  }
  if (!request.to_date().empty()) {
    // Through the end of to_date: before the next day's start.
    absl::StatusOr<absl::Time> t = DayStart("to_date", request.to_date(), fleet, 1);
    if (!t.ok()) return t.status();
    to = absl::StrCat(prefix, TimeKey(*t));
  }
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> after = DecodeToken(request.page_token(), prefix);
    if (!after.ok()) return after.status();
    from = std::max(from, *after + '\x01');
  }
  v1::ListFleetBookingsResponse response;
  absl::Status failure;
  std::string last;
  absl::Status scan = views_->Scan(
      family_(kFleetBookingIndexFamily), prefix, from, [&](absl::string_view key, absl::string_view value) {
        if (!to.empty() && key >= to) return false;
        v1::FleetBookingRow row;
        if (failure = Parse(value, row); !failure.ok()) return false;
        if (!request.account_id().empty() && row.account_id() != request.account_id()) return true;
        if (response.bookings_size() == static_cast<int>(*page)) {
          response.set_next_page_token(absl::WebSafeBase64Escape(last));
          return false;
        }
        *response.add_bookings() = std::move(row);
        last = std::string(key);
        return true;
      });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  return response;
}

absl::StatusOr<v1::FleetAssetAvailabilityResponse> FleetQueries::Availability(
    const v1::FleetAssetAvailabilityRequest& request, const v1::FleetReference& fleet) const {
  if (request.from_date().empty() || request.to_date().empty()) {
    return absl::InvalidArgumentError("from_date, to_date: both are required, YYYY-MM-DD");
  }
  if (request.to_date() < request.from_date()) {
    return absl::InvalidArgumentError(absl::StrCat("to_date: ", request.to_date(), " is before from_date ",
                                                   request.from_date()));
  }
  absl::StatusOr<absl::Time> from = DayStart("from_date", request.from_date(), fleet);
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::Time> next_day = DayStart("to_date", request.to_date(), fleet, 1);
  if (!next_day.ok()) return next_day.status();
  const absl::Time to = *next_day;
  bool known_class = request.asset_class().empty();
  v1::FleetAssetAvailabilityResponse response;
  for (const v1::FleetAsset& asset : fleet.assets()) {
    if (!request.asset_class().empty() && asset.asset_class() != request.asset_class()) continue;
    known_class = true;
    v1::FleetAssetAvailability& a = *response.add_assets();
    *a.mutable_asset() = asset;
    // Holds never overlap, so by start they are also by end; one booking
    // lasts at most 366 days.
    const std::string prefix = absl::StrCat("a|", asset.id(), "|");
    absl::Status failure;
    absl::Status scan = views_->Scan(
        family_(kFleetBookingIndexFamily), prefix,
        absl::StrCat(prefix, TimeKey(*from - absl::Hours(24 * 366))),
        [&](absl::string_view, absl::string_view value) {
          v1::FleetBookingRow row;
          if (failure = Parse(value, row); !failure.ok()) return false;
          if (workflows::FromProto(row.start()) >= to) return false;
          if (row.status() == v1::FLEET_BOOKING_REQUESTED && workflows::FromProto(row.end()) > *from) {
            *a.add_bookings() = std::move(row);
          }
          return true;
        });
    if (!scan.ok()) return scan;
    if (!failure.ok()) return failure;
    a.set_free(a.bookings().empty());
  }
  if (!known_class) {
    return absl::InvalidArgumentError(
        absl::StrCat("asset_class: no asset of the fleet is of class '", request.asset_class(), "'"));
  }
  return response;
}

absl::StatusOr<v1::ListFleetAccountsResponse> FleetQueries::ListAccounts(
    const v1::ListFleetAccountsRequest& request) const {
  absl::StatusOr<uint32_t> page = PageSize(request.page_size());
  if (!page.ok()) return page.status();
  if (absl::Status s = workflows::CheckText("search", request.search(), false); !s.ok()) return s;
  const std::vector<std::string> words = SearchWords(request.search());
  // One index serves the request; the account's row answers the rest.
  std::string family = family_(kFleetAccountsFamily);
  std::string prefix;
  if (request.awaiting_approval()) {
    family = family_(kFleetAccountIndexFamily);
    prefix = "w|";
  } else if (request.drivers_awaiting_verification()) {
    family = family_(kFleetAccountIndexFamily);
    prefix = "d|";
  } else if (!words.empty()) {
    family = family_(kFleetAccountIndexFamily);
    prefix = absl::StrCat("n|", words[0], "|");
  }
  std::string from = prefix;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> after = DecodeToken(request.page_token(), prefix);
    if (!after.ok()) return after.status();
    from = *after + '\x01';
  }
  v1::ListFleetAccountsResponse response;
  absl::Status failure;
  std::string last;
  absl::Status scan = views_->Scan(family, prefix, from, [&](absl::string_view key, absl::string_view value) {
    v1::FleetAccountRow row;
    if (prefix.empty()) {
      failure = Parse(value, row);
    } else {
      const std::string id(key.substr(key.rfind('|') + 1));
      absl::StatusOr<std::optional<std::string>> stored = views_->Get(family_(kFleetAccountsFamily), id);
      failure = !stored.ok() ? stored.status()
                : stored->has_value() ? Parse(**stored, row)
                                      : absl::DataLossError("views: an indexed fleet account has no row");
    }
    if (!failure.ok()) return false;
    const bool drivers_waiting = std::any_of(row.drivers().begin(), row.drivers().end(),
                                             [](const v1::FleetDriverRecord& d) { return !d.verified(); });
    if ((request.awaiting_approval() && row.approved()) ||
        (request.drivers_awaiting_verification() && !drivers_waiting)) {
      return true;
    }
    const std::vector<std::string> keys = AccountKeys(row.account().account_id(), row);
    for (const std::string& w : words) {
      const std::string want = absl::StrCat("n|", w, "|", row.account().account_id());
      if (std::find(keys.begin(), keys.end(), want) == keys.end()) return true;
    }
    if (response.accounts_size() == static_cast<int>(*page)) {
      response.set_next_page_token(absl::WebSafeBase64Escape(last));
      return false;
    }
    *response.add_accounts() = std::move(row);
    last = std::string(key);
    return true;
  });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  return response;
}

}  // namespace tripdesk::projections
