// Lookups in the RV reference data by code (locations, classes, rates,
// options, tour operators, units, user limits). Null when absent.
#ifndef TRIPDESK_WORKFLOWS_RV_RV_REFERENCE_H_
#define TRIPDESK_WORKFLOWS_RV_RV_REFERENCE_H_

#include "absl/strings/string_view.h"
#include "tripdesk/v1/rv.pb.h"

namespace tripdesk::workflows::rv {

// The entry of `entries` whose `key(entry)` is `code`.
template <typename Entry, typename Key>
const Entry* FindEntry(const google::protobuf::RepeatedPtrField<Entry>& entries,
                       absl::string_view code, Key key) {
  for (const Entry& e : entries) {
    if (key(e) == code) return &e;
  }
  return nullptr;
}

inline const v1::RvLocation* FindLocation(const v1::RvReference& r, absl::string_view code) {
  return FindEntry(r.locations(), code, [](const auto& e) { return e.code(); });
}
inline const v1::RvVehicleClass* FindClass(const v1::RvReference& r, absl::string_view code) {
  return FindEntry(r.classes(), code, [](const auto& e) { return e.code(); });
}
inline const v1::RvRateProduct* FindRate(const v1::RvReference& r, absl::string_view code) {
  return FindEntry(r.rates(), code, [](const auto& e) { return e.code(); });
}
inline const v1::RvOption* FindOption(const v1::RvReference& r, absl::string_view code) {
  return FindEntry(r.options(), code, [](const auto& e) { return e.code(); });
}
inline const v1::RvTourOperator* FindOperator(const v1::RvReference& r, absl::string_view code) {
  return FindEntry(r.tour_operators(), code, [](const auto& e) { return e.it_code(); });
}
inline const v1::RvUnit* FindUnit(const v1::RvReference& r, absl::string_view number) {
  return FindEntry(r.units(), number, [](const auto& e) { return e.vehicle_number(); });
}
inline const v1::RvUserLimit* FindUser(const v1::RvReference& r, absl::string_view user) {
  return FindEntry(r.user_limits(), user, [](const auto& e) { return e.user(); });
}

}  // namespace tripdesk::workflows::rv

#endif  // TRIPDESK_WORKFLOWS_RV_RV_REFERENCE_H_
