#include "workflows/reference_data.h"

#include <algorithm>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "workflows/car_booking/car_booking_workflow.h"
#include "workflows/templates.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {
namespace {

class FirstParseError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error.empty()) error = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  std::string error;
};

absl::Status Invalid(absl::string_view where, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("reference data: ", where, ": ", problem));
}

absl::Status CheckCarBooking(const v1::CarBookingReference& car) {
  if (car.vendors().empty()) return Invalid("car_booking.vendors", "no vendor is listed");
  absl::flat_hash_set<std::string> codes;
  for (int i = 0; i < car.vendors_size(); ++i) {
    const v1::Vendor& v = car.vendors(i);
    const std::string where = absl::StrCat("car_booking.vendors[", i, "]");
    if (v.code().size() != 2) {
      return Invalid(where, absl::StrCat("code '", v.code(), "' is not a 2-letter vendor code"));
    }
    if (!codes.insert(v.code()).second) {
      return Invalid(where, absl::StrCat("vendor code ", v.code(), " is listed twice"));
    }
    if (v.name().empty()) return Invalid(where, "name is empty");
    if (v.manual_reservation_code().empty()) {
      return Invalid(where, absl::StrCat(v.code(), " has no manual_reservation_code"));
    }
  }
  if (!car.fees().has_default_fee()) return Invalid("car_booking.fees", "default_fee is missing");
  if (absl::Status s = CheckMoney("car_booking.fees.default_fee", car.fees().default_fee());
      !s.ok()) {
    return Invalid("car_booking.fees", s.message());
  }
  for (int i = 0; i < car.fees().by_company_size(); ++i) {
    const v1::CompanyFee& fee = car.fees().by_company(i);
    const std::string where = absl::StrCat("car_booking.fees.by_company[", i, "]");
    if (fee.client_company().empty()) return Invalid(where, "client_company is empty");
    if (absl::Status s = CheckMoney("fee", fee.fee()); !s.ok()) return Invalid(where, s.message());
  }
  const absl::flat_hash_set<std::string> fields = CarBookingTemplateFields();
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < car.templates_size(); ++i) {
    const v1::EmailTemplate& t = car.templates(i);
    const std::string where = absl::StrCat("car_booking.templates[", i, "] (", t.id(), ")");
    if (t.id().empty()) return Invalid(where, "id is empty");
    if (!ids.insert(t.id()).second) return Invalid(where, "id is used twice");
    if (t.subject().empty() || t.body().empty()) return Invalid(where, "subject and body are required");
    for (const std::string& text : {t.subject(), t.body()}) {
      absl::StatusOr<std::vector<std::string>> names = TemplatePlaceholders(text);
      if (!names.ok()) return Invalid(where, names.status().message());
      for (const std::string& name : *names) {
        if (!fields.contains(name)) {
          return Invalid(where, absl::StrCat("unknown placeholder {{", name, "}}"));
        }
      }
    }
  }
  for (const auto& [field, id] : {std::pair{"confirmation_template_id", car.confirmation_template_id()},
                                  std::pair{"car_added_template_id", car.car_added_template_id()},
                                  std::pair{"quote_template_id", car.quote_template_id()}}) {
    if (!ids.contains(id)) {
      return Invalid(absl::StrCat("car_booking.", field),
                     absl::StrCat("names template '", id, "', which is not defined"));
    }
  }
  if (car.us_queue().empty()) return Invalid("car_booking.us_queue", "is empty");
  return absl::OkStatus();
}

// An amount of the fleet's: in its one currency, and not negative unless it
// may be (an option's discount).
absl::Status CheckFleetAmount(absl::string_view where, absl::string_view field, const v1::Money& m,
                              absl::string_view currency, bool allow_negative = false) {
  if (m.currency().empty() && m.minor_units() == 0) return absl::OkStatus();  // unset: none
  if (m.currency() != currency) {
    return Invalid(where, absl::StrCat(field, " is in '", m.currency(), "', not the fleet's ", currency,
                                       " (write it as ", field, " { minor_units: N currency: \"",
                                       currency, "\" })"));
  }
  if (!allow_negative && m.minor_units() < 0) return Invalid(where, absl::StrCat(field, " may not be negative"));
  return absl::OkStatus();
}

