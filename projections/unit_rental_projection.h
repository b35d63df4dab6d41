// The unit availability view: which RV unit is on which open rental
// agreement, from its charges' start to its due-back date, keyed by unit so
// "which units of class X are free between A and B" is one short scan per
// unit. A closed RA frees its unit.
#ifndef TRIPDESK_PROJECTIONS_UNIT_RENTAL_PROJECTION_H_
#define TRIPDESK_PROJECTIONS_UNIT_RENTAL_PROJECTION_H_

#include "projections/projection.h"
#include "projections/row_cache.h"

namespace tripdesk::projections {

// By case id: the case's RA and its unit.
inline constexpr char kUnitRentalByCaseFamily[] = "unit_rental_cases";
// Open RAs by unit: <vehicle number>|<case id>.
inline constexpr char kUnitRentalFamily[] = "unit_rentals";

std::string UnitRentalKey(absl::string_view vehicle_number, absl::string_view case_id);
// The keys an RA row holds in kUnitRentalFamily: its unit's while open.
std::vector<std::string> UnitRentalKeys(absl::string_view case_id, const v1::UnitRentalRow& row);

class UnitRentalProjection final : public Projection {
 public:
  UnitRentalProjection() : by_case_(kUnitRentalByCaseFamily, UnitRentalKeys) {}
  std::string name() const override { return "unit_rentals"; }
  int version() const override { return 1; }
  std::vector<std::string> families() const override {
    return {kUnitRentalByCaseFamily, kUnitRentalFamily};
  }
  absl::Status Apply(const v1::RecordEnvelope& record, const v1::CaseEvent& event,
                     ViewTxn& txn) override;
  absl::Status Flush(ViewTxn& txn) override;
  void Discard() override { by_case_.Clear(); }

 private:
  RowCache<v1::UnitRentalRow> by_case_;
};

}  // namespace tripdesk::projections

#endif  // TRIPDESK_PROJECTIONS_UNIT_RENTAL_PROJECTION_H_
