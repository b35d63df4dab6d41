#include "projections/unit_rental_projection.h"

#include "workflows/streams.h"

#include "absl/strings/str_cat.h"

namespace tripdesk::projections {

std::string UnitRentalKey(absl::string_view vehicle_number, absl::string_view case_id) {
  return absl::StrCat(vehicle_number, "|", case_id);
}

std::vector<std::string> UnitRentalKeys(absl::string_view case_id, const v1::UnitRentalRow& row) {
  if (!row.open()) return {};
  return {UnitRentalKey(row.vehicle_number(), case_id)};
}

absl::Status UnitRentalProjection::Apply(const v1::RecordEnvelope& record,
                                         const v1::CaseEvent& event, ViewTxn& txn) {
  if (!event.has_rv()) return absl::OkStatus();
  const v1::RvEvent& e = event.rv();
  if (!e.has_rental_agreement_opened() && !e.has_rental_agreement_extended() &&
      !e.has_rental_agreement_closed()) {
    return absl::OkStatus();
  }
  const absl::string_view case_id = workflows::CaseIdOfStream(record.stream());
  absl::StatusOr<RowCache<v1::UnitRentalRow>::Entry*> entry = by_case_.Get(txn, case_id);
  if (!entry.ok()) return entry.status();
  v1::UnitRentalRow& row = (*entry)->row;
  if (e.has_rental_agreement_opened()) {
    const v1::RentalAgreementOpened& ra = e.rental_agreement_opened();
    row.set_case_id(std::string(case_id));
    row.set_vehicle_number(ra.vehicle_number());
    row.set_ra_number(ra.ra_number());
    row.set_from_date(ra.charges_from().date());
    row.set_to_date(ra.due_back().date());
    row.set_open(true);
  } else if (e.has_rental_agreement_extended()) {
    row.set_to_date(e.rental_agreement_extended().due_back().date());
  } else {
    row.set_open(false);
  }
  return absl::OkStatus();
}

absl::Status UnitRentalProjection::Flush(ViewTxn& txn) {
  return by_case_.Flush(txn, [&](const std::string& case_id, RowCache<v1::UnitRentalRow>::Entry& e) {
    RowCache<v1::UnitRentalRow>::ReplaceKeys(txn, kUnitRentalFamily, e, UnitRentalKeys(case_id, e.row),
                                             e.row.SerializeAsString());
    return absl::OkStatus();
  });
}

}  // namespace tripdesk::projections
