#include "workflows/rv/rv_money.h"

// The deprecated *_cents fields are read here and only here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace tripdesk::workflows::rv {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool OldEstimate(const v1::RvEstimate& e) { return !e.has_total() && e.lines_size() > 0; }

// Each Money field with a `<name>_cents` sibling gets the cents, which are
// cleared; amounts inside an estimate are in the estimate's currency.
void UpgradeMessage(Message& m, std::string currency) {
  if (m.GetDescriptor() == v1::RvEstimate::descriptor()) {
    const std::string& own = static_cast<const v1::RvEstimate&>(m).currency();
    if (!own.empty()) currency = own;
  }
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          UpgradeMessage(*r->MutableRepeatedMessage(&m, f, i), currency);
        }
      } else {
        UpgradeMessage(*r->MutableMessage(&m, f), currency);
      }
      continue;
    }
    if (!f->options().deprecated() || !absl::EndsWith(f->name(), "_cents")) continue;
    const FieldDescriptor* money = m.GetDescriptor()->FindFieldByName(
        std::string(absl::StripSuffix(f->name(), "_cents")));
    if (money == nullptr || money->message_type() != v1::Money::descriptor()) continue;
    if (!r->HasField(m, money)) {
      r->MutableMessage(&m, money)->CopyFrom(MoneyOf(r->GetInt64(m, f), currency));
    }
    r->ClearField(&m, f);
  }
}

}  // namespace

v1::Money MoneyOf(int64_t minor_units, absl::string_view currency) {
  v1::Money m;
  m.set_minor_units(minor_units);
  m.set_currency(std::string(currency));
  return m;
}

bool NeedsUpgrade(const v1::RvEvent& e) {
  switch (e.event_case()) {
    case v1::RvEvent::kReservationSaved:
      return OldEstimate(e.reservation_saved().estimate()) ||
             (e.reservation_saved().voucher().discount_cents() != 0 &&
              !e.reservation_saved().voucher().has_discount());
    case v1::RvEvent::kDepositTaken:
      return !e.deposit_taken().has_deposits_total();
    case v1::RvEvent::kReservationCancelled:
      return !e.reservation_cancelled().has_penalty() && e.reservation_cancelled().penalty_cents() != 0;
    case v1::RvEvent::kRentalAgreementOpened:
      return OldEstimate(e.rental_agreement_opened().estimate());
    case v1::RvEvent::kRentalAgreementExtended:
      return !e.rental_agreement_extended().has_previous_total();
    case v1::RvEvent::kChargesAdjusted:
      return !e.charges_adjusted().has_credit();
    case v1::RvEvent::kRentalAgreementClosed:
      return !e.rental_agreement_closed().has_balance();
    case v1::RvEvent::kNoteAdded:
    case v1::RvEvent::EVENT_NOT_SET:
      return false;
  }
  return false;
}

void Upgrade(v1::RvEvent& e, absl::string_view currency) {
  UpgradeMessage(e, std::string(currency));
  // A zero written as cents was not stored at all: the totals a fold reads
  // are set even so.
  switch (e.event_case()) {
    case v1::RvEvent::kDepositTaken:
      if (!e.deposit_taken().has_deposits_total()) {
        *e.mutable_deposit_taken()->mutable_deposits_total() = MoneyOf(0, currency);
      }
      break;
    case v1::RvEvent::kRentalAgreementExtended:
      if (!e.rental_agreement_extended().has_previous_total()) {
        *e.mutable_rental_agreement_extended()->mutable_previous_total() = MoneyOf(0, currency);
      }
      break;
    case v1::RvEvent::kChargesAdjusted:
      if (!e.charges_adjusted().has_credit()) {
        *e.mutable_charges_adjusted()->mutable_credit() = MoneyOf(0, currency);
      }
      break;
    case v1::RvEvent::kRentalAgreementClosed: {
      v1::RentalAgreementClosed& c = *e.mutable_rental_agreement_closed();
      if (!c.has_deposits_total()) *c.mutable_deposits_total() = MoneyOf(0, currency);
      if (!c.has_balance()) *c.mutable_balance() = MoneyOf(0, currency);
      break;
    }
    default:
      break;
  }
}

}  // namespace tripdesk::workflows::rv
