#include "workflows/fleet/fleet_reference.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "workflows/money.h"
#include "workflows/reference_data.h"
#include "workflows/workflow.h"

namespace tripdesk::workflows::fleet {
namespace {

template <typename T, typename Key>
const T* FindBy(const google::protobuf::RepeatedPtrField<T>& list, Key key, absl::string_view id) {
  auto it = std::find_if(list.begin(), list.end(), [&](const T& t) { return key(t) == id; });
  return it == list.end() ? nullptr : &*it;
}

absl::Status CheckPrice(absl::string_view where, absl::string_view field, const v1::Money& m,
                        absl::string_view currency) {
  if (m.currency() != currency) {
    return InvalidReference(where, absl::StrCat(field, " is in '", m.currency(), "', not the fleet's ",
                                                currency));
  }
  if (m.minor_units() < 0) return InvalidReference(where, absl::StrCat(field, " may not be negative"));
  return absl::OkStatus();
}

// Ids set and used once in a list.
template <typename T, typename Key>
absl::Status CheckIds(absl::string_view list, const google::protobuf::RepeatedPtrField<T>& items,
                      Key key) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < items.size(); ++i) {
    const std::string& id = key(items.Get(i));
    if (id.empty() || !seen.insert(id).second) {
      return InvalidReference(absl::StrCat("fleet.", list, "[", i, "] (", id, ")"),
                              "its id is empty or used twice");
    }
  }
  return absl::OkStatus();
}

bool IsDate(absl::string_view s) {
  absl::CivilDay d;
  return absl::ParseCivilTime(s, &d) && absl::FormatCivilTime(d) == s;
}

}  // namespace

std::string ReadableCode(absl::string_view seed, int length) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
  std::string out;
  // Five bits a character, from the digest's bits in order.
  for (int i = 0; i < length && i * 5 + 5 <= SHA256_DIGEST_LENGTH * 8; ++i) {
    int value = 0;
    for (int b = 0; b < 5; ++b) {
      const int bit = i * 5 + b;
      value = (value << 1) | ((digest[bit / 8] >> (7 - bit % 8)) & 1);
    }
    out.push_back(kReadableAlphabet[value]);
  }
  return out;
}

bool IsReadableCode(absl::string_view code, size_t length) {
  return code.size() == length && std::all_of(code.begin(), code.end(), [](char c) {
           return kReadableAlphabet.find(c) != absl::string_view::npos;
         });
}

std::string ApproverRole(const v1::FleetReference& ref) {
  return ref.approver_role().empty() ? kRoleSupervisor : ref.approver_role();
}

const v1::FleetAsset* FindAsset(const v1::FleetReference& ref, absl::string_view id) {
  return FindBy(ref.assets(), [](const v1::FleetAsset& a) -> const std::string& { return a.id(); }, id);
}
const v1::FleetDurationOption* FindDuration(const v1::FleetReference& ref, absl::string_view id) {
  return FindBy(ref.durations(),
                [](const v1::FleetDurationOption& d) -> const std::string& { return d.id(); }, id);
}
const v1::FleetMileageOption* FindMileage(const v1::FleetReference& ref, absl::string_view id) {
  return FindBy(ref.mileage(),
                [](const v1::FleetMileageOption& m) -> const std::string& { return m.id(); }, id);
}
const v1::FleetExtra* FindExtra(const v1::FleetReference& ref, absl::string_view id) {
  return FindBy(ref.extras(), [](const v1::FleetExtra& e) -> const std::string& { return e.id(); }, id);
}
const v1::FleetPromoCode* FindPromo(const v1::FleetReference& ref, absl::string_view code) {
  return FindBy(ref.promo_codes(),
                [](const v1::FleetPromoCode& p) -> const std::string& { return p.code(); }, code);
}
const v1::FleetHandoverMode* FindHandover(const v1::FleetReference& ref, absl::string_view id) {
  return FindBy(ref.handover_modes(),
                [](const v1::FleetHandoverMode& h) -> const std::string& { return h.id(); }, id);
}
const v1::Money* DurationPrice(const v1::FleetDurationOption& d, absl::string_view asset_class) {
  const v1::FleetClassPrice* p = FindBy(
      d.prices(), [](const v1::FleetClassPrice& c) -> const std::string& { return c.asset_class(); },
      asset_class);
  return p == nullptr ? nullptr : &p->price();
}

