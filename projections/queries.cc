#include "projections/queries.h"

#include "absl/time/civil_time.h"
#include "projections/unit_rental_projection.h"
#include "workflows/rv/rv_workflow.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "projections/case_projection.h"
#include "projections/reservation_projection.h"
#include "projections/tracker_projection.h"
#include "workflows/validation.h"

namespace tripdesk::projections {
namespace {

absl::StatusOr<uint32_t> PageSize(uint32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", requested, " is above the maximum of ", kMaxPageSize));
  }
  return requested;
}

// Page tokens are the last key returned, opaque to clients.
absl::StatusOr<std::string> DecodeToken(absl::string_view token, absl::string_view prefix) {
  std::string key;
  if (!absl::WebSafeBase64Unescape(token, &key) || !absl::StartsWith(key, prefix)) {
    return absl::InvalidArgumentError(
        "page_token: not a token from this listing; repeat the request without it");
  }
  return key;
}

absl::Status CheckDate(absl::string_view field, absl::string_view date) {
  absl::Time t;
  std::string error;
  if (!date.empty() && (date.size() != 10 || !absl::ParseTime("%Y-%m-%d", std::string(date),
                                                              absl::UTCTimeZone(), &t, &error))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", date, "' is not a date as YYYY-MM-DD"));
  }
  return absl::OkStatus();
}

// Stop examining rows after this many per returned row: a selective filter
// on a large view returns a short page and a token rather than scan it all.
constexpr size_t kScanFactor = 20;

}  // namespace

absl::StatusOr<v1::CaseState> CaseQueries::LoadState(absl::string_view case_id) const {
  if (absl::Status s = workflows::CheckCaseId(case_id); !s.ok()) return s;
  absl::StatusOr<std::optional<std::string>> stored = views_->Get(family_(kCaseStateFamily), case_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat("case ", case_id, " does not exist"));
  }
  v1::CaseState state;
  if (!state.ParseFromString(**stored)) {
    return absl::DataLossError(absl::StrCat("views: case state of ", case_id, " does not decode"));
  }
  return state;
}

absl::StatusOr<v1::CaseView> CaseQueries::GetCase(absl::string_view case_id) const {
  absl::StatusOr<v1::CaseState> state = LoadState(case_id);
  if (!state.ok()) return state.status();
  return registry_.View(*state);
}

absl::StatusOr<v1::ListCasesResponse> CaseQueries::ListCases(
    const v1::ListCasesRequest& request) const {
  absl::StatusOr<uint32_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  if (request.workflow() != v1::WORKFLOW_UNSPECIFIED && !v1::Workflow_IsValid(request.workflow())) {
    std::vector<std::string> names;
    const google::protobuf::EnumDescriptor* d = v1::Workflow_descriptor();
    for (int i = 1; i < d->value_count(); ++i) names.push_back(d->value(i)->name());
    return absl::InvalidArgumentError(absl::StrCat("workflow: ", request.workflow(),
                                                   " is not a workflow; one of ",
                                                   absl::StrJoin(names, ", ")));
  }
  for (const auto& [field, value] : {std::pair{"state", request.state()},
                                     std::pair{"queue", request.queue()},
                                     std::pair{"assigned_agent", request.assigned_agent()}}) {
    if (absl::Status s = workflows::CheckText(field, value, false); !s.ok()) return s;
  }
  if (!request.state().empty()) {
    if (absl::Status s = registry_.CheckStageName(request.workflow(), request.state()); !s.ok()) {
      return s;
    }
  }
  // The most selective index the request allows; the other filters are
  // checked on each case.
  std::string prefix;
  if (!request.state().empty()) {
    prefix = CaseIndexPrefix('s', request.state());
  } else if (!request.assigned_agent().empty()) {
    prefix = CaseIndexPrefix('a', request.assigned_agent());
  } else if (!request.queue().empty()) {
    prefix = CaseIndexPrefix('q', request.queue());
  } else if (request.workflow() != v1::WORKFLOW_UNSPECIFIED) {
    prefix = CaseIndexPrefix('w', v1::Workflow_Name(request.workflow()));
  } else {
    prefix = CaseIndexPrefix('u', "");
  }
  std::string start = prefix;
  std::string skip;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> key = DecodeToken(request.page_token(), prefix);
    if (!key.ok()) return key.status();
    start = skip = *key;
  }
  const bool since = request.has_updated_since();
  const absl::Time updated_since = workflows::FromProto(request.updated_since());

  v1::ListCasesResponse response;
  absl::Status failure;
  std::string last_key;
  size_t examined = 0;
  bool more = false;
  absl::Status scan = views_->Scan(
      family_(kCaseIndexFamily), prefix, start, [&](absl::string_view key, absl::string_view) {
        if (key == skip) return true;
        if (response.cases_size() >= static_cast<int>(*page_size) ||
            examined >= kScanFactor * *page_size) {
          more = true;
          return false;
        }
        ++examined;
        last_key = std::string(key);
        absl::StatusOr<v1::CaseView> view = GetCase(CaseIdOfIndexKey(key));
        if (!view.ok()) {
          failure = view.status();
          return false;
        }
        if (since && workflows::FromProto(view->updated_at()) < updated_since) {
          return false;  // the index is newest first: the rest are older
        }
        if ((!request.state().empty() && view->state() != request.state()) ||
            (!request.queue().empty() && view->queue() != request.queue()) ||
            (!request.assigned_agent().empty() &&
             view->assigned_agent() != request.assigned_agent()) ||
            (request.workflow() != v1::WORKFLOW_UNSPECIFIED &&
             view->workflow() != request.workflow())) {
          return true;
        }
        *response.add_cases() = *std::move(view);
        return true;
      });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  if (more && !last_key.empty()) {
    response.set_next_page_token(absl::WebSafeBase64Escape(last_key));
  }
  return response;
}