absl::Status CheckRv(const v1::RvReference& rv) {
  // The fleet's currency: every rate's, and the control record's and
  // options' amounts.
  const std::string currency = rv.rates().empty() ? "USD" : rv.rates(0).currency();
  absl::flat_hash_set<std::string> codes;
  for (int i = 0; i < rv.locations_size(); ++i) {
    const v1::RvLocation& l = rv.locations(i);
    const std::string where = absl::StrCat("rv.locations[", i, "] (", l.code(), ")");
    if (l.code().empty() || !codes.insert(l.code()).second) {
      return Invalid(where, "code is empty or used twice");
    }
    if (l.kind() == v1::RV_LOCATION_KIND_UNSPECIFIED) return Invalid(where, "kind is not set");
    if (l.state_tax_bp() < 0 || l.state_tax_bp() > 5000) {
      return Invalid(where, "state_tax_bp must be 0 to 5000 basis points");
    }
  }
  for (int i = 0; i < rv.rates_size(); ++i) {
    const v1::RvRateProduct& r = rv.rates(i);
    const std::string where = absl::StrCat("rv.rates[", i, "] (", r.code(), ")");
    if (r.period_days() < 1) return Invalid(where, "period_days must be at least 1");
    if (r.seasons().empty()) return Invalid(where, "has no season");
    if (!IsIsoCurrency(r.currency())) return Invalid(where, "currency is not ISO 4217");
    if (r.currency() != currency) {
      return Invalid(where, absl::StrCat("currency ", r.currency(), " differs from the fleet's ", currency));
    }
    if (absl::Status s = CheckFleetAmount(where, "price_per_mile", r.price_per_mile(), currency); !s.ok()) {
      return s;
    }
    for (const v1::RvRateSeason& season : r.seasons()) {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(season.starts(), &day)) {
        return Invalid(where, absl::StrCat("season start '", season.starts(), "' is not YYYY-MM-DD"));
      }
      for (const auto& [field, price] : {std::pair{"period_price", &season.period_price()},
                                         std::pair{"extra_day_price", &season.extra_day_price()}}) {
        if (absl::Status s = CheckFleetAmount(where, field, *price, currency); !s.ok()) return s;
      }
    }
  }
  absl::flat_hash_set<std::string> option_codes;
  for (int i = 0; i < rv.options_size(); ++i) {
    const std::string where = absl::StrCat("rv.options[", i, "] (", rv.options(i).code(), ")");
    if (rv.options(i).code().empty() || !option_codes.insert(rv.options(i).code()).second) {
      return Invalid(where, "code is empty or used twice");
    }
    const v1::RvOption& o = rv.options(i);
    if (o.kind() == v1::RV_OPTION_KIND_UNSPECIFIED) return Invalid(where, "kind is not set");
    if (o.kind() == v1::RV_OPTION_PERCENTAGE) {
      if (o.has_price()) return Invalid(where, "a percentage option has percent_bp, not a price");
      if (o.percent_bp() < -10000 || o.percent_bp() > 10000) {
        return Invalid(where, "percent_bp must be -10000 to 10000 basis points");
      }
    } else {
      if (o.percent_bp() != 0) return Invalid(where, "a per-day or per-item option has a price, not percent_bp");
      if (absl::Status s = CheckFleetAmount(where, "price", o.price(), currency, true); !s.ok()) return s;
    }
  }
  absl::flat_hash_set<std::string> class_codes;
  for (int i = 0; i < rv.classes_size(); ++i) {
    const v1::RvVehicleClass& c = rv.classes(i);
    const std::string where = absl::StrCat("rv.classes[", i, "] (", c.code(), ")");
    if (c.code().empty() || !class_codes.insert(c.code()).second) {
      return Invalid(where, "code is empty or used twice");
    }
    if (c.max_passengers() < 0) return Invalid(where, "max_passengers may not be negative");
  }
  absl::flat_hash_set<std::string> rate_codes;
  for (const v1::RvRateProduct& r : rv.rates()) rate_codes.insert(r.code());
  for (int i = 0; i < rv.tour_operators_size(); ++i) {
    const v1::RvTourOperator& t = rv.tour_operators(i);
    const std::string where = absl::StrCat("rv.tour_operators[", i, "] (", t.it_code(), ")");
    if (t.it_code().empty()) return Invalid(where, "it_code is empty");
    if (!rate_codes.contains(t.rate_code())) {
      return Invalid(where, absl::StrCat("rate_code '", t.rate_code(), "' is not a rate product"));
    }
    if (t.flat_tax_bp() < 0 || t.flat_tax_bp() > 5000) {
      return Invalid(where, "flat_tax_bp must be 0 to 5000 basis points");
    }
  }
  absl::flat_hash_set<std::string> units;
  for (int i = 0; i < rv.units_size(); ++i) {
    const v1::RvUnit& u = rv.units(i);
    const std::string where = absl::StrCat("rv.units[", i, "] (", u.vehicle_number(), ")");
    if (u.vehicle_number().empty() || u.vehicle_number().size() > 20 ||
        !std::all_of(u.vehicle_number().begin(), u.vehicle_number().end(),
                     [](char ch) { return absl::ascii_isalnum(static_cast<unsigned char>(ch)); }) ||
        !units.insert(u.vehicle_number()).second) {
      return Invalid(where, "vehicle_number must be 1 to 20 letters or digits, used once");
    }
    if (!class_codes.contains(u.class_code())) {
      return Invalid(where, absl::StrCat("class_code '", u.class_code(), "' is not a class"));
    }
    if (u.odometer() < 0 || u.generator_tenths() < 0) {
      return Invalid(where, "odometer and generator may not be negative");
    }
  }
  absl::flat_hash_set<std::string> users;
  for (int i = 0; i < rv.user_limits_size(); ++i) {
    const v1::RvUserLimit& u = rv.user_limits(i);
    const std::string where = absl::StrCat("rv.user_limits[", i, "] (", u.user(), ")");
    if (u.user().empty() || !users.insert(u.user()).second) {
      return Invalid(where, "user is empty or listed twice");
    }
    if (u.has_adjustment_limit()) {
      if (absl::Status s = CheckFleetAmount(where, "adjustment_limit", u.adjustment_limit(), currency);
          !s.ok()) {
        return s;
      }
    }
    for (const std::string& location : u.locations()) {
      if (!codes.contains(location)) {
        return Invalid(where, absl::StrCat("location '", location, "' is not a location"));
      }
    }
  }
  const v1::RvControlRecord& c = rv.control();
  for (const auto& [field, amount] :
       {std::pair{"security_deposit_card", &c.security_deposit_card()},
        std::pair{"security_deposit_other", &c.security_deposit_other()},
        std::pair{"minimum_reservation_deposit", &c.minimum_reservation_deposit()},
        std::pair{"fuel_price_per_eighth", &c.fuel_price_per_eighth()}}) {
    if (absl::Status s = CheckFleetAmount("rv.control", field, *amount, currency); !s.ok()) return s;
  }
  if (c.tour_cancellation_window_days() < 0 || c.alternate_dates_offset_days() < 0) {
    return Invalid("rv.control", "days may not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ReferenceData>> ReferenceData::FromTextProto(
    absl::string_view text) {
  v1::ReferenceData data;
  google::protobuf::TextFormat::Parser parser;
  FirstParseError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &data)) {
    return absl::InvalidArgumentError(absl::StrCat("reference data: ", errors.error));
  }
  return FromProto(std::move(data));
}