absl::Status CheckFleetReference(const v1::FleetReference& ref) {
  if (ref.assets().empty()) return absl::OkStatus();  // no fleet
  const std::string& currency = ref.currency();
  if (!IsIsoCurrency(currency)) return InvalidReference("fleet.currency", "is not ISO 4217");
  if (ref.zone().empty()) return InvalidReference("fleet.zone", "is required (an IANA zone)");
  if (ref.tax_basis_points() > 10000) {
    return InvalidReference("fleet.tax_basis_points", "must be 0 to 10000");
  }
  const std::string approver = ApproverRole(ref);
  if (approver != kRoleAgent && approver != kRoleSupervisor) {
    return InvalidReference("fleet.approver_role", "must be agent or supervisor");
  }
  auto id = [](const auto& x) -> const std::string& { return x.id(); };
  if (absl::Status s = CheckIds("assets", ref.assets(), id); !s.ok()) return s;
  if (absl::Status s = CheckIds("durations", ref.durations(), id); !s.ok()) return s;
  if (absl::Status s = CheckIds("mileage", ref.mileage(), id); !s.ok()) return s;
  if (absl::Status s = CheckIds("extras", ref.extras(), id); !s.ok()) return s;
  if (absl::Status s = CheckIds("handover_modes", ref.handover_modes(), id); !s.ok()) return s;
  if (absl::Status s = CheckIds("promo_codes", ref.promo_codes(),
                                [](const v1::FleetPromoCode& p) -> const std::string& { return p.code(); });
      !s.ok()) {
    return s;
  }
  if (ref.durations().empty() || ref.mileage().empty() || ref.handover_modes().empty()) {
    return InvalidReference("fleet", "needs at least one duration, mileage option and handover mode");
  }
  absl::flat_hash_set<std::string> classes;
  for (const v1::FleetAsset& a : ref.assets()) {
    if (a.asset_class().empty()) {
      return InvalidReference(absl::StrCat("fleet.assets (", a.id(), ")"), "asset_class is required");
    }
    classes.insert(a.asset_class());
  }
  for (const v1::FleetDurationOption& d : ref.durations()) {
    const std::string where = absl::StrCat("fleet.durations (", d.id(), ")");
    if (d.hours() == 0 || d.hours() > 24 * 366) return InvalidReference(where, "hours must be 1 to 8784");
    for (const std::string& c : classes) {
      const v1::Money* price = DurationPrice(d, c);
      if (price == nullptr) return InvalidReference(where, absl::StrCat("has no price for class ", c));
      if (absl::Status s = CheckPrice(where, "price", *price, currency); !s.ok()) return s;
    }
  }
  for (const v1::FleetMileageOption& m : ref.mileage()) {
    if (absl::Status s = CheckPrice(absl::StrCat("fleet.mileage (", m.id(), ")"), "price", m.price(), currency);
        !s.ok()) {
      return s;
    }
  }
  for (const v1::FleetExtra& e : ref.extras()) {
    if (absl::Status s = CheckPrice(absl::StrCat("fleet.extras (", e.id(), ")"), "price", e.price(), currency);
        !s.ok()) {
      return s;
    }
  }
  for (const v1::FleetPromoCode& p : ref.promo_codes()) {
    const std::string where = absl::StrCat("fleet.promo_codes (", p.code(), ")");
    const bool amount = p.has_amount_off() && p.amount_off().minor_units() > 0;
    if (amount == (p.percent_off() > 0)) {
      return InvalidReference(where, "needs exactly one of amount_off and percent_off");
    }
    if (amount) {
      if (absl::Status s = CheckPrice(where, "amount_off", p.amount_off(), currency); !s.ok()) return s;
    }
    if (p.percent_off() > 100) return InvalidReference(where, "percent_off must be 1 to 100");
    if ((!p.valid_from().empty() && !IsDate(p.valid_from())) ||
        (!p.valid_to().empty() && !IsDate(p.valid_to()))) {
      return InvalidReference(where, "valid_from and valid_to are YYYY-MM-DD");
    }
    for (const std::string& c : p.asset_classes()) {
      if (!classes.contains(c)) return InvalidReference(where, absl::StrCat("names class ", c, ", which no asset has"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tripdesk::workflows::fleet
