#include "projections/reservation_projection.h"

#include "workflows/streams.h"

#include "absl/strings/str_cat.h"

namespace tripdesk::projections {

absl::Status ReservationProjection::Apply(const v1::RecordEnvelope& record,
                                          const v1::CaseEvent& event, ViewTxn& txn) {
  if (!event.has_car_booking()) return absl::OkStatus();
  const absl::string_view case_id = workflows::CaseIdOfStream(record.stream());
  absl::StatusOr<RowCache<v1::ReservationView>::Entry*> entry = rows_.Get(txn, case_id);
  if (!entry.ok()) return entry.status();
  v1::ReservationView& view = (*entry)->row;
  view.set_case_id(std::string(case_id));
  view.set_revision(record.revision());
  const v1::ManualCarBookingEvent& e = event.car_booking();
  using Ev = v1::ManualCarBookingEvent;
  switch (e.event_case()) {
    case Ev::kRequestReceived:
      *view.mutable_pick_up() = e.request_received().request().pick_up();
      *view.mutable_drop_off() = e.request_received().request().drop_off();
      break;
    case Ev::kCarIdentified:
      view.set_car_class(e.car_identified().car_class());
      view.set_car_model(e.car_identified().car_model());
      *view.mutable_pick_up() = e.car_identified().pick_up();
      *view.mutable_drop_off() = e.car_identified().drop_off();
      break;
    case Ev::kTripCreatedForCustomer:
      view.set_platform(v1::BOOKING_PLATFORM_IL);
      view.set_trip_id(e.trip_created_for_customer().trip_id());
      break;
    case Ev::kCustomerGuided:
      view.set_platform(v1::BOOKING_PLATFORM_IL);
      break;
    case Ev::kVendorSearchRecorded:
      view.set_vendor_code(e.vendor_search_recorded().vendor_code());
      view.set_vendor_name(e.vendor_search_recorded().vendor_name());
      break;
    case Ev::kQuoteSent:
      *view.mutable_quote_amount() = e.quote_sent().amount();
      break;
    case Ev::kBookingConfirmed: {
      const v1::BookingConfirmed& b = e.booking_confirmed();
      view.set_platform(b.platform());
      view.set_vendor_code(b.vendor_code());
      view.set_confirmation_number(b.confirmation_number());
      view.set_corporate_discount_id(b.corporate_discount_id());
      view.set_billing_number(b.billing_number());
      view.set_membership_details(b.membership_details());
      view.set_manual_reservation_code(b.manual_reservation_code());
      break;
    }
    case Ev::kVoucherCreated:
      view.set_voucher_number(e.voucher_created().voucher_number());
      break;
    case Ev::kBookingVerified:
      view.set_trip_id(e.booking_verified().trip_id());
      break;
    case Ev::kMisFiled: {
      view.set_mis_billing(e.mis_filed().billing());
      view.set_mis_reference(e.mis_filed().mis_reference());
      break;
    }
    case Ev::kIlCheckRecorded:
    case Ev::kCustomerEmailedCarAdded:
    case Ev::kTechSpocApprovalGranted:
    case Ev::kTechSpocApprovalRefused:
    case Ev::kQuoteAccepted:
    case Ev::kQuoteDeclined:
    case Ev::kQuoteUnanswered:
    case Ev::kConfirmationEmailSent:
    case Ev::kAllVouchersSent:
    case Ev::kTicketClosed:
    case Ev::kTrackerUpdated:
    case Ev::kServiceFeeCharged:
    case Ev::kNoteAdded:
    case Ev::kCancelled:
    case Ev::EVENT_NOT_SET:
      break;
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::projections
