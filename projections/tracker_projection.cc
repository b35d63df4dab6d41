#include "projections/tracker_projection.h"

#include "absl/strings/str_cat.h"

namespace tripdesk::projections {

std::string TrackerRowKey(absl::string_view date, absl::string_view case_id) {
  return absl::StrCat(date, "|", case_id);
}

absl::Status TrackerProjection::Apply(const v1::RecordEnvelope& record,
                                      const v1::CaseEvent& event, ViewTxn& txn) {
  if (!event.has_car_booking()) return absl::OkStatus();
  const std::string case_id = record.stream().substr(5);
  absl::StatusOr<std::optional<std::string>> stored = txn.Get(kTrackerDraftFamily, case_id);
  if (!stored.ok()) return stored.status();
  v1::TrackerRow row;
  if (stored->has_value() && !row.ParseFromString(**stored)) {
    return absl::DataLossError(absl::StrCat("views: tracker draft of ", case_id, " does not decode"));
  }
  row.set_case_id(case_id);
  const v1::ManualCarBookingEvent& e = event.car_booking();
  using Ev = v1::ManualCarBookingEvent;
  switch (e.event_case()) {
    case Ev::kRequestReceived:
      row.set_agent(record.actor_id());
      row.set_client_company(e.request_received().request().client_company());
      break;
    case Ev::kVendorSearchRecorded:
      row.set_vendor_code(e.vendor_search_recorded().vendor_code());
      break;
    case Ev::kBookingConfirmed:
      row.set_vendor_code(e.booking_confirmed().vendor_code());
      row.set_confirmation_number(e.booking_confirmed().confirmation_number());
      break;
    case Ev::kMisFiled:
      row.set_mis_filed(true);
      break;
    case Ev::kTicketClosed:
      *row.mutable_closed_at() = record.recorded_at();
      break;
    case Ev::kTrackerUpdated:
      row.set_date(e.tracker_updated().date());
      row.set_tracker_ref(e.tracker_updated().tracker_ref());
      break;
    case Ev::kServiceFeeCharged:
      row.set_fee_charged(true);
      *row.mutable_fee() = e.service_fee_charged().amount();
      break;
    case Ev::kCarIdentified:
    case Ev::kIlCheckRecorded:
    case Ev::kCustomerGuided:
    case Ev::kTripCreatedForCustomer:
    case Ev::kCustomerEmailedCarAdded:
    case Ev::kTechSpocApprovalGranted:
    case Ev::kTechSpocApprovalRefused:
    case Ev::kQuoteSent:
    case Ev::kQuoteAccepted:
    case Ev::kQuoteDeclined:
    case Ev::kQuoteUnanswered:
    case Ev::kVoucherCreated:
    case Ev::kBookingVerified:
    case Ev::kConfirmationEmailSent:
    case Ev::kAllVouchersSent:
    case Ev::kNoteAdded:
    case Ev::kCancelled:
    case Ev::EVENT_NOT_SET:
      break;
  }
  txn.Put(kTrackerDraftFamily, case_id, row.SerializeAsString());
  // A booking is on the tracker from the moment the tracker is updated.
  if (!row.date().empty()) {
    txn.Put(kTrackerRowFamily, TrackerRowKey(row.date(), case_id), row.SerializeAsString());
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::projections
