#include "projections/queries.h"

#include <functional>

#include "absl/time/civil_time.h"
#include "projections/unit_rental_projection.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "projections/case_projection.h"
#include "projections/search_text.h"
#include "projections/tracker_projection.h"
#include "workflows/validation.h"

namespace tripdesk::projections {

absl::StatusOr<uint32_t> PageSize(uint32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", requested, " is above the maximum of ", kMaxPageSize));
  }
  return requested;
}

absl::StatusOr<std::string> DecodeToken(absl::string_view token, absl::string_view prefix) {
  std::string key;
  if (!absl::WebSafeBase64Unescape(token, &key) || !absl::StartsWith(key, prefix)) {
    return absl::InvalidArgumentError(
        "page_token: not a token from this listing; repeat the request without it");
  }
  return key;
}

namespace {

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

// ListCases' filters: which index serves a request, and whether a case
// matches the rest.
class CaseFilter {
 public:
  explicit CaseFilter(const v1::ListCasesRequest& r)
      : r_(r),
        customer_(SearchWords(r.customer())),
        customer_folded_(FoldForSearch(r.customer())),
        company_(FoldForSearch(r.client_company())),
        reference_(FoldForSearch(r.reference())),
        destination_(FoldForSearch(r.destination())),
        tag_(FoldForSearch(r.tag())) {}

  bool ByTravelDates() const { return IndexPrefix() == "f|"; }
  // Whether the index serving the request lists the most recently updated
  // first (listings) rather than by value and case id (search).
  bool NewestFirst() const { return std::string("uswaqo").find(IndexPrefix()[0]) != std::string::npos; }

  // The index, most selective first.
  std::string IndexPrefix() const {
    if (!reference_.empty()) return CaseIndexPrefix('r', reference_);
    if (!customer_.empty()) {
      return CaseIndexPrefix('n', customer_folded_.find('@') != std::string::npos ? customer_folded_
                                                                                   : customer_[0]);
    }
    if (!tag_.empty()) return CaseIndexPrefix('t', tag_);
    if (!company_.empty()) return CaseIndexPrefix('c', company_);
    if (!destination_.empty()) return CaseIndexPrefix('d', destination_);
    if (!r_.assigned_agent().empty()) return CaseIndexPrefix('a', r_.assigned_agent());
    if (!r_.queue().empty()) return CaseIndexPrefix('q', r_.queue());
    if (r_.waiting_on_customer()) return CaseIndexPrefix('o', "");
    if (!r_.state().empty()) return CaseIndexPrefix('s', r_.state());
    if (!r_.travel_from().empty() || !r_.travel_to().empty()) return "f|";
    if (r_.priority() != v1::CASE_PRIORITY_UNSPECIFIED) {
      return CaseIndexPrefix('p', v1::CasePriority_Name(r_.priority()));
    }
    if (r_.workflow() != v1::WORKFLOW_UNSPECIFIED) {
      return CaseIndexPrefix('w', v1::Workflow_Name(r_.workflow()));
    }
    return CaseIndexPrefix('u', "");
  }

  bool Matches(const v1::CaseView& v) const {
    if (!r_.state().empty() && v.state() != r_.state()) return false;
    if (r_.waiting_on_customer() && !v.waiting_on_customer()) return false;
    if (!r_.queue().empty() && v.queue() != r_.queue()) return false;
    if (!r_.assigned_agent().empty() && v.assigned_agent() != r_.assigned_agent()) return false;
    if (r_.workflow() != v1::WORKFLOW_UNSPECIFIED && v.workflow() != r_.workflow()) return false;
    if (r_.priority() != v1::CASE_PRIORITY_UNSPECIFIED && v.priority() != r_.priority()) return false;
    if (!company_.empty() && FoldForSearch(v.client_company()) != company_) return false;
    if (!destination_.empty() && FoldForSearch(v.destination()) != destination_) return false;
    if (!tag_.empty() && std::find(v.tags().begin(), v.tags().end(), tag_) == v.tags().end()) {
      return false;
    }
    if (!reference_.empty() && FoldForSearch(v.ticket_ref()) != reference_ &&
        std::none_of(v.references().begin(), v.references().end(),
                     [&](const v1::CaseReference& ref) { return FoldForSearch(ref.value()) == reference_; })) {
      return false;
    }
    if (!customer_.empty() && FoldForSearch(v.customer().email()) != customer_folded_) {
      const std::vector<std::string> name = SearchWords(v.customer().name());
      for (const std::string& word : customer_) {
        if (std::find(name.begin(), name.end(), word) == name.end()) return false;
      }
    }
    if (!r_.travel_from().empty() && (v.travel_from().empty() || v.travel_from() < r_.travel_from())) {
      return false;
    }
    if (!r_.travel_to().empty() && (v.travel_from().empty() || v.travel_from() > r_.travel_to())) {
      return false;
    }
    return true;
  }

