// The fleet's reference data (seed 001's choices; the prices, tax and promo
// codes are ours, the seed gives no numbers): look-ups by id, the load-time
// check, and the server-assigned codes (booking references, account and
// driver ids).
#ifndef TRIPDESK_WORKFLOWS_FLEET_FLEET_REFERENCE_H_
#define TRIPDESK_WORKFLOWS_FLEET_FLEET_REFERENCE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tripdesk/v1/fleet.pb.h"

namespace tripdesk::workflows::fleet {

// Characters of a code read aloud: no 0/O, no 1/I.
inline constexpr absl::string_view kReadableAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

// `length` characters of kReadableAlphabet derived from `seed` (SHA-256):
// the same seed always gives the same code, so a decision stays pure.
std::string ReadableCode(absl::string_view seed, int length);
// Whether `code` is `length` characters of kReadableAlphabet.
bool IsReadableCode(absl::string_view code, size_t length);

// The role that approves accounts and verifies drivers.
std::string ApproverRole(const v1::FleetReference& ref);

const v1::FleetAsset* FindAsset(const v1::FleetReference& ref, absl::string_view id);
const v1::FleetDurationOption* FindDuration(const v1::FleetReference& ref, absl::string_view id);
const v1::FleetMileageOption* FindMileage(const v1::FleetReference& ref, absl::string_view id);
const v1::FleetExtra* FindExtra(const v1::FleetReference& ref, absl::string_view id);
const v1::FleetPromoCode* FindPromo(const v1::FleetReference& ref, absl::string_view code);
const v1::FleetHandoverMode* FindHandover(const v1::FleetReference& ref, absl::string_view id);
// The duration's price for an asset class; null when it has none.
const v1::Money* DurationPrice(const v1::FleetDurationOption& d, absl::string_view asset_class);

// The fleet section, checked at load (an empty section: no fleet):
// INVALID_ARGUMENT naming the entry.
absl::Status CheckFleetReference(const v1::FleetReference& ref);

}  // namespace tripdesk::workflows::fleet

#endif  // TRIPDESK_WORKFLOWS_FLEET_FLEET_REFERENCE_H_
