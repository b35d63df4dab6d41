// Checks of and lookups in the RV reference data by code (locations, classes, rates,
// options, tour operators, units, user limits). Null when absent.
#ifndef TRIPDESK_WORKFLOWS_RV_RV_REFERENCE_H_
#define TRIPDESK_WORKFLOWS_RV_RV_REFERENCE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tripdesk/v1/rv.pb.h"
#include "workflows/reference_data.h"

namespace tripdesk::workflows::rv {

// The RV section as a whole: one fleet currency, codes used once, and every
// code an entry names defined. INVALID_ARGUMENT naming the entry.
absl::Status CheckRvReference(const v1::RvReference& rv);

// The time zone of an RV location (UTC for an unknown code): dates at the
// counter are local.
absl::TimeZone LocationZone(const ReferenceData& reference, absl::string_view location);

// The entry of `entries` whose `key(entry)` is `code`.
template <typename Entry, typename Key>
const Entry* FindEntry(const google::protobuf::RepeatedPtrField<Entry>& entries,
                       absl::string_view code, Key key) {
  for (const Entry& e : entries) {
    if (key(e) == code) return &e;
  }
  return nullptr;
}

// For an "unknown X" refusal: "; one of A, B, C" (past a dozen, the first
// ones and how to list them all). `keep` picks the entries that would do.
template <typename Entry, typename Key, typename Keep>
std::string KnownCodes(const google::protobuf::RepeatedPtrField<Entry>& entries, Key key,
                       Keep keep) {
  constexpr int kShown = 12;
  std::string out;
  int n = 0;
  for (const Entry& e : entries) {
    if (!keep(e)) continue;
    if (n++ < kShown) absl::StrAppend(&out, out.empty() ? "; one of " : ", ", key(e));
  }
  if (n == 0) return "; there are none in the reference data";
  if (n > kShown) absl::StrAppend(&out, " and ", n - kShown, " more");
  return absl::StrCat(out, " (tripdesk reference lists them)");
}
template <typename Entry, typename Key>
std::string KnownCodes(const google::protobuf::RepeatedPtrField<Entry>& entries, Key key) {
  return KnownCodes(entries, key, [](const Entry&) { return true; });
}
inline constexpr auto kCode = [](const auto& e) { return e.code(); };

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