absl::StatusOr<v1::ListNotesResponse> CaseQueries::ListNotes(const v1::ListNotesRequest& request) const {
  absl::StatusOr<uint32_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<v1::CaseState> state = LoadState(request.case_id());
  if (!state.ok()) return state.status();
  const std::string prefix = CaseNotesPrefix(request.case_id());
  std::string start = prefix;
  std::string skip;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> key = DecodeToken(request.page_token(), prefix);
    if (!key.ok()) return key.status();
    start = skip = *key;
  }
  v1::ListNotesResponse response;
  response.set_note_count(state->header().note_count());
  absl::Status failure;
  std::string last_key;
  bool more = false;
  absl::Status scan = views_->Scan(
      family_(kCaseNotesFamily), prefix, start, [&](absl::string_view key, absl::string_view value) {
        if (key == skip) return true;
        if (response.notes_size() >= static_cast<int>(*page_size)) {
          more = true;
          return false;
        }
        if (!response.add_notes()->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          failure = absl::DataLossError(absl::StrCat("a note of case ", request.case_id(),
                                                     " does not decode; rebuild the views"));
          return false;
        }
        last_key = std::string(key);
        return true;
      });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  if (more && !last_key.empty()) response.set_next_page_token(absl::WebSafeBase64Escape(last_key));
  return response;
}

absl::StatusOr<v1::ReservationView> CaseQueries::GetReservation(absl::string_view case_id) const {
  if (absl::Status s = workflows::CheckCaseId(case_id); !s.ok()) return s;
  absl::StatusOr<std::optional<std::string>> stored = views_->Get(family_(kReservationFamily), case_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    // An RV case's reservation and RA are read from its folded state.
    absl::StatusOr<v1::CaseState> state = LoadState(case_id);
    if (state.ok() && state->workflow() == v1::WORKFLOW_RV_RENTAL) {
      v1::ReservationView view;
      view.set_case_id(std::string(case_id));
      view.set_revision(state->revision());
      view.set_car_class(state->rv().reservation().class_code());
      *view.mutable_rv() = workflows::rv::RvRentalWorkflow::Detail(state->rv());
      return view;
    }
    if (!state.ok() && state.status().code() != absl::StatusCode::kNotFound) return state.status();
    return absl::NotFoundError(absl::StrCat("case ", case_id, " has no reservation"));
  }
  v1::ReservationView view;
  if (!view.ParseFromString(**stored)) {
    return absl::DataLossError(absl::StrCat("views: reservation of ", case_id, " does not decode"));
  }
  return view;
}

