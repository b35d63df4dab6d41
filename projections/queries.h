// Read-side queries over the projections' rows: a case, a filtered and
// paged list of cases, a reservation, the tracker rows of a date range.
//
// Thread-safe.
#ifndef TRIPDESK_PROJECTIONS_QUERIES_H_
#define TRIPDESK_PROJECTIONS_QUERIES_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "projections/view_store.h"
#include "tripdesk/v1/cases.pb.h"
#include "workflows/registry.h"

namespace tripdesk::projections {

inline constexpr uint32_t kDefaultPageSize = 50;
inline constexpr uint32_t kMaxPageSize = 500;

// A request's page size: 0 is the default; INVALID_ARGUMENT above the maximum.
absl::StatusOr<uint32_t> PageSize(uint32_t requested);
// Page tokens are the last key returned, opaque to clients: the key, or
// INVALID_ARGUMENT when it is not one of this listing's (`prefix`).
absl::StatusOr<std::string> DecodeToken(absl::string_view token, absl::string_view prefix);

class CaseQueries {
 public:
  // Maps a projection's base family ("case_state") to the stored family of
  // the version being served (ProjectionRunner::ServingFamily).
  using FamilyResolver = std::function<std::string(absl::string_view base)>;

  CaseQueries(const ViewStore* views, const workflows::WorkflowRegistry& registry,
              FamilyResolver family)
      : views_(views), registry_(registry), family_(std::move(family)) {}

  absl::StatusOr<v1::CaseView> GetCase(absl::string_view case_id) const;
  absl::StatusOr<v1::ListCasesResponse> ListCases(const v1::ListCasesRequest& request) const;
  // A case's notes, newest first.
  absl::StatusOr<v1::ListNotesResponse> ListNotes(const v1::ListNotesRequest& request) const;
  // A customer's records across their cases, newest first.
  absl::StatusOr<v1::ListCustomerTimelineResponse> ListCustomerTimeline(
      const v1::ListCustomerTimelineRequest& request) const;
  absl::StatusOr<v1::ReservationView> GetReservation(absl::string_view case_id) const;
  absl::StatusOr<v1::ListTrackerRowsResponse> ListTrackerRows(
      const v1::ListTrackerRowsRequest& request) const;
  // The units of the class (from `rv`'s fleet) on no open rental agreement
  // overlapping the period.
  absl::StatusOr<v1::ListAvailableUnitsResponse> ListAvailableUnits(
      const v1::ListAvailableUnitsRequest& request, const v1::RvReference& rv) const;

 private:
  absl::StatusOr<v1::CaseState> LoadState(absl::string_view case_id) const;

  const ViewStore* views_;
  const workflows::WorkflowRegistry& registry_;
  FamilyResolver family_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_QUERIES_H_