 private:
  const v1::ListCasesRequest& r_;
  const std::vector<std::string> customer_;
  const std::string customer_folded_;
  const std::string company_;
  const std::string reference_;
  const std::string destination_;
  const std::string tag_;
};

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
                                     std::pair{"assigned_agent", request.assigned_agent()},
                                     std::pair{"customer", request.customer()},
                                     std::pair{"client_company", request.client_company()},
                                     std::pair{"reference", request.reference()},
                                     std::pair{"destination", request.destination()},
                                     std::pair{"tag", request.tag()}}) {
    if (absl::Status s = workflows::CheckText(field, value, false); !s.ok()) return s;
  }
  if (absl::Status s = workflows::FirstError({CheckDate("travel_from", request.travel_from()),
                                              CheckDate("travel_to", request.travel_to())});
      !s.ok()) {
    return s;
  }
  if (!v1::CasePriority_IsValid(request.priority())) {
    return absl::InvalidArgumentError("priority: not a CasePriority");
  }
  if (!request.state().empty()) {
    if (absl::Status s = registry_.CheckStageName(request.workflow(), request.state()); !s.ok()) {
      return s;
    }
  }
  const CaseFilter filter(request);
  // The most selective index the request allows; the other filters are
  // checked on each case. A travel date range is a range of the trip-start
  // index (cases listed by that date, then most recently updated).
  const std::string prefix = filter.IndexPrefix();
  std::string start = prefix;
  std::string stop;  // scan no further than keys below this one (a date range)
  if (filter.ByTravelDates()) {
    if (!request.travel_from().empty()) start = CaseIndexPrefix('f', request.travel_from());
    if (!request.travel_to().empty()) stop = CaseIndexPrefix('f', absl::StrCat(request.travel_to(), "~"));
  }
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
        if (!stop.empty() && key >= stop) return false;
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
          // An index listed newest first has only older cases after this one.
          return !filter.NewestFirst();
        }
        if (!filter.Matches(*view)) return true;
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

namespace {

// One page of `family` under `prefix`, from the row after the page token's
// key: each row parsed by `add` (false: it does not decode), and the token
// of the next page when more rows follow.
absl::StatusOr<std::string> ScanPage(
    const ViewStore& views, const std::string& family, const std::string& prefix,
    const std::string& page_token, uint32_t page_size, absl::string_view what,
    const std::function<bool(absl::string_view value)>& add) {
  std::string start = prefix;
  std::string skip;
  if (!page_token.empty()) {
    absl::StatusOr<std::string> key = DecodeToken(page_token, prefix);
    if (!key.ok()) return key.status();
    start = skip = *key;
  }
  absl::Status failure;
  std::string last_key;
  uint32_t taken = 0;
  bool more = false;
  absl::Status scan = views.Scan(family, prefix, start, [&](absl::string_view key, absl::string_view value) {
    if (key == skip) return true;
    if (taken >= page_size) {
      more = true;
      return false;
    }
    if (!add(value)) {
      failure = absl::DataLossError(absl::StrCat(what, " does not decode; rebuild the views"));
      return false;
    }
    ++taken;
    last_key = std::string(key);
    return true;
  });
  if (!scan.ok()) return scan;
  if (!failure.ok()) return failure;
  return more && !last_key.empty() ? absl::WebSafeBase64Escape(last_key) : std::string();
}

}  // namespace

absl::StatusOr<v1::ListNotesResponse> CaseQueries::ListNotes(const v1::ListNotesRequest& request) const {
  absl::StatusOr<uint32_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<v1::CaseState> state = LoadState(request.case_id());
  if (!state.ok()) return state.status();
  v1::ListNotesResponse response;
  response.set_note_count(state->header().note_count());
  absl::StatusOr<std::string> next = ScanPage(
      *views_, family_(kCaseNotesFamily), CaseNotesPrefix(request.case_id()), request.page_token(),
      *page_size, absl::StrCat("a note of case ", request.case_id()), [&](absl::string_view value) {
        return response.add_notes()->ParseFromArray(value.data(), static_cast<int>(value.size()));
      });
  if (!next.ok()) return next.status();
  response.set_next_page_token(*next);
  return response;
}

absl::StatusOr<v1::ListCustomerTimelineResponse> CaseQueries::ListCustomerTimeline(
    const v1::ListCustomerTimelineRequest& request) const {
  absl::StatusOr<uint32_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  if (absl::Status s = workflows::CheckText("customer", request.customer(), true); !s.ok()) return s;
  v1::Person who;
  if (request.customer().find('@') != std::string::npos) {
    who.set_email(request.customer());
  } else {
    who.set_phone(request.customer());
  }
  const std::string customer = CustomerKey(who);
  if (customer.empty()) {
    return absl::InvalidArgumentError("customer: an email address or a phone number");
  }
  v1::ListCustomerTimelineResponse response;
  absl::StatusOr<std::string> next = ScanPage(
      *views_, family_(kCustomerTimelineFamily), CustomerTimelinePrefix(customer), request.page_token(),
      *page_size, "a customer timeline entry", [&](absl::string_view value) {
        return response.add_entries()->ParseFromArray(value.data(), static_cast<int>(value.size()));
      });
  if (!next.ok()) return next.status();
  response.set_next_page_token(*next);
  return response;
}

absl::StatusOr<v1::ReservationView> CaseQueries::GetReservation(absl::string_view case_id) const {
  // The booking is the workflow's, read from the case's folded state.
  absl::StatusOr<v1::CaseState> state = LoadState(case_id);
  if (!state.ok()) return state.status();
  std::optional<v1::ReservationView> view = registry_.Reservation(*state);
  if (!view.has_value()) {
    return absl::NotFoundError(absl::StrCat("case ", case_id, " has no reservation"));
  }
  return *std::move(view);
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
