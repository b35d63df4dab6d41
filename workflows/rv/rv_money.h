// RV amounts as Money, and the reading of records written before they were:
// those carry bare cents (the deprecated *_cents fields), which a fold
// upgrades to Money in the currency of the case's estimate, so every
// decision and view sees one shape.
//
// Pure and thread-safe.
#ifndef TRIPDESK_WORKFLOWS_RV_RV_MONEY_H_
#define TRIPDESK_WORKFLOWS_RV_RV_MONEY_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "tripdesk/v1/cases.pb.h"

namespace tripdesk::workflows::rv {

v1::Money MoneyOf(int64_t minor_units, absl::string_view currency);

// Whether `event` was written before RV amounts were Money.
bool NeedsUpgrade(const v1::RvEvent& event);
// Fills the Money fields of an event written with cents, in `currency` (the
// case's) where the event carries none of its own.
void Upgrade(v1::RvEvent& event, absl::string_view currency);

}  // namespace tripdesk::workflows::rv

#endif  // TRIPDESK_WORKFLOWS_RV_RV_MONEY_H_
