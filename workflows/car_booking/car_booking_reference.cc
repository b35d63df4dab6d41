#include "workflows/car_booking/car_booking_reference.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "workflows/car_booking/car_booking_workflow.h"
#include "workflows/reference_data.h"
#include "workflows/templates.h"
#include "workflows/validation.h"

namespace tripdesk::workflows {

absl::Status CheckCarBookingReference(const v1::CarBookingReference& car) {
  if (car.vendors().empty()) return InvalidReference("car_booking.vendors", "no vendor is listed");
  absl::flat_hash_set<std::string> codes;
  for (int i = 0; i < car.vendors_size(); ++i) {
    const v1::Vendor& v = car.vendors(i);
    const std::string where = absl::StrCat("car_booking.vendors[", i, "]");
    if (v.code().size() != 2) {
      return InvalidReference(where, absl::StrCat("code '", v.code(), "' is not a 2-letter vendor code"));
    }
    if (!codes.insert(v.code()).second) {
      return InvalidReference(where, absl::StrCat("vendor code ", v.code(), " is listed twice"));
    }
    if (v.name().empty()) return InvalidReference(where, "name is empty");
    if (v.manual_reservation_code().empty()) {
      return InvalidReference(where, absl::StrCat(v.code(), " has no manual_reservation_code"));
    }
  }
  if (!car.fees().has_default_fee()) return InvalidReference("car_booking.fees", "default_fee is missing");
  if (absl::Status s = CheckMoney("car_booking.fees.default_fee", car.fees().default_fee());
      !s.ok()) {
    return InvalidReference("car_booking.fees", s.message());
  }
  for (int i = 0; i < car.fees().by_company_size(); ++i) {
    const v1::CompanyFee& fee = car.fees().by_company(i);
    const std::string where = absl::StrCat("car_booking.fees.by_company[", i, "]");
    if (fee.client_company().empty()) return InvalidReference(where, "client_company is empty");
    if (absl::Status s = CheckMoney("fee", fee.fee()); !s.ok()) return InvalidReference(where, s.message());
  }
  const absl::flat_hash_set<std::string> fields = CarBookingTemplateFields();
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < car.templates_size(); ++i) {
    const v1::EmailTemplate& t = car.templates(i);
    const std::string where = absl::StrCat("car_booking.templates[", i, "] (", t.id(), ")");
    if (t.id().empty()) return InvalidReference(where, "id is empty");
    if (!ids.insert(t.id()).second) return InvalidReference(where, "id is used twice");
    if (t.subject().empty() || t.body().empty()) return InvalidReference(where, "subject and body are required");
    for (const std::string& text : {t.subject(), t.body()}) {
      absl::StatusOr<std::vector<std::string>> names = TemplatePlaceholders(text);
      if (!names.ok()) return InvalidReference(where, names.status().message());
      for (const std::string& name : *names) {
        if (!fields.contains(name)) {
          return InvalidReference(where, absl::StrCat("unknown placeholder {{", name, "}}"));
        }
      }
    }
  }
  for (const auto& [field, id] : {std::pair{"confirmation_template_id", car.confirmation_template_id()},
                                  std::pair{"car_added_template_id", car.car_added_template_id()},
                                  std::pair{"quote_template_id", car.quote_template_id()}}) {
    if (!ids.contains(id)) {
      return InvalidReference(absl::StrCat("car_booking.", field),
                     absl::StrCat("names template '", id, "', which is not defined"));
    }
  }
  if (car.us_queue().empty()) return InvalidReference("car_booking.us_queue", "is empty");
  return absl::OkStatus();
}

const v1::Vendor* FindVendor(const v1::CarBookingReference& car, absl::string_view code) {
  for (const v1::Vendor& v : car.vendors()) {
    if (v.code() == code) return &v;
  }
  return nullptr;
}

std::string VendorList(const v1::CarBookingReference& car) {
  return absl::StrJoin(car.vendors(), ", ", [](std::string* out, const v1::Vendor& v) {
    absl::StrAppend(out, v.code(), " (", v.name(), ")");
  });
}

const v1::Money& ServiceFeeFor(const v1::CarBookingReference& car,
                               absl::string_view client_company) {
  for (const v1::CompanyFee& fee : car.fees().by_company()) {
    if (fee.client_company() == client_company) return fee.fee();
  }
  return car.fees().default_fee();
}

const v1::EmailTemplate* FindTemplate(const v1::CarBookingReference& car, absl::string_view id) {
  for (const v1::EmailTemplate& t : car.templates()) {
    if (t.id() == id) return &t;
  }
  return nullptr;
}

}  // namespace tripdesk::workflows