absl::StatusOr<std::shared_ptr<const ReferenceData>> ReferenceData::FromProto(
    v1::ReferenceData data) {
  if (absl::Status s = CheckCarBooking(data.car_booking()); !s.ok()) return s;
  if (absl::Status s = CheckRv(data.rv()); !s.ok()) return s;
  absl::flat_hash_map<std::string, absl::TimeZone> zones;
  for (int i = 0; i < data.rv().locations_size(); ++i) {
    const v1::RvLocation& l = data.rv().locations(i);
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(l.zone(), &zone)) {
      return Invalid(absl::StrCat("rv.locations[", i, "] (", l.code(), ")"),
                     absl::StrCat("zone '", l.zone(), "' is not an IANA time zone this machine knows"));
    }
    zones[l.code()] = zone;
  }
  std::shared_ptr<ReferenceData> out(new ReferenceData(std::move(data)));
  out->rv_zones_ = std::move(zones);
  return out;
}

absl::TimeZone ReferenceData::RvZone(absl::string_view location) const {
  auto it = rv_zones_.find(location);
  return it != rv_zones_.end() ? it->second : absl::UTCTimeZone();
}

const v1::Vendor* ReferenceData::FindVendor(absl::string_view code) const {
  for (const v1::Vendor& v : data_.car_booking().vendors()) {
    if (v.code() == code) return &v;
  }
  return nullptr;
}

std::string ReferenceData::VendorList() const {
  return absl::StrJoin(data_.car_booking().vendors(), ", ",
                       [](std::string* out, const v1::Vendor& v) {
                         absl::StrAppend(out, v.code(), " (", v.name(), ")");
                       });
}

const v1::Money& ReferenceData::ServiceFeeFor(absl::string_view client_company) const {
  for (const v1::CompanyFee& fee : data_.car_booking().fees().by_company()) {
    if (fee.client_company() == client_company) return fee.fee();
  }
  return data_.car_booking().fees().default_fee();
}

const v1::EmailTemplate* ReferenceData::FindTemplate(absl::string_view id) const {
  for (const v1::EmailTemplate& t : data_.car_booking().templates()) {
    if (t.id() == id) return &t;
  }
  return nullptr;
}

}  // namespace tripdesk::workflows
