#include "projections/tracker_projection.h"

#include "workflows/streams.h"

#include "absl/strings/str_cat.h"

namespace tripdesk::projections {

std::string TrackerRowKey(absl::string_view date, absl::string_view case_id) {
  return absl::StrCat(date, "|", case_id);
}

absl::Status TrackerProjection::Apply(const v1::RecordEnvelope& record,
                                      const v1::CaseEvent& event, ViewTxn& txn) {
  if (!event.has_car_booking()) return absl::OkStatus();
  const absl::string_view case_id = workflows::CaseIdOfStream(record.stream());
  absl::StatusOr<RowCache<v1::TrackerRow>::Entry*> entry = drafts_.Get(txn, case_id);
  if (!entry.ok()) return entry.status();
  v1::TrackerRow& row = (*entry)->row;
  row.set_case_id(std::string(case_id));
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
    default:  // the tracker reads only the events above; a new command need not come here
      break;
  }
  return absl::OkStatus();
}

absl::Status TrackerProjection::Flush(ViewTxn& txn) {
  // A booking is on the tracker from the moment the tracker is updated.
  return drafts_.Flush(txn, [&](const std::string& case_id, RowCache<v1::TrackerRow>::Entry& e) {
    if (!e.row.date().empty()) {
      txn.Put(kTrackerRowFamily, TrackerRowKey(e.row.date(), case_id), e.row.SerializeAsString());
    }
    return absl::OkStatus();
  });
}

}  // namespace tripdesk::projections