absl::StatusOr<v1::ListAvailableUnitsResponse> CaseQueries::ListAvailableUnits(
    const v1::ListAvailableUnitsRequest& request, const v1::RvReference& rv) const {
  absl::CivilDay from;
  absl::CivilDay to;
  if (!absl::ParseCivilTime(request.from_date(), &from) ||
      !absl::ParseCivilTime(request.to_date(), &to)) {
    return absl::InvalidArgumentError("from_date, to_date: both are required, YYYY-MM-DD");
  }
  if (to < from) return absl::InvalidArgumentError("to_date: is before from_date");
  if (request.class_code().empty()) return absl::InvalidArgumentError("class_code: is required");
  const std::string from_s = absl::FormatCivilTime(from);
  const std::string to_s = absl::FormatCivilTime(to);
  v1::ListAvailableUnitsResponse response;
  bool known_class = false;
  for (const v1::RvVehicleClass& c : rv.classes()) known_class |= c.code() == request.class_code();
  if (!known_class) {
    return absl::InvalidArgumentError(
        absl::StrCat("class_code: '", request.class_code(), "' is not a vehicle class"));
  }
  for (const v1::RvUnit& unit : rv.units()) {
    if (unit.class_code() != request.class_code()) continue;
    bool busy = false;
    absl::Status failure;
    absl::Status scan = views_->Scan(
        family_(kUnitRentalFamily), absl::StrCat(unit.vehicle_number(), "|"), "",
        [&](absl::string_view, absl::string_view value) {
          v1::UnitRentalRow row;
          if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            failure = absl::DataLossError("views: a unit rental row does not decode");
            return false;
          }
          // ISO dates compare as strings.
          busy = row.from_date() <= to_s && row.to_date() >= from_s;
          return !busy;
        });
    if (!scan.ok()) return scan;
    if (!failure.ok()) return failure;
    if (busy) continue;
    v1::AvailableUnit* free = response.add_units();
    free->set_vehicle_number(unit.vehicle_number());
    free->set_class_code(unit.class_code());
    free->set_location(unit.home_location());
  }
  return response;
}

absl::StatusOr<v1::ListTrackerRowsResponse> CaseQueries::ListTrackerRows(
    const v1::ListTrackerRowsRequest& request) const {
  absl::StatusOr<uint32_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  if (absl::Status s = CheckDate("from_date", request.from_date()); !s.ok()) return s;
  if (absl::Status s = CheckDate("to_date", request.to_date()); !s.ok()) return s;
  if (!request.from_date().empty() && !request.to_date().empty() &&
      request.from_date() > request.to_date()) {
    return absl::InvalidArgumentError(absl::StrCat("from_date: ", request.from_date(),
                                                   " is after to_date ", request.to_date()));
  }
  if (absl::Status s = workflows::CheckText("client_company", request.client_company(), false);
      !s.ok()) {
    return s;
  }
  std::string start = request.from_date();
  std::string skip;
  if (!request.page_token().empty()) {
    absl::StatusOr<std::string> key = DecodeToken(request.page_token(), "");
    if (!key.ok()) return key.status();
    start = skip = *key;
  }
  // Keys are date|case; everything of to_date sorts before to_date + "}".
  const std::string end = request.to_date().empty() ? "" : absl::StrCat(request.to_date(), "}");
  v1::ListTrackerRowsResponse response;
  absl::Status failure;
  std::string last_key;
  size_t examined = 0;
  bool more = false;
  absl::Status scan = views_->Scan(
      family_(kTrackerRowFamily), "", start, [&](absl::string_view key, absl::string_view value) {
        if (key == skip) return true;
        if (!end.empty() && key >= end) return false;
        if (response.rows_size() >= static_cast<int>(*page_size) ||
            examined >= kScanFactor * *page_size) {
          more = true;
          return false;
        }
        ++examined;
        last_key = std::string(key);
        v1::TrackerRow row;
        if (!row.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          failure = absl::DataLossError(absl::StrCat("views: tracker row ", key, " does not decode"));
          return false;
        }
        if (request.client_company().empty() || row.client_company() == request.client_company()) {
          *response.add_rows() = std::move(row);
        }
        return true;
      });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  if (more && !last_key.empty()) response.set_next_page_token(absl::WebSafeBase64Escape(last_key));
  return response;
}

}  // namespace tripdesk::projections
