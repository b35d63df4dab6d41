#include "workflows/rv/rv_reference.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "workflows/money.h"
#include "workflows/reference_data.h"

namespace tripdesk::workflows::rv {
namespace {

// An amount of the fleet's: in its one currency, and not negative unless it
// may be (an option's discount).
absl::Status CheckFleetAmount(absl::string_view where, absl::string_view field, const v1::Money& m,
                              absl::string_view currency, bool allow_negative = false) {
  if (m.currency().empty() && m.minor_units() == 0) return absl::OkStatus();  // unset: none
  if (m.currency() != currency) {
    return InvalidReference(where, absl::StrCat(field, " is in '", m.currency(), "', not the fleet's ", currency,
                                       " (write it as ", field, " { minor_units: N currency: \"",
                                       currency, "\" })"));
  }
  if (!allow_negative && m.minor_units() < 0) return InvalidReference(where, absl::StrCat(field, " may not be negative"));
  return absl::OkStatus();
}

// Codes used once, a kind, a state tax in range.
absl::Status CheckLocations(const v1::RvReference& rv) {
  absl::flat_hash_set<std::string> codes;
  for (int i = 0; i < rv.locations_size(); ++i) {
    const v1::RvLocation& l = rv.locations(i);
    const std::string where = absl::StrCat("rv.locations[", i, "] (", l.code(), ")");
    if (l.code().empty() || !codes.insert(l.code()).second) {
      return InvalidReference(where, "code is empty or used twice");
    }
    if (l.kind() == v1::RV_LOCATION_KIND_UNSPECIFIED) return InvalidReference(where, "kind is not set");
    if (l.state_tax_bp() < 0 || l.state_tax_bp() > 5000) {
      return InvalidReference(where, "state_tax_bp must be 0 to 5000 basis points");
    }
  }
  return absl::OkStatus();
}

// A period, seasons with valid starts, amounts in the fleet currency.
absl::Status CheckRates(const v1::RvReference& rv, const std::string& currency) {
  for (int i = 0; i < rv.rates_size(); ++i) {
    const v1::RvRateProduct& r = rv.rates(i);
    const std::string where = absl::StrCat("rv.rates[", i, "] (", r.code(), ")");
    if (r.period_days() < 1) return InvalidReference(where, "period_days must be at least 1");
    if (r.seasons().empty()) return InvalidReference(where, "has no season");
    if (!IsIsoCurrency(r.currency())) return InvalidReference(where, "currency is not ISO 4217");
    if (r.currency() != currency) {
      return InvalidReference(where, absl::StrCat("currency ", r.currency(), " differs from the fleet's ", currency));
    }
    if (absl::Status s = CheckFleetAmount(where, "price_per_mile", r.price_per_mile(), currency); !s.ok()) {
      return s;
    }
    for (const v1::RvRateSeason& season : r.seasons()) {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(season.starts(), &day)) {
        return InvalidReference(where, absl::StrCat("season start '", season.starts(), "' is not YYYY-MM-DD"));
      }
      for (const auto& [field, price] : {std::pair{"period_price", &season.period_price()},
                                         std::pair{"extra_day_price", &season.extra_day_price()}}) {
        if (absl::Status s = CheckFleetAmount(where, field, *price, currency); !s.ok()) return s;
      }
    }
  }
  return absl::OkStatus();
}

// Percentage options have basis points, the others a price.
absl::Status CheckOptions(const v1::RvReference& rv, const std::string& currency) {
  absl::flat_hash_set<std::string> option_codes;
  for (int i = 0; i < rv.options_size(); ++i) {
    const std::string where = absl::StrCat("rv.options[", i, "] (", rv.options(i).code(), ")");
    if (rv.options(i).code().empty() || !option_codes.insert(rv.options(i).code()).second) {
      return InvalidReference(where, "code is empty or used twice");
    }
    const v1::RvOption& o = rv.options(i);
    if (o.kind() == v1::RV_OPTION_KIND_UNSPECIFIED) return InvalidReference(where, "kind is not set");
    if (o.kind() == v1::RV_OPTION_PERCENTAGE) {
      if (o.has_price()) return InvalidReference(where, "a percentage option has percent_bp, not a price");
      if (o.percent_bp() < -10000 || o.percent_bp() > 10000) {
        return InvalidReference(where, "percent_bp must be -10000 to 10000 basis points");
      }
    } else {
      if (o.percent_bp() != 0) return InvalidReference(where, "a per-day or per-item option has a price, not percent_bp");
      if (absl::Status s = CheckFleetAmount(where, "price", o.price(), currency, true); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// Classes used once; a tour operator names a rate product.
absl::Status CheckClassesAndOperators(const v1::RvReference& rv) {
  absl::flat_hash_set<std::string> class_codes;
  for (int i = 0; i < rv.classes_size(); ++i) {
    const v1::RvVehicleClass& c = rv.classes(i);
    const std::string where = absl::StrCat("rv.classes[", i, "] (", c.code(), ")");
    if (c.code().empty() || !class_codes.insert(c.code()).second) {
      return InvalidReference(where, "code is empty or used twice");
    }
    if (c.max_passengers() < 0) return InvalidReference(where, "max_passengers may not be negative");
  }
  absl::flat_hash_set<std::string> rate_codes;
  for (const v1::RvRateProduct& r : rv.rates()) rate_codes.insert(r.code());
  for (int i = 0; i < rv.tour_operators_size(); ++i) {
    const v1::RvTourOperator& t = rv.tour_operators(i);
    const std::string where = absl::StrCat("rv.tour_operators[", i, "] (", t.it_code(), ")");
    if (t.it_code().empty()) return InvalidReference(where, "it_code is empty");
    if (!rate_codes.contains(t.rate_code())) {
      return InvalidReference(where, absl::StrCat("rate_code '", t.rate_code(), "' is not a rate product"));
    }
    if (t.flat_tax_bp() < 0 || t.flat_tax_bp() > 5000) {
      return InvalidReference(where, "flat_tax_bp must be 0 to 5000 basis points");
    }
  }
  return absl::OkStatus();
}

// Vehicle numbers used once, of a known class, readings not negative.
absl::Status CheckUnits(const v1::RvReference& rv) {
  absl::flat_hash_set<std::string> class_codes;
  for (const auto& e : rv.classes()) class_codes.insert(e.code());
  absl::flat_hash_set<std::string> units;
  for (int i = 0; i < rv.units_size(); ++i) {
    const v1::RvUnit& u = rv.units(i);
    const std::string where = absl::StrCat("rv.units[", i, "] (", u.vehicle_number(), ")");
    if (u.vehicle_number().empty() || u.vehicle_number().size() > 20 ||
        !std::all_of(u.vehicle_number().begin(), u.vehicle_number().end(),
                     [](char ch) { return absl::ascii_isalnum(static_cast<unsigned char>(ch)); }) ||
        !units.insert(u.vehicle_number()).second) {
      return InvalidReference(where, "vehicle_number must be 1 to 20 letters or digits, used once");
    }
    if (!class_codes.contains(u.class_code())) {
      return InvalidReference(where, absl::StrCat("class_code '", u.class_code(), "' is not a class"));
    }
    if (u.odometer() < 0 || u.generator_tenths() < 0) {
      return InvalidReference(where, "odometer and generator may not be negative");
    }
  }
  return absl::OkStatus();
}

// Users listed once, limits in the fleet currency, known locations.
absl::Status CheckUsers(const v1::RvReference& rv, const std::string& currency) {
  absl::flat_hash_set<std::string> codes;
  for (const auto& e : rv.locations()) codes.insert(e.code());
  absl::flat_hash_set<std::string> users;
  for (int i = 0; i < rv.user_limits_size(); ++i) {
    const v1::RvUserLimit& u = rv.user_limits(i);
    const std::string where = absl::StrCat("rv.user_limits[", i, "] (", u.user(), ")");
    if (u.user().empty() || !users.insert(u.user()).second) {
      return InvalidReference(where, "user is empty or listed twice");
    }
    if (u.has_adjustment_limit()) {
      if (absl::Status s = CheckFleetAmount(where, "adjustment_limit", u.adjustment_limit(), currency);
          !s.ok()) {
        return s;
      }
    }
    for (const std::string& location : u.locations()) {
      if (!codes.contains(location)) {
        return InvalidReference(where, absl::StrCat("location '", location, "' is not a location"));
      }
    }
  }
  return absl::OkStatus();
}

// The control record's amounts and days.
absl::Status CheckControl(const v1::RvReference& rv, const std::string& currency) {
  const v1::RvControlRecord& c = rv.control();
  for (const auto& [field, amount] :
       {std::pair{"security_deposit_card", &c.security_deposit_card()},
        std::pair{"security_deposit_other", &c.security_deposit_other()},
        std::pair{"minimum_reservation_deposit", &c.minimum_reservation_deposit()},
        std::pair{"fuel_price_per_eighth", &c.fuel_price_per_eighth()}}) {
    if (absl::Status s = CheckFleetAmount("rv.control", field, *amount, currency); !s.ok()) return s;
  }
  if (c.tour_cancellation_window_days() < 0 || c.alternate_dates_offset_days() < 0) {
    return InvalidReference("rv.control", "days may not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRvReference(const v1::RvReference& rv) {
  // The fleet's currency: every rate's, and the control record's and
  // options' amounts.
  const std::string currency = rv.rates().empty() ? "USD" : rv.rates(0).currency();
  for (absl::Status s : {CheckLocations(rv), CheckRates(rv, currency), CheckOptions(rv, currency),
                         CheckClassesAndOperators(rv), CheckUnits(rv), CheckUsers(rv, currency),
                         CheckControl(rv, currency)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::TimeZone LocationZone(const ReferenceData& reference, absl::string_view location) {
  const v1::RvLocation* l = FindLocation(reference.proto().rv(), location);
  return reference.Zone(l != nullptr ? l->zone() : "");
}

}  // namespace tripdesk::workflows::rv
