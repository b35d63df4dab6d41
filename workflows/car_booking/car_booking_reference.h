// The car booking's reference data: vendors and their manual reservation
// codes, the fee schedule and the email templates; checked once at load.
#ifndef TRIPDESK_WORKFLOWS_CAR_BOOKING_CAR_BOOKING_REFERENCE_H_
#define TRIPDESK_WORKFLOWS_CAR_BOOKING_CAR_BOOKING_REFERENCE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tripdesk/v1/reference.pb.h"

namespace tripdesk::workflows {

// INVALID_ARGUMENT naming the entry and the problem.
absl::Status CheckCarBookingReference(const v1::CarBookingReference& car);

const v1::Vendor* FindVendor(const v1::CarBookingReference& car, absl::string_view code);
// "ZI (Avis), ZD (Budget), ..." for messages.
std::string VendorList(const v1::CarBookingReference& car);
// The client company's fee, or the default.
const v1::Money& ServiceFeeFor(const v1::CarBookingReference& car,
                               absl::string_view client_company);
const v1::EmailTemplate* FindTemplate(const v1::CarBookingReference& car, absl::string_view id);

}  // namespace tripdesk::workflows

#endif  // TRIPDESK_WORKFLOWS_CAR_BOOKING_CAR_BOOKING_REFERENCE_H_
